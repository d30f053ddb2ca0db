"""The graph under ``ainvoke`` / ``astream`` against a loopback OpenAI-compatible server: the
nodes await the provider's async client, so many calls are in flight at once, not one per
thread of LangGraph's pool. (The guarantees of the async path, scrubbed errors, a whole-call
deadline and finished replies only, are tested beside the sync path's in test_security.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from langgraph_decomp import build_graph
from tests.fake_openai import FakeOpenAIServer
from tests.fakes import RuleChat

pytestmark = pytest.mark.integration

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"
LATENCY_S = 0.2
RUNS = 32
REPLY = "answer = 6"
"""A program (the default scheme's reply): no plan parses from it, so the solver gets the
question alone and the graph computes 6."""


def hosted_graph(**kwargs: Any):
    """Decomposer and solver both on the server: two awaited calls per run."""
    return build_graph(decomposer="openai:fake", solver="openai:fake", **kwargs)


async def test_concurrent_ainvokes_keep_many_hosted_calls_in_flight():
    # Sync-only nodes run in LangGraph's default thread pool (min(32, cores + 4) threads: 6
    # on 2 cores), so at most ~6 calls would be in flight (measured: 1) and 64 calls of
    # 0.2 s would take >= 64 * 0.2 / 6 = 2.1 s. Awaited calls are all in flight together.
    with FakeOpenAIServer(REPLY, latency_s=LATENCY_S) as server:
        graph = hosted_graph()
        context = {"base_url": server.base_url, "max_retries": 0}
        await graph.ainvoke({"question": QUESTION}, context=context)  # clients made, warm
        server.max_in_flight, server.requests[:] = 0, []
        outs = await asyncio.gather(*(
            graph.ainvoke({"question": f"{QUESTION} (ticket {i})"}, context=context)
            for i in range(RUNS)
        ))
    assert [o["answer"] for o in outs] == ["6"] * RUNS
    assert all(o["usage"]["solver"]["calls"] == 1 for o in outs)
    assert len(server.requests) == 2 * RUNS
    assert server.max_in_flight >= RUNS // 2, server.max_in_flight  # 1 with sync-only nodes
    # (Wall time is the bench's to report, bench/async_concurrency.py: not asserted here.)


async def test_a_sync_invoke_still_calls_the_model_directly():
    with FakeOpenAIServer(REPLY) as server:
        out = await asyncio.to_thread(
            hosted_graph().invoke, {"question": QUESTION},
            context={"base_url": server.base_url})
    assert out["answer"] == "6" and len(server.requests) == 2


def solver_graph():
    return build_graph(decomposer=RuleChat.by(lambda _: "No decomposition"),
                       solver="openai:fake")


async def test_an_awaited_stream_streams_tokens_and_counts_usage():
    with FakeOpenAIServer(REPLY) as server:
        events = [e async for e in solver_graph().astream(
            {"question": QUESTION}, context={"base_url": server.base_url},
            stream_mode=["messages", "values"])]
    tokens = [chunk for mode, chunk in events if mode == "messages"
              and chunk[1].get("langgraph_node") == "solve"]
    assert "".join(m.content for m, _ in tokens) == REPLY
    out = [chunk for mode, chunk in events if mode == "values"][-1]
    assert out["answer"] == "6"
    assert out["usage"]["solver"] == {"input_tokens": 11, "output_tokens": 3, "calls": 1,
                                       "model": "openai:fake", "hosted": True}
