"""Both local backends (transformers, llama.cpp) plan through the graph from the same GGUF."""

from __future__ import annotations

import pytest

from langgraph_decomp import build_graph
from tests.fakes import ScriptedChat

pytestmark = pytest.mark.integration

QUESTION = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many "
            "clips in May. How many clips did Natalia sell altogether in April and May?")


@pytest.mark.parametrize("decomposer", ["local:smollm2", "llamacpp:smollm2"])
def test_each_local_backend_writes_a_parseable_plan(decomposer):
    graph = build_graph(decomposer=decomposer, solver=ScriptedChat.of(*["Final answer: 72"] * 3))
    out = graph.invoke(
        {"question": QUESTION}, context={"verify": False, "decomposer_max_tokens": 32}
    )
    assert out["decomposed"] is True and out["fallback_reason"] is None
    assert 1 <= len(out["subquestions"]) <= 5
    usage = out["usage"]["decomposer"]
    assert usage["calls"] == 1 and usage["input_tokens"] > 100
    assert 0 < usage["output_tokens"] <= 32
    assert out["answer"] == "72"
