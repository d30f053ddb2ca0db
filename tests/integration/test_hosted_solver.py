"""The hosted-solver path, for real: langchain-openai/openai clients against a loopback
llama.cpp server serving the embedded SmolLM2 GGUF."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from langgraph_decomp import ModelCallError, build_graph
from tests.fakes import ScriptedChat
from tests.integration.conftest import free_port

pytestmark = pytest.mark.integration

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"


def test_solver_on_an_openai_compatible_server_reports_its_token_usage(llama_server):
    graph = build_graph(
        decomposer=ScriptedChat.of("1. How much does one pen cost?\n2. How much do 3 pens cost?"),
        solver="openai:smollm2",
    )
    out = graph.invoke(
        {"question": QUESTION},
        context={"base_url": llama_server, "solver_max_tokens": 256, "verifier_max_tokens": 48,
                 "max_repairs": 0, "solve_scheme": "stepwise", "verify": True},
    )
    solver = out["usage"]["solver"]
    verifier = out["usage"]["verifier"]
    assert solver["calls"] == 3 and verifier["calls"] == 1
    # Token counts come only from the server's `usage` field (the fake decomposer reports
    # its own, separately). The replies ended by themselves, within the caps.
    assert solver["input_tokens"] > 0 and 0 < solver["output_tokens"] <= 3 * 256
    assert 0 < verifier["output_tokens"] <= 48
    assert [s["question"] for s in out["subquestions"]] == [
        "How much does one pen cost?", "How much do 3 pens cost?"
    ]
    assert all(s["answer"] for s in out["subquestions"])


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_cut_at_the_cap_by_a_real_server_is_a_typed_error(llama_server, stream):
    # The server stops at the cap and says so (finish_reason "length"): proof that
    # `max_tokens` reached llama.cpp (via extra_body), and that a cut reply is not an answer.
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver="openai:smollm2")
    inputs = {"question": QUESTION}
    context = {"base_url": llama_server, "solver_max_tokens": 8, "verify": False}
    with pytest.raises(ModelCallError, match=r"'length'.*solver_max_tokens") as info:
        if stream:
            list(graph.stream(inputs, context=context, stream_mode="messages"))
        else:
            graph.invoke(inputs, context=context)
    assert info.value.role == "solver"
    # The cut reply is billed: the error carries the server's usage, its 8 output tokens.
    # llama-cpp-python's server sends no usage in a stream (not even with `include_usage`,
    # checked 2026-12-07), so there the error knows none; OpenAI's API sends it.
    if stream:
        assert info.value.usage is None
    else:
        assert info.value.usage is not None
        assert info.value.usage["output_tokens"] == 8 and info.value.usage["input_tokens"] > 0


def test_unreachable_base_url_raises_a_typed_error_naming_role_and_model():
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver="openai:smollm2")
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelCallError, match=r"solver model 'openai:smollm2'") as info:
        graph.invoke({"question": QUESTION}, context={"base_url": dead, "api_key": "sk-sentinel"})
    assert info.value.role == "solver"
    assert "sk-sentinel" not in str(info.value)


def test_cli_solves_through_the_server_and_prints_json(llama_server):
    # SmolLM2's reply to this question runs past 128 tokens and ends within 256 (the server
    # replies the same whatever ran before, so this holds in any test order).
    proc = subprocess.run(
        [
            sys.executable, "-m", "langgraph_decomp.cli", "solve", QUESTION,
            "--decomposer", "openai:smollm2", "--solver", "openai:smollm2",
            "--base-url", llama_server, "--max-tokens", "256", "--json",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert isinstance(out["answer"], str)
    assert out["usage"]["decomposer"]["calls"] == 1
    assert out["usage"]["solver"]["calls"] >= 1


def test_cli_reports_bad_input_without_a_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "langgraph_decomp.cli", "solve", "   "],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert "question' is empty" in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
