"""Step 1: teacher decompositions, cached to JSONL as they are produced.

Three teachers: a chat model by string (any ``init_chat_model`` string or local model) asked
with the graph's own decomposition prompt (``prompt="question"``); the same model asked to
turn each step of the example's gold solution into the sub-question it answers
(``prompt="solution"``, for GSM8K *train* questions, which have solutions but no human
plans); or a data set that already carries sub-questions (``"dataset"``: GSM8K socratic,
StrategyQA). An interrupted run resumes from the cache without asking the teacher again for
finished questions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import BaseMessage
from pydantic import BaseModel

from langgraph_decomp.context import Context
from langgraph_decomp.data import Example
from langgraph_decomp.models import ModelLike, RoleModels, call_model, model_label
from langgraph_decomp.parsing import numbered, parse_plan
from langgraph_decomp.progress import progress_bar
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts

DATASET_TEACHER = "dataset"
TeacherPrompt = Literal["question", "solution"]


def solution_messages(question: str, solution: str, *,
                      prompts: Prompts = DEFAULT_PROMPTS) -> list[BaseMessage]:
    """The ``prompt="solution"`` teacher's prompt: the problem, its solution steps (one per
    line) and the prompts' worked examples (:meth:`Prompts.solution_messages`)."""
    return prompts.solution_messages(question, solution)


class TeacherPlan(BaseModel):
    """A teacher's plan for one question."""

    id: str
    question: str
    gold: str
    subquestions: list[str]
    status: str
    raw: str = ""
    teacher: str


def read_cache(path: Path) -> dict[str, TeacherPlan]:
    """Plans already in a cache file, by example id."""
    if not path.is_file():
        return {}
    plans: dict[str, TeacherPlan] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            plan = TeacherPlan.model_validate_json(line)
        except ValueError:
            continue  # a line cut off by a killed run
        plans[plan.id] = plan
    return plans


def teacher_plans(
    examples: Sequence[Example],
    *,
    teacher: ModelLike,
    cache_path: Path,
    max_subquestions: int = 5,
    context: dict[str, Any] | None = None,
    prompt: TeacherPrompt = "question",
    show_progress: bool = True,
    prompts: Prompts = DEFAULT_PROMPTS,
) -> list[TeacherPlan]:
    """Plans for ``examples`` from ``teacher`` (a model, or ``"dataset"``), cached per id.

    Args:
        teacher: ``"dataset"`` to use the examples' own sub-questions, else a model string
            or chat model prompted with the graph's decomposition prompt.
        cache_path: JSONL cache; each plan is appended as soon as it exists.
        context: Extra :class:`Context` values for the teacher call (``base_url``, ...).
        prompt: ``"question"`` (the graph's decomposition prompt) or ``"solution"`` (turn
            each gold solution step into its sub-question; examples need a ``solution``).
        prompts: The words of both teacher prompts (the graph's, by default).
    """
    if prompt == "solution" and teacher != DATASET_TEACHER:
        unsolved = [e.id for e in examples if not e.solution]
        if unsolved:
            from langgraph_decomp.errors import DecompError

            raise DecompError(f"prompt='solution' needs worked solutions; {len(unsolved)} "
                              f"examples have none (first: {unsolved[0]}).")
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    done = read_cache(cache_path)
    label = model_label(teacher)
    ctx = Context(**{**(context or {}), "max_subquestions": max_subquestions})
    models = RoleModels(decomposer=teacher)
    todo = [e for e in examples if e.id not in done]
    with (
        progress_bar("teacher", enabled=show_progress) as progress,
        cache_path.open("a", encoding="utf-8") as cache,
    ):
        task = progress.add_task("teacher", total=len(todo))
        for example in todo:
            if teacher == DATASET_TEACHER:
                raw = numbered(example.subquestions or [])
            else:
                messages = (
                    prompts.solution_messages(example.question, example.solution or "")
                    if prompt == "solution"
                    else prompts.decompose_messages(example.question, example.context,
                                                    max_subquestions=max_subquestions)
                )
                raw, _ = call_model("decomposer", models, ctx, messages, run_name="teacher")
            # Parse without the cap: plans over the limit are the filter's to drop, visibly.
            plan = parse_plan(raw, max_subquestions=10_000)
            record = TeacherPlan(
                id=example.id, question=example.question, gold=example.gold,
                subquestions=plan.subquestions, status=plan.status, raw=raw, teacher=label,
            )
            cache.write(json.dumps(record.model_dump()) + "\n")
            cache.flush()
            done[example.id] = record
            progress.advance(task)
    return [done[e.id] for e in examples]
