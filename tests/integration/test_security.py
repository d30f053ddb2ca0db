"""Secrets, deadlines and finished replies against a loopback OpenAI-compatible server: the
real langchain-openai / openai / httpx stack, a sentinel key grepped for everywhere."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_decomp import ModelCallError, build_graph
from tests.fake_openai import FakeOpenAIServer
from tests.fakes import RuleChat, ScriptedChat
from tests.leaks import assert_no_secret

pytestmark = pytest.mark.integration

SENTINEL = "sk-proj-SENTINEL-4c1d2e3f5a6b7c8d"
QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"


class Recorder(BaseCallbackHandler):
    """Everything a tracer (LangSmith, Sentry breadcrumbs, ...) would be handed."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, dict[str, Any]]] = []

    def on_chat_model_start(self, serialized, messages, **kw: Any) -> None:
        self.events.append(("chat_model_start", serialized, kw))

    def on_chain_start(self, serialized, inputs, **kw: Any) -> None:
        self.events.append(("chain_start", inputs, kw))

    def on_llm_new_token(self, token, **kw: Any) -> None:
        self.events.append(("token", token, kw))

    def on_llm_end(self, response, **kw: Any) -> None:
        self.events.append(("llm_end", response, kw))

    def on_llm_error(self, error, **kw: Any) -> None:
        self.events.append(("llm_error", error, kw))

    def on_chain_error(self, error, **kw: Any) -> None:
        self.events.append(("chain_error", error, kw))

    def errors(self) -> list[BaseException]:
        return [e for kind, e, _ in self.events if kind.endswith("error")]


def graph_for(**kwargs: Any):
    return build_graph(decomposer=RuleChat.by(lambda _: "No decomposition"), solver="openai:fake",
                       **kwargs)


def run(graph, config: dict[str, Any], context: dict[str, Any], *, stream: bool,
        awaited: bool = False) -> list[Any]:
    """Run the graph; return every stream event (``stream``) or the output. ``awaited``: with
    ``astream`` / ``ainvoke`` (the nodes await the provider's async client)."""
    if awaited:
        async def collect() -> list[Any]:
            if stream:
                return [e async for e in graph.astream(
                    {"question": QUESTION}, config, context=context,
                    stream_mode=["debug", "messages", "updates", "custom", "values"])]
            return [await graph.ainvoke({"question": QUESTION}, config, context=context)]

        return asyncio.run(collect())
    if stream:
        return list(graph.stream({"question": QUESTION}, config, context=context,
                                 stream_mode=["debug", "messages", "updates", "custom",
                                              "values"]))
    return [graph.invoke({"question": QUESTION}, config, context=context)]


@pytest.mark.parametrize("fault", ["500", "401-echo"])
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("awaited", [False, True], ids=["sync", "async"])
def test_a_failed_call_leaves_the_key_nowhere(fault, stream, awaited, caplog):
    caplog.set_level(logging.DEBUG)
    recorder, saver, events = Recorder(), InMemorySaver(), []
    config = {"configurable": {"thread_id": "t"}, "callbacks": [recorder]}
    with (
        FakeOpenAIServer("answer = 6", faults=(fault,)) as server,
        pytest.raises(ModelCallError, match="solver model 'openai:fake'") as info,
    ):
        graph = graph_for(checkpointer=saver)
        context = {"base_url": server.base_url, "api_key": SENTINEL, "max_retries": 0,
                   "verify": False}
        modes = ["debug", "messages", "updates", "values"]
        if awaited:  # the nodes await the provider's async client (GuardedChat._agenerate)
            async def collect() -> None:
                async for event in graph.astream({"question": QUESTION}, config,
                                                 context=context,
                                                 stream_mode=modes if stream else "values"):
                    events.append(event)

            asyncio.run(collect())
        elif stream:
            for event in graph.stream({"question": QUESTION}, config, context=context,
                                      stream_mode=modes):
                events.append(event)
        else:
            graph.invoke({"question": QUESTION}, config, context=context)
    assert server.headers[0]["authorization"] == f"Bearer {SENTINEL}"  # the key was used
    error = info.value
    assert error.__cause__ is None and error.__context__ is None
    assert recorder.errors() and all(isinstance(e, ModelCallError) for e in recorder.errors())
    assert_no_secret(
        SENTINEL, raised=error, callbacks=recorder.events, stream_events=events,
        logs=[caplog.text, [(r.getMessage(), r.args) for r in caplog.records]],
        checkpoints=saver.storage, writes=saver.writes, blobs=saver.blobs,
    )


