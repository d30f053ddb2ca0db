"""Both local backends (transformers, llama.cpp) plan through the graph from the same GGUF."""

from __future__ import annotations

import pytest

from langgraph_decomp import build_graph
from tests.fakes import ScriptedChat

pytestmark = pytest.mark.integration

QUESTION = ("Maya picks 30 apples in the morning and half as many in the afternoon. How many "
            "apples does Maya pick in all?")  # written by hand, in GSM8K's style


@pytest.mark.parametrize("decomposer", ["local:smollm2", "llamacpp:smollm2"])
def test_each_local_backend_writes_a_parseable_plan(decomposer):
    graph = build_graph(decomposer=decomposer, solver=ScriptedChat.of(*["answer = 72"] * 3))
    out = graph.invoke(
        {"question": QUESTION}, context={"verify": False, "decomposer_max_tokens": 32}
    )
    assert out["decomposed"] is True and out["fallback_reason"] is None
    assert 1 <= len(out["subquestions"]) <= 5
    usage = out["usage"]["decomposer"]
    assert usage["calls"] == 1 and usage["input_tokens"] > 100
    assert 0 < usage["output_tokens"] <= 32
    assert out["answer"] == "72"


@pytest.mark.parametrize("spec", ["local:smollm2", "llamacpp:smollm2"])
def test_each_local_backend_ends_a_chat_reply_at_a_stop_string(spec):
    from langgraph_decomp.models import load_chat_model
    from langgraph_decomp.nodes import decompose_messages

    model = load_chat_model(spec, max_tokens=48, temperature=0.0)
    messages = decompose_messages("Tom has 3 apples and buys 5 more. He eats 2. How many are left?")
    free = model.invoke(messages)
    assert "\n2." in free.text  # the untrained model lists on; so the stop below has work to do
    stopped = model.invoke(messages, stop=["\n2."])
    assert stopped.text == free.text[: free.text.index("\n2.")]
    assert 0 < stopped.usage_metadata["output_tokens"] < free.usage_metadata["output_tokens"]
    # Streaming (as under LangGraph's stream_mode="messages") ends at the same place.
    chunks = [c.text for c in model.stream(messages, stop=["\n2."])]
    assert "".join(chunks) == stopped.text
    assert len(chunks) > 1 or spec.startswith("llamacpp:")  # llama.cpp: one chunk
