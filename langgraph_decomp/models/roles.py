"""Which model plays each role in a run, and the one helper that calls it: traced with the
role's name and tags, usage counted per role, hosted calls guarded (secrets, deadlines,
finished replies), and errors typed. Nodes are generators of :class:`ModelCall`; :func:`drive`
and :func:`adrive` make the calls they ask for, sync or awaited."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables.config import ensure_config, merge_configs

from langgraph_decomp.context import DEFAULT_DECOMPOSER, DEFAULT_SOLVER, Context
from langgraph_decomp.errors import DecompError, ModelCallError, ModelConfigError
from langgraph_decomp.models.cache import load_chat_model, with_run_options
from langgraph_decomp.models.guard import (
    GuardedChat,
    describe,
    known_secrets,
    run_deadline,
)
from langgraph_decomp.models.llamacpp import LlamaCppChat
from langgraph_decomp.models.specs import is_local
from langgraph_decomp.state import RoleUsage

Role = Literal["decomposer", "solver", "verifier"]
ModelLike = str | BaseChatModel
"""A model string or a ready LangChain chat model."""


def model_label(model: ModelLike) -> str:
    """A readable name for a model (its string, or its class and model name)."""
    if isinstance(model, str):
        return model
    if isinstance(model, LlamaCppChat):
        return model.model_id
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return f"{type(model).__name__}:{name}" if isinstance(name, str) else type(model).__name__


@dataclass(frozen=True)
class RoleModels:
    """The graph's default model per role (strings or ready chat models)."""

    decomposer: ModelLike = DEFAULT_DECOMPOSER
    solver: ModelLike = DEFAULT_SOLVER
    verifier: ModelLike | None = None

    def pick(self, role: Role, ctx: Context) -> ModelLike:
        """The model for ``role``: the run's context first, then these defaults."""
        if role == "verifier":
            return ctx.verifier or self.verifier or ctx.solver or self.solver
        return getattr(ctx, role) or getattr(self, role)

    def hosted(self, role: Role, ctx: Context) -> bool:
        """Whether ``role`` runs on a hosted (non-local) model in this run: a model string
        that is not local, or a ready chat model that does not run in this process. The one
        rule behind guarded calls, ``max_hosted_tokens`` and the eval's hosted tokens."""
        choice = self.pick(role, ctx)
        if isinstance(choice, str):
            return not is_local(choice)
        return not getattr(choice, "runs_in_process", False)

    def run_roles(self, ctx: Context) -> dict[str, dict[str, Any]]:
        """Each role's model label and whether it is hosted, in this run."""
        return {role: {"model": model_label(self.pick(role, ctx)),
                       "hosted": self.hosted(role, ctx)}
                for role in ("decomposer", "solver", "verifier")}

    def resolve(self, role: Role, ctx: Context) -> tuple[BaseChatModel, str]:
        """The chat model for ``role`` and its label."""
        choice = self.pick(role, ctx)
        label = model_label(choice)
        max_tokens = getattr(ctx, f"{role}_max_tokens")
        penalty = ctx.decomposer_repeat_penalty if role == "decomposer" else None
        try:
            if isinstance(choice, str):
                model = load_chat_model(
                    choice,
                    max_tokens=max_tokens,
                    temperature=ctx.temperature,
                    base_url=ctx.endpoint(role),
                    api_key=ctx.api_key,
                    timeout=ctx.request_timeout,
                    max_retries=ctx.max_retries,
                )
                if penalty is None:
                    return model, label
            else:
                model = choice
            return with_run_options(model, temperature=ctx.temperature,
                                    max_tokens=max_tokens, repeat_penalty=penalty), label
        except ModelConfigError as e:
            error = e
        # Raised outside the except block so the error's __context__ stays empty; only a
        # local loader's cause (a missing file, ...) is kept.
        raise ModelConfigError(f"[{role}] {error}", role=role, model=label) from error.__cause__