def test_a_key_from_the_environment_echoed_by_the_server_is_scrubbed(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    recorder = Recorder()
    with (
        FakeOpenAIServer(faults=("401-echo",)) as server,
        pytest.raises(ModelCallError, match=r"401.*Bearer \*\*\*") as info,
    ):
        graph_for().invoke({"question": QUESTION}, {"callbacks": [recorder]},
                           context={"base_url": server.base_url, "verify": False})
    assert server.headers[0]["authorization"] == f"Bearer {SENTINEL}"
    assert_no_secret(SENTINEL, raised=info.value, callbacks=recorder.events)


def test_a_successful_call_traces_no_key():
    recorder = Recorder()
    with FakeOpenAIServer("answer = 6") as server:
        events = run(graph_for(), {"callbacks": [recorder]},
                     {"base_url": server.base_url, "api_key": SENTINEL, "verify": False},
                     stream=True)
    starts = [e for e in recorder.events if e[0] == "chat_model_start"
              and e[2]["name"] == "solve[final]"]
    assert starts and starts[0][1]["id"][-1] == "ChatOpenAI"  # the real model, traced
    assert starts[0][2]["invocation_params"]["model"] == "fake"
    assert [e for e in recorder.events if e[0] == "token"]  # tokens streamed through
    assert_no_secret(SENTINEL, callbacks=recorder.events, stream_events=events)


def test_a_key_in_configurable_is_kept_out_of_checkpoints_and_resume_works():
    saver = InMemorySaver()
    config = {"configurable": {"thread_id": "t1", "api_key": SENTINEL}}
    with FakeOpenAIServer("answer = 6", faults=("500",)) as server:
        graph = graph_for(checkpointer=saver)
        knobs = {"base_url": server.base_url, "max_retries": 0, "verify": False}
        first = {**config, "configurable": {**config["configurable"], **knobs}}
        with pytest.raises(ModelCallError):
            list(graph.stream({"question": QUESTION}, first, stream_mode="debug"))
        events = list(graph.stream(None, first, stream_mode="debug"))  # resume
        assert graph.get_state(first).values["answer"] == "6"
        # Or resume with the key where the README puts it: context (never checkpointed).
        second = {"configurable": {"thread_id": "t2"}}
        graph.invoke({"question": QUESTION}, second, context={**knobs, "api_key": SENTINEL})
        assert graph.invoke(None, second, context={**knobs, "api_key": SENTINEL}) is not None
    assert {h["authorization"] for h in server.headers} == {f"Bearer {SENTINEL}"}
    history = list(graph.get_state_history(first)) + list(graph.get_state_history(second))
    assert_no_secret(SENTINEL, debug_events=events, metadata=[s.metadata for s in history],
                     checkpoints=saver.storage, writes=saver.writes, blobs=saver.blobs)


def test_the_openai_key_never_goes_to_another_providers_endpoint(monkeypatch):
    from langchain.chat_models.base import _BUILTIN_PROVIDERS

    if "langsmith" not in _BUILTIN_PROVIDERS:
        pytest.skip("this langchain has no second OpenAI-client provider to point at the fake")
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.setenv("LANGSMITH_API_KEY", "lsv2-own-SENTINEL-77")
    monkeypatch.setenv("LANGSMITH_TRACING", "false")
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver="langsmith:m")
    with (
        FakeOpenAIServer("answer = 6") as server,
        pytest.raises(ModelCallError),  # the fake does not speak the Responses API
    ):
        graph.invoke({"question": QUESTION},
                     context={"base_url": server.base_url, "verify": False, "max_retries": 0})
    assert [h.get("authorization") for h in server.headers] == ["Bearer lsv2-own-SENTINEL-77"]
    assert_no_secret(SENTINEL, headers=server.headers)


# --- Deadlines -----------------------------------------------------------------------------


