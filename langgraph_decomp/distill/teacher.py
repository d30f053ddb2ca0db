"""Step 1: teacher decompositions, cached to JSONL as they are produced.

Two teachers: a chat model by string (any ``init_chat_model`` string or local model, with
the same decomposition prompt the graph uses), or a data set that already carries
sub-questions (GSM8K socratic). An interrupted run resumes from the cache without asking the
teacher again for finished questions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from langgraph_decomp.context import Context
from langgraph_decomp.data import Example
from langgraph_decomp.models import ModelLike, RoleModels, call_model
from langgraph_decomp.nodes import decompose_messages
from langgraph_decomp.parsing import parse_plan
from langgraph_decomp.progress import progress_bar

DATASET_TEACHER = "dataset"


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
    show_progress: bool = True,
) -> list[TeacherPlan]:
    """Plans for ``examples`` from ``teacher`` (a model, or ``"dataset"``), cached per id.

    Args:
        teacher: ``"dataset"`` to use the examples' own sub-questions, else a model string
            or chat model prompted with the graph's decomposition prompt.
        cache_path: JSONL cache; each plan is appended as soon as it exists.
        context: Extra :class:`Context` values for the teacher call (``base_url``, ...).
    """
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    done = read_cache(cache_path)
    label = teacher if isinstance(teacher, str) else type(teacher).__name__
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
                raw = "\n".join(f"{i}. {q}" for i, q in enumerate(example.subquestions or [], 1))
            else:
                messages = decompose_messages(
                    example.question, example.context, max_subquestions=max_subquestions
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
