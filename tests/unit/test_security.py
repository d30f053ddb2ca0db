"""Secrets never leave through errors, callbacks, streams or checkpoints; bounded calls;
every reply finished. Unit level: fake models only, no network."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import SecretStr

import langgraph_decomp.models as models_module
from langgraph_decomp import ModelCallError, ModelConfigError, build_graph
from langgraph_decomp.models import load_chat_model
from langgraph_decomp.models.guard import scrub, secret_value
from tests.fakes import FinishChat, ScriptedChat
from tests.leaks import assert_no_secret, find_secret

SENTINEL = "sk-unit-SENTINEL-9f8e7d6c5b4a"
QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"


class ProviderError(Exception):
    """Shaped like an SDK error: the request (its auth header) hangs off the exception."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.request_headers = {"authorization": f"Bearer {key}"}


class LeakyChat(GenericFakeChatModel):
    """A chat model with its own key whose calls fail like a provider's 401: the message
    echoes the key and the exception carries the request headers."""

    api_key: SecretStr = SecretStr(SENTINEL)

    def _fail(self) -> None:
        key = self.api_key.get_secret_value()
        raise ProviderError(f"401 Unauthorized: 'Bearer {key}' is not a valid key", key)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self._fail()
        raise AssertionError  # unreachable

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any):
        self._fail()
        yield  # pragma: no cover


class Recorder(BaseCallbackHandler):
    """Keeps everything a tracer would record."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_chat_model_start(self, serialized, messages, **kw: Any) -> None:
        self.events.append(("chat_model_start", {"serialized": serialized, **kw}))

    def on_llm_error(self, error: BaseException, **kw: Any) -> None:
        self.events.append(("llm_error", error))

    def on_chain_error(self, error: BaseException, **kw: Any) -> None:
        self.events.append(("chain_error", error))

    def on_llm_end(self, response, **kw: Any) -> None:
        self.events.append(("llm_end", response))

    def errors(self) -> list[BaseException]:
        return [e for kind, e in self.events if kind.endswith("error")]


def leaky_graph(**kwargs: Any):
    return build_graph(decomposer=ScriptedChat.of("No decomposition"), solver=LeakyChat(
        messages=iter(())), **kwargs)


@pytest.mark.parametrize("stream", [False, True])
def test_a_providers_error_is_scrubbed_before_callbacks_and_the_caller_see_it(stream):
    recorder = Recorder()
    graph = leaky_graph()
    with pytest.raises(ModelCallError, match=r"solver model .*ProviderError: 401") as info:
        config = {"callbacks": [recorder]}
        if stream:
            for _ in graph.stream({"question": QUESTION}, config, context={"verify": False},
                                  stream_mode=["messages", "updates", "debug"]):
                pass
        else:
            graph.invoke({"question": QUESTION}, config, context={"verify": False})
    error = info.value
    assert error.__cause__ is None and error.__context__ is None
    assert "***" in str(error)
    errors = recorder.errors()
    assert any(kind == "llm_error" for kind, _ in recorder.events)  # the tracer saw the failure
    assert errors and all(isinstance(e, ModelCallError) for e in errors)
    assert_no_secret(SENTINEL, raised=error, callback_errors=errors, events=recorder.events)


def test_the_finder_sees_a_raw_provider_error():  # the check above can fail
    try:
        LeakyChat(messages=iter(()))._fail()
    except ProviderError as e:
        assert find_secret(e, SENTINEL)


class EnvEchoChat(LeakyChat):
    """Fails echoing a key it read from the environment (not one of its fields)."""

    def _fail(self) -> None:
        raise RuntimeError(f"echo {os.environ['SOME_PROVIDER_API_KEY']}")


def test_environment_keys_are_scrubbed_from_errors(monkeypatch):
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", SENTINEL)
    solver = EnvEchoChat(messages=iter(()), api_key=SecretStr("sk-other-key-123456"))
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver=solver)
    with pytest.raises(ModelCallError) as info:
        graph.invoke({"question": QUESTION}, context={"verify": False})
    assert SENTINEL not in str(info.value) and "echo ***" in str(info.value)


def test_scrub_replaces_known_secrets_and_credential_shapes():
    text = scrub(
        "key sk-AAAA1111 then Authorization: Bearer tok_unknown_123 and x-api-key: abcdef123 "
        "and {'api_key': 'zzzzzzzz'}",
        ("sk-AAAA1111",),
    )
    for secret in ("sk-AAAA1111", "tok_unknown_123", "abcdef123", "zzzzzzzz"):
        assert secret not in text
    assert text.count("***") == 4


def test_model_config_errors_carry_no_chain():
    with pytest.raises(ModelConfigError) as info:
        load_chat_model("foo:bar", api_key=SENTINEL)
    assert info.value.__context__ is None and info.value.__cause__ is None
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"))
    with pytest.raises(ModelConfigError, match=r"\[solver\]") as info:
        graph.invoke({"question": QUESTION}, context={"solver": "foo:bar", "api_key": SENTINEL})
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert_no_secret(SENTINEL, raised=info.value)


def test_typed_errors_pickle_with_their_fields():
    import pickle

    from langgraph_decomp import InvalidInputError

    for error in (
        ModelCallError("cut", role="solver", model="openai:x",
                       usage={"input_tokens": 3, "output_tokens": 4}),
        ModelConfigError("bad model", role="decomposer", model="foo:bar"),
        InvalidInputError("empty", field="question"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and copy.args == error.args
        assert copy.__dict__ == error.__dict__ and str(copy) == str(error)


class _Recorded:
    """Stands in for ``init_chat_model``: records the options each provider got."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, spec: str, **kwargs: Any) -> Any:
        self.calls.append((spec, kwargs))
        return ScriptedChat.of()


