"""The whole graph on the embedded SmolLM2-135M GGUF through transformers (no key, offline).

At 135M the answers are often wrong; these tests pin the pipeline, not the accuracy.
"""

from __future__ import annotations

import pytest

from langgraph_decomp import Context, graph

pytestmark = pytest.mark.integration

SMALL = {"decomposer_max_tokens": 64, "solver_max_tokens": 48, "verifier_max_tokens": 24,
         "max_subquestions": 2}


@pytest.mark.parametrize(
    "question",
    [
        "Tom has 3 apples and buys 5 more. How many apples does he have?",
        "A book costs 4 dollars. How much do 2 books cost?",
    ],
)
def test_default_graph_runs_end_to_end_on_the_embedded_model(question):
    out = graph.invoke({"question": question}, context=SMALL)
    assert isinstance(out["answer"], str) and out["answer"]
    assert out["decomposed"] == bool(out["subquestions"])
    assert len(out["subquestions"]) <= 2
    for role in ("decomposer", "solver"):
        usage = out["usage"][role]
        assert usage["calls"] >= 1 and usage["input_tokens"] > 0
        assert 0 < usage["output_tokens"] <= usage["calls"] * SMALL[f"{role}_max_tokens"]
    assert "verifier" not in out["usage"]  # the default asks no verifier
    # The default scheme (program) answers in one call, plus at most max_repairs (1) re-asks
    # after a program that could not be computed.
    assert Context().solve_scheme == "program"
    assert 1 <= out["usage"]["solver"]["calls"] <= 2


async def test_embedded_model_works_with_async_invocation():
    out = await graph.ainvoke(
        {"question": "What is 7 plus 5?"}, context={**SMALL, "verify": False}
    )
    assert out["usage"]["decomposer"]["calls"] == 1
    assert "verifier" not in out["usage"]


def test_local_weights_load_once_per_process_across_model_options():
    from langgraph_decomp.models import load_chat_model

    a = load_chat_model("local:smollm2", max_tokens=16)
    b = load_chat_model("local:smollm2", max_tokens=32, temperature=0.7)
    assert a is not b
    assert a.llm.pipeline.model is b.llm.pipeline.model
    assert a.invoke("Say hi.").usage_metadata["output_tokens"] <= 16
