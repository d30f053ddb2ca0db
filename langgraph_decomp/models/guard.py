"""How the graph calls a hosted (or any non-local) chat model: secrets kept out of errors,
callbacks and traces; a deadline on the whole call; only finished replies accepted.

:func:`langgraph_decomp.models.roles.call_model` wraps each such call in :class:`GuardedChat`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import os
import queue
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel
from pydantic import PrivateAttr, SecretStr

from langgraph_decomp.context import Context
from langgraph_decomp.errors import DecompError, ModelCallError


def secret_value(key: str | SecretStr | None) -> str | None:
    """The plain text of an API key given as a string or a ``SecretStr``."""
    if isinstance(key, SecretStr):
        return key.get_secret_value() or None
    return key or None


# --- Secrets -----------------------------------------------------------------------------

_SECRET_ENV_NAME = re.compile(r"API_KEY|ACCESS_KEY|SECRET|TOKEN|PASSWORD", re.IGNORECASE)
"""Environment variables whose values are scrubbed from errors (``OPENAI_API_KEY``, ...)."""

_SECRET_PATTERNS = (
    re.compile(r"(?i)(\bbearer\s+)[^\s\"'`,;)}\]]{6,}"),
    re.compile(r"(?i)(\b(?:x-)?api[-_]?key[\"']?\s*[:=]\s*[\"']?)[^\s\"'`,;)}\]]{6,}"),
)
"""Credentials in a known shape, scrubbed even when the key itself is unknown (a server
echoing ``Authorization: Bearer ...`` or ``x-api-key: ...`` in its error body)."""

MAX_ERROR_DETAIL = 2_000
"""Characters of a provider's error message kept in a :class:`ModelCallError`."""


def env_secrets() -> tuple[str, ...]:
    """Values of the environment's API-key-like variables (8 characters or more).

    Read anew whenever the environment changed since the last call (every model call asks;
    scanning every variable each time cost a millisecond a call)."""
    items = tuple(os.environ.items())
    cached = _ENV_SECRETS.get(items)
    if cached is None:
        cached = tuple(v for k, v in items if _SECRET_ENV_NAME.search(k) and len(v) >= 8)
        _ENV_SECRETS.clear()
        _ENV_SECRETS[items] = cached
    return cached


_ENV_SECRETS: dict[tuple[tuple[str, str], ...], tuple[str, ...]] = {}
"""The last environment seen by :func:`env_secrets` and its secrets."""


def known_secrets(ctx: Context, model: Any) -> tuple[str, ...]:
    """Every secret a call may involve: the run's key, credentials in ``base_url``, the
    model's own keys (``SecretStr`` fields, auth headers) and API keys in the environment.
    Longest first, so a key that contains another is replaced whole."""
    found = [secret_value(ctx.api_key) or ""]
    for url in (ctx.base_url, ctx.decomposer_base_url, ctx.solver_base_url,
                ctx.verifier_base_url):
        if url:  # a valid URL: Context checked it
            found.append(urlsplit(url).password or "")
    for value in getattr(model, "__dict__", {}).values():
        if isinstance(value, SecretStr):
            found.append(value.get_secret_value())
        elif isinstance(value, Mapping):  # default_headers={"Authorization": "Bearer ..."}
            found += [v for k, v in value.items() if isinstance(v, str) and isinstance(k, str)
                      and re.search(r"(?i)auth|key|token|secret", k)]
    found += env_secrets()
    return tuple(sorted({f for f in found if len(f) >= 4}, key=len, reverse=True))


def scrub(text: str, secrets: str | Sequence[str] | None) -> str:
    """``text`` with every secret, and anything shaped like a bearer token or an API key
    header, replaced by ``***``."""
    for secret in (secrets,) if isinstance(secrets, str) else secrets or ():
        if secret:
            text = text.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