@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:9/v1"])
def test_each_provider_gets_only_its_own_key(monkeypatch, base_url):
    import langchain.chat_models

    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-SENTINEL")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-SENTINEL")
    recorded = _Recorded()
    monkeypatch.setattr(langchain.chat_models, "init_chat_model", recorded)
    models_module.cache._cached_chat_model.cache_clear()
    try:
        for spec in ("anthropic:claude-sonnet-4-5", "claude-sonnet-4-5",
                     "google_genai:gemini-2.5-flash", "openai:gpt-4o-mini"):
            load_chat_model(spec, base_url=base_url)
    finally:
        models_module.cache._cached_chat_model.cache_clear()
    for spec, kwargs in recorded.calls:
        if spec.startswith("openai:"):
            # The OpenAI client reads OPENAI_API_KEY itself; with base_url it is passed on.
            assert kwargs.get("api_key") in (None, "sk-openai-SENTINEL")
        else:  # the provider's client reads its own variable
            assert "api_key" not in kwargs, spec
            assert "sk-openai-SENTINEL" not in repr(kwargs), spec


def test_an_explicit_key_goes_to_the_model_it_was_given_for(monkeypatch):
    import langchain.chat_models

    recorded = _Recorded()
    monkeypatch.setattr(langchain.chat_models, "init_chat_model", recorded)
    models_module.cache._cached_chat_model.cache_clear()
    try:
        load_chat_model("anthropic:claude-sonnet-4-5", api_key=SecretStr("sk-explicit-1"))
    finally:
        models_module.cache._cached_chat_model.cache_clear()
    assert recorded.calls[0][1]["api_key"] == "sk-explicit-1"


def test_a_key_in_configurable_reaches_the_model_but_no_checkpoint_or_debug_event(monkeypatch):
    seen: list[Any] = []

    def fake_load(spec: str, **kwargs: Any):
        seen.append(kwargs["api_key"])
        return ScriptedChat.of("answer = 6")

    monkeypatch.setattr(models_module.roles, "load_chat_model", fake_load)
    saver = InMemorySaver()
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver="openai:m",
                        checkpointer=saver)
    config = {"configurable": {"thread_id": "t1", "api_key": SENTINEL, "verify": False}}
    events = list(graph.stream({"question": QUESTION}, config, stream_mode="debug"))
    assert graph.get_state(config).values["answer"] == "6"
    assert [secret_value(k) for k in seen] == [SENTINEL]  # the run still used the key
    history = list(graph.get_state_history(config))
    assert history and all("api_key" not in s.metadata for s in history)
    graph.update_state(config, {"context": ""})  # a manual update writes a checkpoint too
    assert_no_secret(SENTINEL, debug_events=events, history=[s.metadata for s in history],
                     storage=saver.storage, writes=saver.writes, blobs=saver.blobs)


def test_configurable_key_without_checkpointer_changes_nothing_else():
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"),
                        solver=ScriptedChat.of("answer = 6"))
    out = graph.invoke({"question": QUESTION},
                       {"configurable": {"api_key": SENTINEL, "verify": False}})
    assert out["answer"] == "6"


class SlowChat(GenericFakeChatModel):
    """Answers only once ``release`` is set (or after 30 s)."""

    release: Any = None

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self.release.wait(30)
        return ChatResult(generations=[ChatGeneration(message=AIMessage("Final answer: 6"))])


def test_deadline_s_ends_a_call_in_flight():
    release = threading.Event()
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"),
                        solver=SlowChat(messages=iter(()), release=release))
    start = time.monotonic()
    try:
        with pytest.raises(ModelCallError, match=r"timed out: the run's deadline_s=0.5 s"):
            graph.invoke({"question": QUESTION}, context={"verify": False, "deadline_s": 0.5})
        assert time.monotonic() - start < 3  # generous: the model would take 30 s
    finally:
        release.set()


@pytest.mark.parametrize("finish", ["length", "max_tokens", "content_filter"])
@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_cut_short_is_a_typed_error_when_invoked_and_when_streamed(finish, stream):
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"),
                        solver=FinishChat(messages=iter(()), finish=finish))
    with pytest.raises(ModelCallError, match=rf"incomplete.*{finish}") as info:
        if stream:
            list(graph.stream({"question": QUESTION}, context={"verify": False},
                              stream_mode="messages"))
        else:
            graph.invoke({"question": QUESTION}, context={"verify": False})
    assert info.value.role == "solver"
    # A cut reply is billed: the error carries the tokens it reported (a stream's chunks
    # add up), so an eval can count them.
    assert info.value.usage == {"input_tokens": 12, "output_tokens": 7}


@pytest.mark.parametrize("stream", [False, True])
def test_a_reply_that_finished_is_accepted(stream):
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"),
                        solver=FinishChat(messages=iter(()), finish="stop"))
    context = {"verify": False, "solve_scheme": "scaffold"}  # chain of thought: text as written
    if stream:
        chunks = list(graph.stream({"question": QUESTION}, context=context,
                                   stream_mode=["messages", "values"]))
        out = [c for mode, c in chunks if mode == "values"][-1]
    else:
        out = graph.invoke({"question": QUESTION}, context=context)
    assert out["answer"] == "Let me think step by"
