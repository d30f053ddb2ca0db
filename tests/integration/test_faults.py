"""Hosted-model faults against a loopback server: bounded retries, then typed errors."""

from __future__ import annotations

import pytest

from langgraph_decomp import ModelCallError, build_graph
from tests.fake_openai import FakeOpenAIServer
from tests.fakes import ScriptedChat

pytestmark = pytest.mark.integration

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"


def run(server: FakeOpenAIServer, **knobs):
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver="openai:fake")
    return graph.invoke(
        {"question": QUESTION},
        context={"base_url": server.base_url, "verify": False, **knobs},
    )


@pytest.mark.parametrize("fault", ["500", "429"])
def test_transient_http_errors_are_retried_then_the_run_succeeds(fault):
    with FakeOpenAIServer("answer = 6", faults=(fault, fault)) as server:
        out = run(server, max_retries=2)
    assert out["answer"] == "6"
    assert len(server.requests) == 3  # two failures, one success
    assert out["usage"]["solver"]["calls"] == 1  # usage counts the answered call once


@pytest.mark.parametrize("retries", [0, 1])
def test_retries_are_bounded_then_a_typed_error_names_role_and_model(retries):
    with (
        FakeOpenAIServer("Final answer: 6", faults=("500",) * 5) as server,
        pytest.raises(ModelCallError, match="solver model 'openai:fake'") as info,
    ):
        run(server, max_retries=retries)
    assert info.value.role == "solver" and info.value.model == "openai:fake"
    assert len(server.requests) == retries + 1


def test_a_slow_endpoint_times_out_with_a_typed_error():
    with (
        FakeOpenAIServer("Final answer: 6", faults=("slow",), slow_s=2.0) as server,
        pytest.raises(ModelCallError, match="(?i)timed out|timeout"),
    ):
        run(server, max_retries=0, request_timeout=0.3)


@pytest.mark.parametrize("fault", ["truncated", "empty", "not-json", "no-choices"])
def test_malformed_responses_become_typed_errors(fault):
    with (
        FakeOpenAIServer("Final answer: 6", faults=(fault,)) as server,
        pytest.raises(ModelCallError) as info,
    ):
        run(server, max_retries=0)
    assert info.value.role == "solver"


def test_max_retries_is_bounded():
    from langgraph_decomp import InvalidInputError

    with pytest.raises(InvalidInputError, match="max_retries"):
        build_graph(solver=ScriptedChat.of()).invoke(
            {"question": QUESTION}, context={"max_retries": 99}
        )
