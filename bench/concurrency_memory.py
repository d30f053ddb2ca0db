"""Memory of many concurrent runs on one compiled graph sharing one local decomposer.

One process, the embedded ``local:smollm2`` decomposer (transformers) and a scripted solver
(``FakeListChatModel``, so only the graph and the local model are measured). Resident memory
(current RSS from ``/proc/self/statm``, and the process peak) is printed after loading the
model and one run, then after each wave of ``--runs`` concurrent ``ainvoke`` calls. Bounded
memory means the waves add little over the single run and later waves add nothing: no
per-run state survives its run.

    python bench/concurrency_memory.py [--runs 50] [--waves 3] [--tokens 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import time

from langchain_core.language_models.fake_chat_models import FakeListChatModel

from langgraph_decomp import build_graph


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(runs: int, waves: int, tokens: int) -> None:
    solver = FakeListChatModel(responses=["Final answer: 3"])
    graph = build_graph(decomposer="local:smollm2", solver=solver)
    context = {"decomposer_max_tokens": tokens, "verify": False, "solve_scheme": "scaffold"}

    def question(i: int) -> dict[str, str]:
        return {"question": f"Ticket {i}: a box holds 3 apples. How many apples in one box?"}

    await graph.ainvoke(question(-1), context=context)
    base = rss_mib()
    rows = [("model loaded + 1 run", 1, 0.0, base, peak_mib())]
    for wave in range(1, waves + 1):
        start = time.perf_counter()
        # New questions each wave: the local model's reply cache must not answer them.
        outs = await asyncio.gather(*(graph.ainvoke(question(wave * runs + i), context=context)
                                      for i in range(runs)))
        assert len(outs) == runs and all(o["answer"] == "3" for o in outs)
        rows.append((f"wave {wave}: {runs} concurrent", runs, time.perf_counter() - start,
                     rss_mib(), peak_mib()))
    print(f"{os.cpu_count()} cores, decomposer local:smollm2 ({tokens} new tokens), "
          "scripted solver")
    print(f"{'after':<26}{'runs':>6}{'wall s':>9}{'RSS MiB':>10}{'vs 1 run':>10}{'peak MiB':>10}")
    for label, n, wall, rss, peak in rows:
        print(f"{label:<26}{n:>6}{wall:>9.1f}{rss:>10.0f}{rss / base:>10.2f}{peak:>10.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--waves", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.waves, args.tokens))
