"""Build the decompose → solve → verify → aggregate graph."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from langgraph.cache.base import BaseCache
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore
from langgraph.types import CachePolicy, Checkpointer

from langgraph_decomp.context import DEFAULT_DECOMPOSER, DEFAULT_SOLVER, Context
from langgraph_decomp.errors import InvalidInputError
from langgraph_decomp.models import LS_INTEGRATION, ModelLike, RoleModels
from langgraph_decomp.nodes import (
    aggregate_core,
    decompose_core,
    node,
    route,
    solve_core,
    verify_core,
)
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts
from langgraph_decomp.state import InputState, OutputState, SolveTask, State


def solve_cache_key(task: SolveTask) -> str:
    """The node-cache key of a ``solve`` task: its payload as canonical JSON.

    LangGraph's default key pickles the payload, and pickle's bytes depend on which equal
    strings happen to be one object (a step answer read back from a checkpoint or a cache is
    a new object; one computed in this process may be shared), so the same task got
    different keys in different processes and a shared cache (Redis, Postgres) missed.
    """
    return json.dumps(task, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def build_graph(
    *,
    decomposer: ModelLike = DEFAULT_DECOMPOSER,
    solver: ModelLike = DEFAULT_SOLVER,
    verifier: ModelLike | None = None,
    prompts: Prompts = DEFAULT_PROMPTS,
    checkpointer: Checkpointer = None,
    cache: BaseCache[Any] | None = None,
    store: BaseStore | None = None,
    name: str = "langgraph-decomp",
) -> CompiledStateGraph[State, Context, InputState, OutputState]:
    """Compile the decomposition graph.

    Models are model strings (see :mod:`langgraph_decomp.models`) or ready LangChain chat
    models; they are defaults that a run can override through ``context`` or
    ``config["configurable"]``. Nothing is loaded until a run needs it.

    Args:
        decomposer: Model that writes the sub-questions.
        solver: Model that answers the sub-questions and the question.
        verifier: Model that checks the answer; ``None`` uses the solver.
        prompts: Every template the nodes send (:class:`~langgraph_decomp.Prompts`); a
            distilled decomposer wants the prompts it was trained on.
        checkpointer: A LangGraph checkpointer (``InMemorySaver``, ``SqliteSaver``,
            ``PostgresSaver``, ...) so an interrupted run resumes on its ``thread_id`` without
            re-paying finished steps, on this process or any other sharing the database.
        cache: A LangGraph node cache (``InMemoryCache``, ``SqliteCache``, ``RedisCache``,
            ...): repeated identical solver tasks are served from it across runs, threads
            and (for a shared backend) processes. ``usage``
            still reports what a cached answer cost when it was computed; in
            ``stream_mode="updates"`` a served task is marked ``{"__metadata__": {"cached":
            True}}``.
        store: A LangGraph store.
        name: The graph's name in traces.

    Raises:
        InvalidInputError: ``checkpointer``, ``cache`` or ``store`` is not a LangGraph saver,
            cache or store (a database URL, say), naming the argument in ``field``.

    Example:
        >>> from langgraph.checkpoint.postgres import PostgresSaver  # doctest: +SKIP
        >>> with PostgresSaver.from_conn_string(DATABASE_URL) as saver:  # doctest: +SKIP
        ...     saver.setup()
        ...     graph = build_graph(solver="openai:gpt-4o-mini", checkpointer=saver)
        ...     graph.invoke({"question": "..."}, {"configurable": {"thread_id": "q-17"}})
    """
    _check_backend("checkpointer", checkpointer, (BaseCheckpointSaver, bool),
                   "a saver such as PostgresSaver(pool) or InMemorySaver()",
                   "PostgresSaver.from_conn_string(url)")
    _check_backend("cache", cache, (BaseCache,), "a node cache such as RedisCache(client) or "
                   "InMemoryCache()", "RedisCache(redis.Redis.from_url(url))")
    _check_backend("store", store, (BaseStore,), "a store such as InMemoryStore()",
                   "PostgresStore.from_conn_string(url)")
    models = RoleModels(decomposer=decomposer, solver=solver, verifier=verifier)
    builder = StateGraph(
        State, context_schema=Context, input_schema=InputState, output_schema=OutputState
    )
    if not isinstance(prompts, Prompts):
        raise TypeError(f"prompts must be a Prompts, got {type(prompts).__name__}")
    # Every node has a sync and an async body: under `ainvoke` the model calls are awaited.
    builder.add_node("decompose", node(decompose_core, "decompose", models=models,
                                       prompts=prompts))
    # With a `cache`, a solve task identical to an earlier one (same question, plan, answers
    # so far, feedback, solver and knobs) is answered from the cache, not the solver.
    builder.add_node("solve", node(solve_core, "solve", models=models, prompts=prompts),
                     cache_policy=CachePolicy(key_func=solve_cache_key))
    builder.add_node("verify", node(verify_core, "verify", models=models, prompts=prompts))
    builder.add_node("aggregate", node(aggregate_core, "aggregate", models=models,
                                       prompts=prompts))
    builder.add_edge(START, "decompose")
    router = partial(route, models=models, prompts=prompts)
    builder.add_conditional_edges("decompose", router, ["solve", "aggregate"])
    builder.add_edge("solve", "verify")
    builder.add_conditional_edges("verify", router, ["solve", "aggregate"])
    builder.add_edge("aggregate", END)
    compiled = builder.compile(checkpointer=checkpointer, cache=cache, store=store, name=name)
    graph = _DecompGraph(**{k: v for k, v in vars(compiled).items() if k != "__orig_class__"},
                         decomp_models=models, decomp_prompts=prompts)
    return graph.with_config(metadata={"ls_integration": LS_INTEGRATION})


def _check_backend(name: str, value: object, kinds: tuple[type, ...], example: str,
                   from_url: str) -> None:
    """A typed error for an argument that is not a LangGraph backend object."""
    if value is not None and not isinstance(value, kinds):
        hint = f" (for a URL: {from_url})" if isinstance(value, str) else ""
        raise InvalidInputError(f"{name} must be {example}, not {type(value).__name__}{hint}",
                                field=name)


class _DecompGraph(CompiledStateGraph[State, Context, InputState, OutputState]):
    """The compiled graph; every run and state update first wraps a plain-text
    ``configurable["api_key"]`` as a ``SecretStr`` (:func:`protect_config`), so LangGraph
    does not copy the key into checkpoint metadata or ``debug`` stream events.

    ``decomp_models`` is the graph's default model per role, so tools beside the library
    (``eval``) read which model each role runs on from the graph and the run's context
    instead of guessing; ``decomp_prompts`` the :class:`Prompts` its nodes send.
    """

    def __init__(self, *args: Any, decomp_models: RoleModels | None = None,
                 decomp_prompts: Prompts = DEFAULT_PROMPTS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decomp_models = decomp_models or RoleModels()
        self.decomp_prompts = decomp_prompts

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """:meth:`CompiledStateGraph.stream`, with the config protected."""
        from langgraph_decomp.context import protect_config

        return super().stream(input, protect_config(config), **kwargs)

    def astream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        """:meth:`CompiledStateGraph.astream`, with the config protected."""
        from langgraph_decomp.context import protect_config

        return super().astream(input, protect_config(config), **kwargs)

    def bulk_update_state(self, config: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`CompiledStateGraph.bulk_update_state`, with the config protected."""
        from langgraph_decomp.context import protect_config

        return super().bulk_update_state(protect_config(config), *args, **kwargs)

    async def abulk_update_state(self, config: Any, *args: Any, **kwargs: Any) -> Any:
        """:meth:`CompiledStateGraph.abulk_update_state`, with the config protected."""
        from langgraph_decomp.context import protect_config

        return await super().abulk_update_state(protect_config(config), *args, **kwargs)
