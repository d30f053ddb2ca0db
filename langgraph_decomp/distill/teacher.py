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

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from langgraph_decomp import prompts
from langgraph_decomp.context import Context
from langgraph_decomp.data import Example
from langgraph_decomp.models import ModelLike, RoleModels, call_model, model_label
from langgraph_decomp.nodes import decompose_messages
from langgraph_decomp.parsing import numbered, parse_plan
from langgraph_decomp.progress import progress_bar

DATASET_TEACHER = "dataset"
TeacherPrompt = Literal["question", "solution"]


def solution_messages(question: str, solution: str) -> list[BaseMessage]:
    """The ``prompt="solution"`` teacher's prompt: the problem, its solution steps (one per
    line) and two hand-written worked examples."""
    def user(q: str, steps: Sequence[str]) -> HumanMessage:
        text = prompts.TEACHER_SOLUTION_USER.format(question=q, steps=numbered(steps))
        return HumanMessage(text)

    turns: list[BaseMessage] = [SystemMessage(prompts.TEACHER_SOLUTION_SYSTEM)]
    for shot_question, shot_steps, shot_plan in prompts.TEACHER_SOLUTION_SHOTS:
        turns += [user(shot_question, shot_steps), AIMessage(numbered(shot_plan))]
    steps = [line.strip() for line in solution.splitlines() if line.strip()]
    return [*turns, user(question, steps)]


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
) -> list[TeacherPlan]:
    """Plans for ``examples`` from ``teacher`` (a model, or ``"dataset"``), cached per id.

    Args:
        teacher: ``"dataset"`` to use the examples' own sub-questions, else a model string
            or chat model prompted with the graph's decomposition prompt.
        cache_path: JSONL cache; each plan is appended as soon as it exists.
        context: Extra :class:`Context` values for the teacher call (``base_url``, ...).
        prompt: ``"question"`` (the graph's decomposition prompt) or ``"solution"`` (turn
            each gold solution step into its sub-question; examples need a ``solution``).
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
                    solution_messages(example.question, example.solution or "")
                    if prompt == "solution"
                    else decompose_messages(example.question, example.context,
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