def describe(error: BaseException, secrets: Sequence[str]) -> str:
    """A provider error as one scrubbed line: its class, message and any ``Retry-After``."""
    detail = f"{type(error).__name__}: {error}"
    if len(detail) > MAX_ERROR_DETAIL:
        detail = detail[:MAX_ERROR_DETAIL] + " [...]"
    headers = getattr(getattr(error, "response", None), "headers", None)
    try:
        retry_after = headers.get("retry-after") if headers is not None else None
    except Exception:
        retry_after = None
    if retry_after:
        detail += f" ({_retry_after_note(str(retry_after))})"
    return scrub(detail, secrets)


def _retry_after_note(value: str) -> str:
    try:
        seconds = float(value)
    except ValueError:
        return f"the server asked to retry after {value[:40]}"
    limit: float | None
    try:
        from openai._constants import MAX_RETRY_AFTER_DELAY

        limit = MAX_RETRY_AFTER_DELAY
    except ImportError:  # pragma: no cover - another openai version
        limit = None
    if limit is not None and seconds > limit:
        return (f"the server asked to retry after {seconds:g} s, longer than the provider "
                f"client waits ({limit:g} s), so max_retries was not used")
    return f"the server asked to retry after {seconds:g} s"


# --- Deadlines -----------------------------------------------------------------------------

OPENAI_SDK_PROVIDERS = frozenset({"openai", "azure_openai"})
"""Providers built on the ``openai`` SDK, whose HTTP client the graph supplies (with the
per-call deadline hooks below)."""


def provider_of(spec: str) -> str | None:
    """The ``init_chat_model`` provider of a model string (``"openai:x"`` -> ``"openai"``)."""
    try:
        from langchain.chat_models.base import _parse_model

        return _parse_model(spec, None)[1]
    except Exception:  # unknown provider: init_chat_model reports it
        return spec.split(":", 1)[0].lower() if ":" in spec else None


class _CallAbandoned(BaseException):
    """Stops the worker thread of a call whose caller gave up (its deadline passed).

    A ``BaseException``: the provider client's retry loop catches ``Exception`` and would
    otherwise start another attempt, or sleep its backoff first.
    """


class _CallCannotFinish(BaseException):
    """Ends a call at once that cannot finish in the time left (a ``Retry-After`` longer
    than that); its message is the reason. A ``BaseException`` for the reason above."""


class _CallState:
    """One model call's deadline (``time.monotonic()``), why it ends then, and the last
    HTTP status seen (for the timeout message)."""

    def __init__(self, deadline: float | None, bound: str) -> None:
        self.deadline = deadline
        self.bound = bound  # what sets the deadline: "request_timeout=0.5 s", ...
        self.started = time.monotonic()
        self.abandoned = threading.Event()
        self.last_status: int | None = None
        self.retry_after: str | None = None

    def left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def over(self) -> bool:
        left = self.left()
        return self.abandoned.is_set() or (left is not None and left <= 0)

    def stop_if_over(self) -> None:
        if self.over():
            raise _CallAbandoned

    def timeout_detail(self) -> str:
        detail = f"timed out: {self.bound} passed (after {time.monotonic() - self.started:.1f} s)"
        if self.last_status is not None and self.last_status >= 400:
            detail += f"; last response: HTTP {self.last_status}"
            if self.retry_after:
                detail += f", {_retry_after_note(self.retry_after)}"
        return detail


_CALL: ContextVar[_CallState | None] = ContextVar("langgraph_decomp_call", default=None)
"""The call in progress in this thread (read by the HTTP hooks)."""


def _on_request(request: Any) -> None:
    """httpx request hook: no attempt starts past the call's deadline, and each phase of
    one (connect, write, every read) may take at most the time left."""
    call = _CALL.get()
    if call is None:
        return
    call.stop_if_over()
    left = call.left()
    if left is not None:
        timeout: dict[str, Any] = {"connect": None, "read": None, "write": None, "pool": None}
        timeout.update(request.extensions.get("timeout") or {})
        request.extensions["timeout"] = {
            k: left if v is None else min(float(v), left) for k, v in timeout.items()
        }


