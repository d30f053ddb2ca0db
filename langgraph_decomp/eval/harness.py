"""Run strategies over examples: resumable per-example JSONL, bounded concurrency."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from pydantic import BaseModel

from langgraph_decomp.context import DEFAULT_DECOMPOSER, DEFAULT_SOLVER, resolve_context
from langgraph_decomp.data import Example
from langgraph_decomp.eval.checking import SpanRule, score
from langgraph_decomp.eval.strategies import Strategy
from langgraph_decomp.models import is_local
from langgraph_decomp.progress import progress_bar
from langgraph_decomp.state import RoleUsage, add_usage

RESULTS_FILE = "results.jsonl"


class Record(BaseModel):
    """One (example, strategy) result."""

    id: str
    strategy: str
    question: str
    gold: str
    prediction: str = ""
    numeric_prediction: str | None = None
    correct: bool = False
    """Right answer (exact match for span answers)."""
    f1: float | None = None
    """Token F1 for span answers; ``None`` for numbers and yes/no."""
    decomposed: bool = False
    n_subquestions: int = 0
    subquestions: list[str] = []
    """The plan the solver was given, in order (empty when not decomposed, and in records
    written before it was kept)."""
    fallback_reason: str | None = None
    """Why the graph answered without a plan (:class:`~langgraph_decomp.state.OutputState`)."""
    repairs: int = 0
    """Repair rounds the run spent (a program that failed to compute, a verifier's rejection)."""
    usage: dict[str, dict[str, Any]] = {}
    """The run's usage per role: tokens, calls, and the role's ``model`` and ``hosted`` flag
    as the calls reported them. For a run that failed, what its calls spent before it did
    (:class:`SpentUsage`; records written before 2026-12-07 hold ``{}`` there)."""
    hosted_roles: list[str] = []
    """Roles on a hosted model: read from the run's usage (what its calls said), else, for a
    run that failed before spending, from the graph's models and the context."""
    models: dict[str, str] = {}
    """The model string of each role (empty in records written before it was kept)."""
    wall_s: float = 0.0
    error: str | None = None

    @property
    def hosted_tokens(self) -> tuple[int, int]:
        """(input, output) tokens spent by hosted (non-local) roles."""
        used = [self.usage.get(role, {}) for role in self.hosted_roles]
        return (sum(u.get("input_tokens", 0) for u in used),
                sum(u.get("output_tokens", 0) for u in used))

    @property
    def local_tokens(self) -> int:
        """Input + output tokens spent by local roles."""
        return sum(
            u.get("input_tokens", 0) + u.get("output_tokens", 0)
            for role, u in self.usage.items()
            if role not in self.hosted_roles
        )


def role_models(context: dict[str, Any]) -> dict[str, str]:
    """The model string of each role from a run's context (the graph's defaults otherwise;
    the verifier defaults to the solver)."""
    solver = context.get("solver") or DEFAULT_SOLVER
    return {
        "decomposer": context.get("decomposer") or DEFAULT_DECOMPOSER,
        "solver": solver,
        "verifier": context.get("verifier") or solver,
    }


def run_roles(graph: Any, context: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """``(model of each role, hosted roles)`` that a run of ``graph`` with ``context`` will
    use, known before it runs; :func:`from_usage` replaces them with what the run's calls
    report.

    A ``build_graph`` graph answers itself (:meth:`RoleModels.run_roles`: its own default
    models, which need not be the library's, the run's context, and the one hosted rule; a
    ready chat model is labelled by its class and model name); another graph is read from
    the context's strings and the library's defaults (:func:`role_models`).
    """
    models = getattr(graph, "decomp_models", None)
    if models is None:
        labels = role_models(context)
        return labels, [role for role, spec in labels.items() if not is_local(spec)]
    roles = models.run_roles(resolve_context(context, {}))
    return ({role: info["model"] for role, info in roles.items()},
            [role for role, info in roles.items() if info["hosted"]])


def from_usage(usage: dict[str, dict[str, Any]], labels: dict[str, str],
               hosted: list[str]) -> tuple[dict[str, str], list[str]]:
    """``(models, hosted roles)`` with what each role's usage reports (``model``,
    ``hosted``, written by the calls that spent it) in place of :func:`run_roles`'s; roles
    the run did not call keep those."""
    labels, flags = dict(labels), {role: role in hosted for role in labels}
    for role, used in usage.items():
        if isinstance(used.get("model"), str):
            labels[role] = used["model"]
        if isinstance(used.get("hosted"), bool):
            flags[role] = used["hosted"]
    return labels, [role for role, on in flags.items() if on]


class SpentUsage(BaseCallbackHandler):
    """What every model call of one run spent, by role, failed calls included.

    A run that raises returns no state, so its usage would be lost with it; a reply cut at
    its token cap is billed all the same (:attr:`~langgraph_decomp.ModelCallError.usage`).
    Each call is the chat model run whose metadata names its ``role`` (as the graph's calls
    do); ``usage`` has the shape of the state's: tokens, calls and the role's ``model``.
    """

    run_inline = True  # a dict update: not worth a thread for each event

    def __init__(self) -> None:
        self.usage: dict[str, RoleUsage] = {}
        self._calls: dict[UUID, tuple[str, Any]] = {}

    def on_chat_model_start(self, serialized: Any, messages: Any, *, run_id: UUID,
                            metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        """A call starts: remember its role and model, read from its metadata."""
        role = (metadata or {}).get("role")
        if isinstance(role, str):
            self._calls[run_id] = (role, (metadata or {}).get("model"))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """A call finished: add the tokens its reply reported."""
        self._spent(run_id, next(
            (used for gs in response.generations for g in gs
             if (used := getattr(getattr(g, "message", None), "usage_metadata", None))),
            None,
        ))

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """A call failed: add the tokens its error carries (a cut reply's), if any."""
        self._spent(run_id, getattr(error, "usage", None))

    def _spent(self, run_id: UUID, tokens: Any) -> None:
        """Add one call's tokens to its role, with the state's own reducer."""
        if run_id not in self._calls:
            return
        role, model = self._calls.pop(run_id)
        used: RoleUsage = {"input_tokens": int((tokens or {}).get("input_tokens") or 0),
                           "output_tokens": int((tokens or {}).get("output_tokens") or 0),
                           "calls": 1}
        if isinstance(model, str):
            used["model"] = model
        self.usage = add_usage(self.usage, {role: used})


def load_records(path: Path) -> list[Record]:
    """Records already in a results file (unreadable lines are skipped)."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(Record.model_validate_json(line))
        except ValueError:
            continue
    return records


async def run_eval(
    examples: Sequence[Example],
    strategies: Sequence[Strategy],
    *,
    graph: Any,
    base_context: dict[str, Any],
    out_dir: Path,
    concurrency: int = 1,
    show_progress: bool = True,
    span_rule: SpanRule = "squad",
) -> list[Record]:
    """Run every strategy on every example and append one JSON line per result.

    Each answer is checked by the rule of its example's ``answer_type``; span answers with
    ``span_rule`` (``"drop"`` or ``"squad"``, see :func:`~langgraph_decomp.eval.checking.score`).
    A rerun with the same ``out_dir`` skips (example, strategy) pairs that finished without
    error. A failing example is recorded with its error and the tokens its calls spent
    (a reply cut at its token cap is billed), and never stops the run.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RESULTS_FILE
    finished = {(r.id, r.strategy) for r in load_records(path) if r.error is None}
    # Example-major: a run stopped early still compares every strategy on the same questions.
    todo = [(s, e) for e in examples for s in strategies if (e.id, s.name) not in finished]
    semaphore = asyncio.Semaphore(max(1, concurrency))
    write_lock = asyncio.Lock()
    new: list[Record] = []

    async def one(strategy: Strategy, example: Example) -> None:
        context = {**base_context, **strategy.context}
        inputs: dict[str, Any] = {"question": example.question}
        if example.context:
            inputs["context"] = example.context
        if strategy.oracle_plan:
            inputs["subquestions_given"] = example.subquestions or []
        labels, hosted = run_roles(graph, context)
        spent = SpentUsage()
        record = Record(
            id=example.id, strategy=strategy.name, question=example.question, gold=example.gold,
            hosted_roles=hosted, models=labels,
        )
        async with semaphore:
            start = time.perf_counter()
            try:
                out = await graph.ainvoke(inputs, context=context,
                                          config={"callbacks": [spent]})
                record.prediction = out.get("answer") or ""
                record.numeric_prediction = out.get("numeric_answer")
                record.correct, record.f1 = score(record.prediction, example,
                                                  span_rule=span_rule)
                record.decomposed = bool(out.get("decomposed"))
                record.subquestions = [s["question"] for s in out.get("subquestions") or []]
                record.n_subquestions = len(record.subquestions)
                record.fallback_reason = out.get("fallback_reason")
                record.repairs = out.get("repairs") or 0
                record.usage = out.get("usage") or {}
                record.models, record.hosted_roles = from_usage(record.usage, labels, hosted)
            except Exception as e:  # recorded, never fatal to the run
                record.error = f"{type(e).__name__}: {e}"
                # What the run's calls spent before it failed, the failed call's own
                # tokens included where its reply reported them.
                record.usage = cast(dict[str, dict[str, Any]], spent.usage)  # RoleUsage dicts
                record.models, record.hosted_roles = from_usage(record.usage, labels, hosted)
            record.wall_s = round(time.perf_counter() - start, 3)
        async with write_lock:
            with path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record.model_dump()) + "\n")
            new.append(record)
            progress.advance(task)

    with progress_bar("eval", enabled=show_progress) as progress:
        task = progress.add_task("eval", total=len(todo))
        await asyncio.gather(*(one(s, e) for s, e in todo))
    return new