@pytest.mark.parametrize("awaited", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True])
def test_request_timeout_bounds_the_whole_call_against_a_trickling_server(stream, awaited):
    with FakeOpenAIServer("answer = 6", faults=("trickle",) * 3, trickle_s=0.2,
                          trickle_total_s=10) as server:
        start = time.monotonic()
        with pytest.raises(ModelCallError, match=r"timed out: request_timeout=0.5 s"):
            run(graph_for(), {}, {"base_url": server.base_url, "request_timeout": 0.5,
                                  "verify": False}, stream=stream, awaited=awaited)
        assert time.monotonic() - start < 3  # the server would take 10 s
        # The abandoned call stops too (at the next byte), and no retry starts.
        for _ in range(20):
            if not any(t.name.startswith("langgraph-decomp-") for t in threading.enumerate()):
                break
            time.sleep(0.1)
        assert not [t.name for t in threading.enumerate() if t.name.startswith("langgraph-decomp-")]
        assert len(server.requests) == 1


@pytest.mark.parametrize("awaited", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("stream", [False, True])
def test_deadline_s_cuts_a_hosted_call_in_flight(stream, awaited):
    with FakeOpenAIServer("answer = 6", faults=("trickle",), trickle_total_s=10) as server:
        start = time.monotonic()
        with pytest.raises(ModelCallError, match=r"timed out: the run's deadline_s=1 s"):
            run(graph_for(), {}, {"base_url": server.base_url, "request_timeout": 60,
                                  "deadline_s": 1, "verify": False}, stream=stream,
                awaited=awaited)
        assert time.monotonic() - start < 4


def test_a_retry_after_longer_than_the_client_waits_fails_at_once_saying_so():
    with FakeOpenAIServer(faults=("retry-after:300",)) as server:
        start = time.monotonic()
        with pytest.raises(ModelCallError, match=r"429.*retry after 300 s.*not used"):
            run(graph_for(), {}, {"base_url": server.base_url, "verify": False}, stream=False)
        assert time.monotonic() - start < 5


@pytest.mark.parametrize("awaited", [False, True], ids=["sync", "async"])
def test_a_retry_after_longer_than_the_time_left_fails_at_once_saying_so(awaited):
    with FakeOpenAIServer(faults=("retry-after:5",)) as server:
        start = time.monotonic()
        with pytest.raises(ModelCallError, match=r"retry after 5 s, more than the .* left of "
                                                 r"request_timeout=2 s"):
            run(graph_for(), {}, {"base_url": server.base_url, "request_timeout": 2,
                                  "verify": False}, stream=False, awaited=awaited)
        assert time.monotonic() - start < 2


def test_a_short_retry_after_is_honoured_with_max_retries():
    with FakeOpenAIServer("answer = 6", faults=("retry-after:1",)) as server:
        out = run(graph_for(), {}, {"base_url": server.base_url, "request_timeout": 10,
                                    "max_retries": 1, "verify": False}, stream=False)[0]
    assert out["answer"] == "6" and len(server.requests) == 2


# --- Unfinished replies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "stream", "match"),
    [
        ("cut-stream", True, "stream ended before the reply was finished"),
        ("no-choices", True, "no choices"),
        ("no-choices", False, "no choices"),
        ("length", True, "token cap.*'length'.*solver_max_tokens"),
        ("length", False, "token cap.*'length'.*solver_max_tokens"),
    ],
)
@pytest.mark.parametrize("awaited", [False, True], ids=["sync", "async"])
def test_an_unfinished_reply_is_a_typed_error_when_invoked_and_when_streamed(fault, stream,
                                                                             match, awaited):
    with (
        FakeOpenAIServer("Let me think step by step and", faults=(fault,)) as server,
        pytest.raises(ModelCallError, match=match) as info,
    ):
        run(graph_for(), {}, {"base_url": server.base_url, "max_retries": 0, "verify": False},
            stream=stream, awaited=awaited)
    assert info.value.role == "solver"
    assert server.requests[0].get("stream", False) is stream


@pytest.mark.parametrize("awaited", [False, True], ids=["sync", "async"])
def test_a_finished_stream_is_accepted_with_its_usage(awaited):
    with FakeOpenAIServer("answer = 6") as server:
        events = run(graph_for(), {}, {"base_url": server.base_url, "verify": False},
                     stream=True, awaited=awaited)
    out = [chunk for mode, chunk in events if mode == "values"][-1]
    assert out["answer"] == "6"
    assert out["usage"]["solver"] == {"input_tokens": 11, "output_tokens": 3, "calls": 1,
                                       "model": "openai:fake", "hosted": True}
