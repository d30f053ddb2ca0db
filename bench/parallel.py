"""Parallel independent sub-questions: wall time, sequential vs parallel, side by side.

A solver with a fixed per-call latency (sleep) answers plans of k independent sub-questions;
the same compiled graph runs them with ``dependencies="sequential"`` (one per wave) and
``"independent"`` (one wave), k = 2, 4, 8. The sub-question phase is timed from the
``decompose`` update to the last sub-answer. Target: speedup >= 0.8 * k / depth (depth 1).

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
    """A decomposer that instantly writes k independent sub-questions."""

    k: int = 2

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        plan = "\n".join(f"{i}. What is quantity {i}?" for i in range(1, self.k + 1))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(plan))])


def phase_time(graph: Any, mode: str, k: int) -> float:
    """Seconds from the plan to the last sub-answer."""
    start = end = None
    answered = 0
    for chunk in graph.stream(
        {"question": "q?"}, {"max_concurrency": k}, stream_mode="updates",
        context={"verify": False, "dependencies": mode, "max_subquestions": k},
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
    """Print one row per k: sequential and parallel phase times, speedup, target."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.3)
    args = parser.parse_args()
    print(f"solver latency {args.latency:.2f} s per call; plans of k independent sub-questions")
    print(f"{'k':>3} {'sequential s':>13} {'parallel s':>11} {'speedup':>8} {'target':>7}  ok")
    for k in (2, 4, 8):
        graph = build_graph(decomposer=PlanChat(messages=iter(()), k=k),
                            solver=LatencyChat(messages=iter(()), latency=args.latency))
        seq = phase_time(graph, "sequential", k)
        par = phase_time(graph, "independent", k)
        speedup, target = seq / par, 0.8 * k / 1
        print(f"{k:>3} {seq:>13.2f} {par:>11.2f} {speedup:>8.2f} {target:>7.2f}  "
              f"{'yes' if speedup >= target else 'NO'}")


if __name__ == "__main__":
    main()
