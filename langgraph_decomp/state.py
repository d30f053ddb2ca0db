"""Graph state: the public input and output schemas and the private working state.

Callers see only :class:`InputState` (what they pass) and :class:`OutputState` (what they
get back). Everything else in :class:`State` is internal to the graph.
"""

from __future__ import annotations

from typing import Annotated

from langchain_core.documents import Document
from typing_extensions import NotRequired, TypedDict

ROLES = ("decomposer", "solver", "verifier")


class SubQuestion(TypedDict):
    """One planned sub-question and the solver's answer to it."""

    question: str
    answer: str


class RoleUsage(TypedDict):
    """Tokens and calls spent by one role (decomposer, solver or verifier)."""

    input_tokens: int
    output_tokens: int
    calls: int
    model: NotRequired[str]
    """The role's model in this run (its string, or a ready model's class and name)."""
    hosted: NotRequired[bool]
    """Whether that model is hosted (:meth:`~langgraph_decomp.models.RoleModels.hosted`):
    what the budget's ``max_hosted_tokens`` and the eval's hosted cost count."""


class StepResult(TypedDict):
    """The answer to plan step ``index``."""

    index: int
    answer: str
    work: NotRequired[str]
    """The solver's full reply (reasoning included), shown to later steps."""


def add_usage(
    left: dict[str, RoleUsage] | None, right: dict[str, RoleUsage] | None
) -> dict[str, RoleUsage]:
    """Reducer: sum token usage per role; a role's ``model`` and ``hosted`` are the newest
    given."""
    merged: dict[str, RoleUsage] = {k: dict(v) for k, v in (left or {}).items()}  # type: ignore[misc]  # dict() of a TypedDict is dict[str, object]
    for role, usage in (right or {}).items():
        acc = merged.setdefault(role, {"input_tokens": 0, "output_tokens": 0, "calls": 0})
        for key in ("input_tokens", "output_tokens", "calls"):
            acc[key] += int(usage.get(key, 0))  # type: ignore[call-overload]  # mypy types .get() over the loop's literal keys as object
        if "model" in usage:
            acc["model"] = str(usage["model"])
        if "hosted" in usage:
            acc["hosted"] = bool(usage["hosted"])
    return merged


def merge_steps(
    left: list[StepResult] | None, right: list[StepResult] | None
) -> list[StepResult]:
    """Reducer: keep one answer per step index; the newest wins. (A new run resets the list
    with ``Overwrite``.)"""
    by_index = {s["index"]: s for s in (left or [])}
    by_index.update((s["index"], s) for s in right or [])
    return [by_index[i] for i in sorted(by_index)]


class InputState(TypedDict):
    """What a caller passes in."""

    question: str
    """The question to answer."""
    context: NotRequired[str | list[str] | list[Document]]
    """Optional supporting text (a passage for reading-comprehension questions): a string,
    or a list of strings or documents (``page_content``) that are joined by blank lines, so
    a retrieval graph's ``context: list[Document]`` state can feed it as it is."""
    subquestions_given: NotRequired[list[str]]
    """Optional ready-made plan (e.g. human-written sub-questions): used instead of calling
    the decomposer."""


class OutputState(TypedDict):
    """What a caller gets back."""

    answer: str
    """The final answer as the solver wrote it (reasoning stripped)."""
    numeric_answer: str | None
    """The answer as a normalized number (``"18"``, ``"-2.5"``), or ``None`` if not numeric."""
    subquestions: list[SubQuestion]
    """The sub-questions and their answers, in plan order (empty when not decomposed)."""
    usage: Annotated[dict[str, RoleUsage], add_usage]
    """Tokens and calls per role: ``{"decomposer": {...}, "solver": {...}, ...}``."""
    decomposed: bool
    """Whether the question was split into sub-questions."""
    fallback_reason: str | None
    """Why the graph answered directly: ``"no_decomposition"`` (the decomposer said so),
    ``"empty"`` (it wrote nothing), ``"unparsable"``, ``"too_short"`` (fewer sub-questions
    than ``Context.min_subquestions``: adaptive skip) or ``"skipped"`` (``Context.decompose``
    is off); ``None`` when it decomposed."""
    verified: bool | None
    """The verifier's last verdict; ``None`` when verification was off or inconclusive."""
    repairs: int
    """How many repair rounds ran (at most ``Context.max_repairs``)."""
    stopped: str | None
    """Why the run stopped early (a ``Context`` budget: ``max_calls``, ``max_hosted_tokens``,
    ``deadline_s``) with a partial answer; ``None`` when it finished."""


class State(InputState, OutputState, total=False):
    """The graph's working state (private)."""

    plan: list[str]
    """Parsed sub-questions."""
    depends_on: list[list[int]]
    """For each plan step, the earlier steps whose answers it needs."""
    steps: Annotated[list[StepResult], merge_steps]
    """Answers to plan steps, by index."""
    draft: str | None
    """The solver's answer to the original question, before verification."""
    feedback: str | None
    """The verifier's feedback on a rejected draft, for the repair round."""
    rejected: str | None
    """The draft the verifier rejected."""
    step_checks: dict[str, int]
    """Per plan step (``str(index)``, JSON-safe): how many times the verifier checked its
    answer (``verify_steps``)."""
    redo: dict[str, str]
    """Plan steps the verifier rejected, to re-solve: ``str(index)`` -> feedback."""
    started_at: float
    """When the run started (``time.time()``), for ``Context.deadline_s``."""


class SolveTask(TypedDict):
    """The payload of one ``solve`` task, sent with ``langgraph.types.Send``.

    ``index`` is a plan step; ``index == len(plan)`` means the original question.
    """

    question: str
    context: NotRequired[str]
    plan: list[str]
    steps: list[StepResult]
    index: int
    depends_on: list[int]
    """The steps whose answers this task sees."""
    feedback: NotRequired[str | None]
    """The verifier's feedback on a rejected answer to this task (question or step)."""
    settings: NotRequired[str]
    """The solver model and knobs this answer depends on, so a node cache (``CachePolicy``)
    never serves an answer from another model or scheme."""
    rejected: NotRequired[str | None]