@dataclass(frozen=True)
class ModelCall:
    """One model call a node asks for: what :func:`call_model` / :func:`acall_model` take.

    Nodes and solving schemes are generators that yield these and are sent back each call's
    ``(text, usage)``, so one body of logic serves the sync and the async graph alike
    (:func:`drive`, :func:`adrive`).
    """

    role: Role
    ctx: Context
    messages: Sequence[BaseMessage]
    run_name: str
    local_stop: Sequence[str] = ()
    started_at: float | None = None


Reply = tuple[str, dict[str, RoleUsage]]
"""A call's text and its usage update for the state."""

T = TypeVar("T")
Steps = Generator[ModelCall, Reply, T]
"""A computation that makes model calls: yields :class:`ModelCall`, returns ``T``."""


def drive(steps: Steps[T], models: RoleModels) -> T:
    """Run ``steps``, making each model call it asks for with :func:`call_model`."""
    try:
        call = next(steps)
        while True:
            call = steps.send(call_model(call.role, models, call.ctx, call.messages,
                                         run_name=call.run_name, local_stop=call.local_stop,
                                         started_at=call.started_at))
    except StopIteration as done:
        return done.value


async def adrive(steps: Steps[T], models: RoleModels) -> T:
    """Run ``steps``, awaiting each model call it asks for with :func:`acall_model`."""
    try:
        call = next(steps)
        while True:
            reply = await acall_model(call.role, models, call.ctx, call.messages,
                                      run_name=call.run_name, local_stop=call.local_stop,
                                      started_at=call.started_at)
            call = steps.send(reply)
    except StopIteration as done:
        return done.value


def ask(call: ModelCall) -> Steps[Reply]:
    """One model call as :data:`Steps`: ``text, usage = yield from ask(call)``."""
    return (yield call)


class _UsageCallback(UsageMetadataCallbackHandler):
    """Sums a call's token usage, inline: a sync handler that is not ``run_inline`` is run
    in the event loop's default thread pool for every event of an awaited call, which would
    put each call back behind LangGraph's few threads. Its work is a locked dict update."""

    run_inline = True


@dataclass
class _Prepared:
    """A call ready to be made: the (guarded) model, its config and what reads its reply."""

    role: Role
    label: str
    model: BaseChatModel
    secrets: tuple[str, ...]
    config: Any
    stop: dict[str, Any]
    usage_cb: _UsageCallback
    hosted: bool


def _prepare(role: Role, models: RoleModels, ctx: Context, messages: Sequence[BaseMessage],
             *, run_name: str, local_stop: Sequence[str],
             started_at: float | None) -> _Prepared:
    model, label = models.resolve(role, ctx)
    choice = models.pick(role, ctx)
    # A local model object (a teacher with its own options, say) is local as its string is.
    local = not models.hosted(role, ctx)
    secrets = known_secrets(ctx, model)
    if not local:
        built_here = isinstance(choice, str)  # made by `hosted_chat_model`, not the caller
        model = GuardedChat.around(
            model, role=role, label=label, built_here=built_here, secrets=secrets,
            timeout_s=ctx.request_timeout if built_here else None,
            run_deadline=run_deadline(ctx, started_at), deadline_s=ctx.deadline_s,
        )
    stop = {"stop": list(local_stop)} if local_stop and local else {}
    usage_cb = _UsageCallback()
    # Merge into the node's config so parent callbacks (tracers, stream handlers) still see
    # the call; replacing `callbacks` would cut the model run out of the trace.
    config = merge_configs(
        ensure_config(),
        {
            "run_name": run_name,
            "tags": [f"role:{role}"],
            "metadata": {"role": role, "model": label},
            "callbacks": [usage_cb],
        },
    )
    return _Prepared(role, label, model, secrets, config, stop, usage_cb, not local)