@functools.lru_cache(maxsize=1)
def _deadline_stream_class() -> type:
    try:  # the httpx flavour the installed openai SDK uses (httpx2 for openai>=3)
        from langchain_openai._compat import httpx
    except ImportError:  # pragma: no cover - older langchain-openai
        import httpx

    class DeadlineStream(httpx.SyncByteStream):
        """A response body that stops at the call's deadline, however slowly its bytes come
        (an httpx read timeout only bounds the wait for each one)."""

        def __init__(self, inner: Any, call: _CallState) -> None:
            self._inner, self._call = inner, call

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._inner:
                self._call.stop_if_over()
                yield chunk

        def close(self) -> None:
            self._inner.close()

    return DeadlineStream


def _note_response(response: Any) -> _CallState | None:
    """Remember a response's status for the call in progress; end the call at once when its
    ``Retry-After`` is longer than the time left."""
    call = _CALL.get()
    if call is None:
        return None
    call.last_status = response.status_code
    call.retry_after = response.headers.get("retry-after")
    left = call.left()
    if call.retry_after and left is not None and response.status_code in (429, 503):
        try:
            wait = float(call.retry_after)
        except ValueError:
            wait = 0.0
        if wait > left:  # waiting would outlast the call: say so now, not at the deadline
            note = _retry_after_note(call.retry_after)
            if "not used" not in note:
                note += f", more than the {max(left, 0):.1f} s left of {call.bound}"
            raise _CallCannotFinish(f"HTTP {response.status_code}: {note}")
    return call


def _on_response(response: Any) -> None:
    """httpx response hook: remember the status and bound the body by the deadline."""
    call = _note_response(response)
    if call is not None:
        response.stream = _deadline_stream_class()(response.stream, call)


async def _aon_request(request: Any) -> None:
    """Async httpx request hook: :func:`_on_request`."""
    _on_request(request)


async def _aon_response(response: Any) -> None:
    """Async httpx response hook: the status and ``Retry-After`` check of
    :func:`_on_response`; the body needs no wrapper, as ``asyncio.timeout`` bounds the whole
    awaited call."""
    _note_response(response)


def deadline_http_client() -> Any:
    """An ``openai`` SDK HTTP client (its defaults, proxies from the environment) with the
    per-call deadline hooks."""
    import openai

    return openai.DefaultHttpxClient(
        event_hooks={"request": [_on_request], "response": [_on_response]}
    )


def deadline_async_http_client() -> Any:
    """The ``openai`` SDK's async HTTP client with the per-call deadline hooks."""
    import openai

    return openai.DefaultAsyncHttpxClient(
        event_hooks={"request": [_aon_request], "response": [_aon_response]}
    )


def run_deadline(ctx: Context, started_at: float | None) -> float | None:
    """When the run's ``deadline_s`` passes, on the ``time.monotonic()`` clock."""
    if ctx.deadline_s is None:
        return None
    if started_at is None:
        started_at = _state_started_at()
    if started_at is None:
        return None
    return time.monotonic() + (started_at + ctx.deadline_s - time.time())


def _state_started_at() -> float | None:
    """The run's ``started_at`` from the graph state, read from inside a node, or ``None``
    (outside a graph run, or a LangGraph version without the read hook)."""
    try:
        from langgraph.config import get_config

        read = get_config()["configurable"].get("__pregel_read")  # CONFIG_KEY_READ
        value = read("started_at", False) if read is not None else None
    except Exception:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


# --- The guarded call ----------------------------------------------------------------------

_CUT_REASONS = {
    "length": "it reached its token cap",
    "max_tokens": "it reached its token cap",
    "MAX_TOKENS": "it reached its token cap",
    "content_filter": "the provider's content filter stopped it",
}
"""``finish_reason`` / ``stop_reason`` values of a reply that did not end by itself."""

_ITEM, _DONE, _FAILED = "item", "done", "failed"


