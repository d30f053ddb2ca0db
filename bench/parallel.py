"""Parallel independent sub-questions: wall time, sequential vs parallel, side by side.

A solver with a fixed per-call latency (sleep) answers plans of k sub-questions with the
``stepwise`` scheme (one solver call per sub-question; the one-call schemes have nothing to
run in parallel). The same compiled graph runs each plan with ``dependencies="sequential"``
(one step per wave) and with the plan's real dependencies: ``"independent"`` for k unrelated
steps (depth 1), ``"inferred"`` for a plan whose second half refers to the first ("using #1,
...", depth 2), k = 2, 4, 8. The sub-question phase is timed from the ``decompose`` update to
the last sub-answer. Target: speedup >= 0.8 * k / depth.

    python bench/parallel.py [--latency 0.3]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from langgraph_decomp import build_graph


class LatencyChat(GenericFakeChatModel):
    """Answers every call after a fixed delay, like a remote solver."""

    latency: float = 0.3

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        time.sleep(self.latency)
        return ChatResult(generations=[ChatGeneration(message=AIMessage("Answer: 1"))])


class PlanChat(GenericFakeChatModel):
    """A decomposer that instantly writes k sub-questions, of dependency depth 1 or 2."""

    k: int = 2
    depth: int = 1

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        half = self.k // 2
        plan = "\n".join(
            f"{i}. Using #{i - half}, what is quantity {i}?" if self.depth == 2 and i > half
            else f"{i}. What is quantity {i}?"
            for i in range(1, self.k + 1)
        )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(plan))])


def phase_time(graph: Any, mode: str, k: int) -> float:
    """Seconds from the plan to the last sub-answer."""
    start = end = None
    answered = 0
    for chunk in graph.stream(
        {"question": "q?"}, {"max_concurrency": k}, stream_mode="updates",
        context={"verify": False, "solve_scheme": "stepwise", "dependencies": mode,
                 "max_subquestions": k},
    ):
        if "decompose" in chunk:
            start = time.perf_counter()
        elif "solve" in chunk and chunk["solve"].get("steps"):
            answered += 1
            if answered == k:
                end = time.perf_counter()
    assert start is not None and end is not None
    return end - start


def main() -> None:
    """Print one row per plan: sequential and parallel phase times, speedup, target."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    print(f"solver latency {args.latency:.2f} s per call; stepwise scheme, max_concurrency = k")
    print(f"{'k':>3} {'depth':>5} {'dependencies':>12} {'sequential s':>13} {'parallel s':>11} "
          f"{'speedup':>8} {'target':>7}  ok")
    failed = False
    for depth, mode in ((1, "independent"), (2, "inferred")):
        for k in (2, 4, 8):
            graph = build_graph(decomposer=PlanChat(messages=iter(()), k=k, depth=depth),
                                solver=LatencyChat(messages=iter(()), latency=args.latency))
            seq = phase_time(graph, "sequential", k)
            par = phase_time(graph, mode, k)
            speedup, target = seq / par, 0.8 * k / depth
            failed |= speedup < target
            print(f"{k:>3} {depth:>5} {mode:>12} {seq:>13.2f} {par:>11.2f} {speedup:>8.2f} "
                  f"{target:>7.2f}  {'yes' if speedup >= target else 'NO'}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