def _call_error(prep: _Prepared, error: Exception) -> DecompError:
    """What a failed call raises: our own error without its chain, or a scrubbed
    :class:`ModelCallError` for a local model's own failure (hosted ones arrive as
    :class:`DecompError` from :class:`~langgraph_decomp.models.guard.GuardedChat`)."""
    if isinstance(error, DecompError):
        error.__cause__ = error.__context__ = None
        return error
    return ModelCallError(f"The {prep.role} model {prep.label!r} failed: "
                          f"{describe(error, prep.secrets)}", role=prep.role, model=prep.label)


def _reply(prep: _Prepared, response: Any) -> Reply:
    text = response.text if isinstance(response, AIMessage) else str(response.content)
    totals = list(prep.usage_cb.usage_metadata.values())
    if not totals and isinstance(response, AIMessage) and response.usage_metadata:
        totals = [response.usage_metadata]
    usage: RoleUsage = {
        "input_tokens": sum(int(u.get("input_tokens", 0)) for u in totals),
        "output_tokens": sum(int(u.get("output_tokens", 0)) for u in totals),
        "calls": 1,
        "model": prep.label,
        "hosted": prep.hosted,
    }
    return text, {prep.role: usage}


def call_model(
    role: Role,
    models: RoleModels,
    ctx: Context,
    messages: Sequence[BaseMessage],
    *,
    run_name: str,
    local_stop: Sequence[str] = (),
    started_at: float | None = None,
) -> Reply:
    """Call the model for ``role`` and return its text and a usage update for the state.

    The call is traced as ``run_name`` with the tag ``role:<role>`` and the model string in
    metadata. Failures become :class:`ModelCallError` naming the role and model.
    ``local_stop`` ends a local model's reply at the first of these strings (a small model
    may loop until its token cap); hosted models are not sent it, as some APIs reject
    ``stop`` (OpenAI's reasoning models).

    A hosted model string's call is bounded as a whole by ``ctx.request_timeout``; every
    non-local call (a ready chat model too) also ends when the run's ``ctx.deadline_s``
    passes, counted from ``started_at`` (default: the run's ``started_at`` in the graph
    state). A reply cut at its token cap (``finish_reason`` ``length``) or by a dropped
    stream is a :class:`ModelCallError`, whether the model streams or not. Known secrets
    (``ctx.api_key``, the model's own keys, API keys in the environment) are scrubbed from
    every error before callbacks see it, and no error carries the provider's exception.
    :func:`acall_model` is the same call, awaited.
    """
    prep = _prepare(role, models, ctx, messages, run_name=run_name, local_stop=local_stop,
                    started_at=started_at)
    error: DecompError | None = None
    try:
        response = prep.model.invoke(list(messages), config=prep.config, **prep.stop)
    except Exception as e:
        error = _call_error(prep, e)
    # Raised here, outside the except block: nothing chains to the provider's exception.
    if error is not None:
        raise error
    return _reply(prep, response)


async def acall_model(
    role: Role,
    models: RoleModels,
    ctx: Context,
    messages: Sequence[BaseMessage],
    *,
    run_name: str,
    local_stop: Sequence[str] = (),
    started_at: float | None = None,
) -> Reply:
    """:func:`call_model`, awaited: a hosted model through its provider's async client
    (no thread held while it waits), a local model in a worker thread (its first load too),
    so the event loop keeps serving other runs. Same tracing, errors and guarantees."""
    choice = models.pick(role, ctx)
    prepare = functools.partial(_prepare, role, models, ctx, messages, run_name=run_name,
                                local_stop=local_stop, started_at=started_at)
    # Resolving a local model string may load weights (seconds): not on the event loop.
    prep = (await asyncio.to_thread(prepare) if isinstance(choice, str) and is_local(choice)
            else prepare())
    error: DecompError | None = None
    try:
        response = await prep.model.ainvoke(list(messages), config=prep.config, **prep.stop)
    except Exception as e:
        error = _call_error(prep, e)
    if error is not None:
        raise error
    return _reply(prep, response)