def _finish_reason(generation: Any) -> str | None:
    info = getattr(generation, "generation_info", None) or {}
    meta = getattr(getattr(generation, "message", None), "response_metadata", None) or {}
    for source in (info, meta):
        for key in ("finish_reason", "stop_reason"):
            if source.get(key):
                return str(source[key])
    return None


def _usage(generation: Any, spent: dict[str, int] | None = None) -> dict[str, int] | None:
    """``spent`` plus the input and output tokens ``generation`` reports (a stream reports
    them on one chunk, or split over several: they add up), ``None`` while none is known."""
    reported = getattr(getattr(generation, "message", None), "usage_metadata", None)
    if not reported:
        return spent
    total = dict(spent or {"input_tokens": 0, "output_tokens": 0})
    for key in ("input_tokens", "output_tokens"):
        total[key] += int(reported.get(key) or 0)
    return total


_END = object()
"""The end of a stream, as :func:`_next_or_end` reports it."""


async def _next_or_end(stream: AsyncIterator[Any]) -> Any:
    try:
        return await anext(stream)
    except StopAsyncIteration:
        return _END


class GuardedChat(BaseChatModel):
    """How the graph calls a non-local chat model: the model run its callbacks see.

    The wrapped model is called without the run's callbacks, in a worker thread, so that
    (1) its raw errors (which hold the request, its headers and any key a server echoed)
    never reach a callback, a tracer or the caller: each becomes one scrubbed line and a
    :class:`ModelCallError` is raised instead; (2) the caller waits no longer than the
    call's deadline (``request_timeout`` for a model built from a string, the run's
    ``deadline_s`` for any), whatever the provider client does (slow bytes, backoff sleeps,
    ``Retry-After``); (3) a reply cut at its token cap, or a stream that ends before its
    finish, is an error the same way whether the call streams or not.

    A model built from a string is called through its ``_generate`` / ``_stream`` (no
    callbacks at all); a ready chat model of the caller's through ``invoke`` / ``stream``
    with no callbacks and tracing off, so its own rate limiter and cache still apply.
    """

    _inner: BaseChatModel = PrivateAttr()
    _role: str = PrivateAttr(default="")
    _label: str = PrivateAttr(default="")
    _built_here: bool = PrivateAttr(default=False)
    _strict: bool = PrivateAttr(default=False)
    _secrets: tuple[str, ...] = PrivateAttr(default=())
    _timeout_s: float | None = PrivateAttr(default=None)
    _run_deadline: float | None = PrivateAttr(default=None)
    _deadline_s: float | None = PrivateAttr(default=None)

    @classmethod
    def around(
        cls, inner: BaseChatModel, *, role: str, label: str, built_here: bool,
        secrets: tuple[str, ...], timeout_s: float | None, run_deadline: float | None,
        deadline_s: float | None = None,
    ) -> GuardedChat:
        """Wrap ``inner`` for one call."""
        guard = cls(cache=None if built_here else False,
                    disable_streaming=getattr(inner, "disable_streaming", False))
        guard._inner, guard._role, guard._label = inner, role, label
        guard._built_here, guard._secrets = built_here, secrets
        guard._timeout_s, guard._run_deadline = timeout_s, run_deadline
        guard._deadline_s = deadline_s
        try:
            from langchain_openai.chat_models.base import BaseChatOpenAI

            guard._strict = isinstance(inner, BaseChatOpenAI)  # its streams end with a finish
        except ImportError:  # pragma: no cover
            pass
        return guard

    # Traces show the wrapped model, as if it had been called directly.
    @property
    def _llm_type(self) -> str:
        return self._inner._llm_type

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return dict(self._inner._identifying_params)

    def _get_invocation_params(self, stop: list[str] | None = None,
                               **kwargs: Any) -> dict[str, Any]:
        return self._inner._get_invocation_params(stop=stop, **kwargs)

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        return self._inner._get_ls_params(stop=stop, **kwargs)

    def to_json(self) -> Any:
        """Serialize as the wrapped model (what tracers record)."""
        return self._inner.to_json()

    def _error(self, detail: str, usage: dict[str, int] | None = None) -> ModelCallError:
        return ModelCallError(f"The {self._role} model {self._label!r} failed: {detail}",
                              role=self._role, model=self._label, usage=usage)

    def _call_state(self) -> _CallState:
        now = time.monotonic()
        bounds: list[tuple[float, str]] = []
        if self._timeout_s is not None:
            bounds.append((now + self._timeout_s, f"request_timeout={self._timeout_s:g} s"))
        if self._run_deadline is not None:
            bounds.append((self._run_deadline, f"the run's deadline_s={self._deadline_s:g} s"
                           if self._deadline_s is not None else "the run's deadline_s"))
        if not bounds:
            return _CallState(None, "")
        return _CallState(*min(bounds))

    def _through_worker(self, produce: Any) -> Iterator[Any]:
        """Run ``produce()`` (an iterator over the wrapped model's output) in a worker
        thread; yield its items until it ends, fails or the call's deadline passes."""
        call = self._call_state()
        out: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        secrets = self._secrets

        def work() -> None:
            _CALL.set(call)
            try:
                from langsmith.run_helpers import tracing_context

                with tracing_context(enabled=False):
                    for item in produce():
                        if call.abandoned.is_set():
                            return
                        out.put((_ITEM, item))
            except _CallAbandoned:
                return
            except _CallCannotFinish as e:
                out.put((_FAILED, str(e)))
            except DecompError as e:  # already one of ours (a nested graph's, ...)
                out.put((_FAILED, e))
            except Exception as e:  # only a scrubbed line leaves this thread
                out.put((_FAILED, describe(e, secrets)))
            except BaseException as e:  # KeyboardInterrupt, SystemExit: the caller's to see
                out.put((_FAILED, e))
            else:
                out.put((_DONE, None))

        worker = threading.Thread(target=contextvars.copy_context().run, args=(work,),
                                  name=f"langgraph-decomp-{self._role}", daemon=True)
        worker.start()
        failure: Any = None
        try:
            while True:
                left = call.left()
                try:
                    kind, value = out.get(timeout=None if left is None else max(left, 0.0))
                except queue.Empty:
                    failure = call.timeout_detail()
                    break
                if kind == _ITEM:
                    yield value
                elif kind == _DONE:
                    return
                else:
                    # A client's own timeout at the deadline reads better as the deadline.
                    failure = call.timeout_detail() if call.over() else value
                    break
        finally:
            call.abandoned.set()  # a worker still running stops at its next byte or attempt
        if isinstance(failure, BaseException):  # a DecompError, KeyboardInterrupt, ...
            raise failure
        raise self._error(str(failure))

    def _check_finish(self, finish: str | None, *, streamed: bool, got_content: bool,
                      usage: dict[str, int] | None = None) -> None:
        """Raise :class:`ModelCallError` for a reply that did not end by itself, carrying the
        ``usage`` it reported: a reply cut at its cap is billed all the same."""
        problem = None
        if finish in _CUT_REASONS:
            problem = (f"its reply is incomplete: {_CUT_REASONS[finish]} (finish_reason "
                       f"{finish!r}); raise Context.{self._role}_max_tokens or shorten the "
                       "prompt")
        elif streamed and self._strict and finish is None:
            problem = ("the reply stream ended before the reply was finished (no "
                       "finish_reason: the connection dropped or the server cut the stream)"
                       if got_content else "the reply stream held no reply (no choices)")
        if problem:
            raise self._error(problem, usage)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        inner = self._inner

        def produce() -> Iterator[Any]:
            if self._built_here:
                yield inner._generate(messages, stop=stop, **kwargs)
            else:
                yield inner.invoke(messages, config={"callbacks": []}, stop=stop, **kwargs)

        (item,) = list(self._through_worker(produce))
        if isinstance(item, ChatResult):
            result = item
        else:
            result = ChatResult(generations=[ChatGeneration(message=item)])
        if not result.generations:
            raise self._error("the reply held no choices")
        self._check_finish(_finish_reason(result.generations[0]), streamed=False,
                           got_content=True, usage=_usage(result.generations[0]))
        return result

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGenerationChunk

        inner = self._inner

        def produce() -> Iterator[Any]:
            if self._built_here:
                return inner._stream(messages, stop=stop, **kwargs)
            return inner.stream(messages, config={"callbacks": []}, stop=stop, **kwargs)

        finish, got_content, usage = None, False, None
        for item in self._through_worker(produce):
            chunk = item if isinstance(item, ChatGenerationChunk) else ChatGenerationChunk(
                message=item
            )
            finish = _finish_reason(chunk) or finish
            got_content = got_content or bool(chunk.text)
            usage = _usage(chunk, usage)
            yield chunk
        self._check_finish(finish, streamed=True, got_content=got_content, usage=usage)

    async def _guarded(self, produce: Callable[[], Awaitable[Any]],
                       call: _CallState | None = None) -> Any:
        """Await ``produce()`` (the wrapped model's call, or a stream's next chunk) within
        what is left of the call's deadline, with tracing off and the call visible to the
        HTTP hooks; every failure leaves as one scrubbed :class:`ModelCallError` (or our own
        error), chained to nothing."""
        call = call or self._call_state()
        failure: Any = None
        token = _CALL.set(call)
        try:
            from langsmith.run_helpers import tracing_context

            with tracing_context(enabled=False):
                async with asyncio.timeout(call.left()):
                    return await produce()
        except _CallCannotFinish as e:
            failure = str(e)
        except (TimeoutError, _CallAbandoned):
            failure = call.timeout_detail()
        except DecompError as e:  # already one of ours (a nested graph's, ...)
            failure = e
        except Exception as e:  # only a scrubbed line leaves here
            failure = call.timeout_detail() if call.over() else describe(e, self._secrets)
        finally:
            _CALL.reset(token)
        # Raised outside the except blocks: nothing chains to the provider's exception.
        if isinstance(failure, DecompError):
            failure.__cause__ = failure.__context__ = None
            raise failure
        raise self._error(str(failure))

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        inner = self._inner

        async def produce() -> Any:
            if self._built_here:
                return await inner._agenerate(messages, stop=stop, **kwargs)
            return await inner.ainvoke(messages, config={"callbacks": []}, stop=stop, **kwargs)

        item = await self._guarded(produce)
        result = item if isinstance(item, ChatResult) else ChatResult(
            generations=[ChatGeneration(message=item)])
        if not result.generations:
            raise self._error("the reply held no choices")
        self._check_finish(_finish_reason(result.generations[0]), streamed=False,
                           got_content=True, usage=_usage(result.generations[0]))
        return result

    async def _astream(self, messages, stop=None, run_manager=None, **kwargs) -> AsyncIterator[Any]:
        from langchain_core.outputs import ChatGenerationChunk

        inner = self._inner
        stream: AsyncIterator[Any]
        if self._built_here:
            stream = inner._astream(messages, stop=stop, **kwargs)
        else:
            stream = inner.astream(messages, config={"callbacks": []}, stop=stop, **kwargs)
        call = self._call_state()
        finish, got_content, usage = None, False, None
        try:
            while True:
                # Each wait is bounded by what is left of the whole call (the chunks are
                # yielded outside the timeout, to a consumer that is not ours to cancel).
                item = await self._guarded(functools.partial(_next_or_end, stream), call)
                if item is _END:
                    break
                chunk = item if isinstance(item, ChatGenerationChunk) else ChatGenerationChunk(
                    message=item)
                finish = _finish_reason(chunk) or finish
                got_content = got_content or bool(chunk.text)
                usage = _usage(chunk, usage)
                yield chunk
        finally:
            with contextlib.suppress(BaseException):
                await stream.aclose()  # type: ignore[union-attr]  # both are async generators; AsyncIterator has no aclose
        self._check_finish(finish, streamed=True, got_content=got_content, usage=usage)
