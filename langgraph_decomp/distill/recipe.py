"""A distillation recipe: one JSON file that says how the shipped decomposer is made.

``langgraph-decomp distill --recipe recipes/decomposer.json --out runs/decomposer --ship``
runs it end to end: check the teacher against human plans, ask it for plans (cached per
source, so a killed run resumes), filter them, fine-tune a LoRA adapter on the student,
export the adapter as a GGUF file that llama.cpp applies to the student's own GGUF at load,
score the plans on held-out questions, and with ``--ship`` copy the adapter, its manifest
(sha256) and a model card into the package.

A recipe names several data *sources* (GSM8K train questions with plans from a teacher that
reads the gold solution; StrategyQA with its human decompositions); each may hold out
questions that are never trained on, and the evaluation sets name those hold-outs or
files the student never saw.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from langgraph_decomp.data import Example, load_examples, split_examples
from langgraph_decomp.distill.filtering import FilterReport, filter_plans, oversample
from langgraph_decomp.distill.metrics import PlanMetrics, plan_metrics
from langgraph_decomp.distill.phases import PhaseClock
from langgraph_decomp.distill.teacher import (
    DATASET_TEACHER,
    TeacherPlan,
    TeacherPrompt,
    teacher_plans,
)
from langgraph_decomp.distill.train import TrainConfig
from langgraph_decomp.errors import DecompError
from langgraph_decomp.models import LLAMACPP_PREFIX, ModelLike, file_sha256, load_chat_model
from langgraph_decomp.parsing import numbered
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts, solution_steps


class RecipeError(DecompError, ValueError):
    """A recipe file is missing, not JSON, or has fields of the wrong shape."""


class Source(BaseModel):
    """One data set the student learns from."""

    name: str
    data: str
    format: str = "auto"
    limit: int | None = None
    """A fixed-seed sample of this many questions (after the hold-out is set aside)."""
    holdout: int = 0
    """Questions set aside by seed before sampling: never trained on, for evaluation."""
    teacher: str = DATASET_TEACHER
    teacher_prompt: TeacherPrompt = "question"
    teacher_reuse_prefix: bool = False
    """For a ``llamacpp:`` teacher: reuse the KV cache of the shared worked examples
    (faster; the plans are cached, so determinism matters less here)."""
    teacher_max_tokens: int = 256
    base_url: str | None = None
    exact_steps: bool = False
    """Keep a plan only if it has one sub-question per gold solution step (the
    ``solution`` teacher is asked for exactly that)."""
    oversample: dict[int, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    """Train on each kept plan with this many sub-questions (key) this many times (value,
    at least 1; lengths not named: once), e.g. ``{"4": 2, "5": 3}``; the filter report
    counts each plan once."""


class TeacherCheck(BaseModel):
    """Score the ``solution`` teacher against human plans before using it."""

    data: str
    format: str = "auto"
    limit: int = 40
    min_rouge_l: float = 0.6


class TeacherShot(BaseModel):
    """A worked example for the ``solution`` teacher: a data row's question and gold solution,
    read by path, with the sub-questions its steps answer (written by hand, one per step)."""

    data: str
    format: str = "auto"
    id: str
    subquestions: list[str] = Field(min_length=1)


class EvalSet(BaseModel):
    """Held-out questions with human sub-questions to score plans on."""

    name: str
    source: str | None = None
    """Score on this source's hold-out."""
    data: str | None = None
    """Or on this file (never trained on)."""
    format: str = "auto"
    limit: int | None = None


class Recipe(BaseModel):
    """How the shipped decomposer is made (see ``recipes/decomposer.json``)."""

    name: str
    student: str = "local:smollm2"
    max_subquestions: int = 5
    seed: int = 0
    teacher_check: TeacherCheck | None = None
    teacher_shots: list[TeacherShot] = Field(default_factory=list)
    """The ``solution`` teacher's worked examples (and the base model's few-shot plans);
    empty: the library's hand-written ones (``prompts.TEACHER_SOLUTION_SHOTS``)."""
    sources: list[Source]
    train: TrainConfig = Field(default_factory=TrainConfig)
    adapter_dtype: Literal["F16", "F32"] = "F16"
    evaluate: list[EvalSet] = Field(default_factory=list)
    eval_max_tokens: int = 192
    repeat_penalty: float = Field(default=1.0, gt=0)
    """The llama.cpp repeat penalty the shipped decomposer decodes with (1.0: none): the
    recipe's evaluation scores the adapter with it and ``--ship`` writes it to the manifest,
    which ``local:decomposer`` reads (chosen by ``bench/plan_quality.py --repeat-penalty``)."""
    licences: dict[str, str] = Field(default_factory=dict)


def load_recipe(path: str | Path) -> Recipe:
    """Read a recipe file; relative data paths are taken from the current directory."""
    path = Path(path)
    try:
        return Recipe.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise RecipeError(f"Cannot read recipe {path}: {e.strerror}") from None
    except ValidationError as e:
        raise RecipeError(f"Recipe {path} is not valid: {e}") from None


class RecipeResult(BaseModel):
    """What a recipe run produced."""

    adapter: str
    decomposer: str
    sha256: str
    size_bytes: int
    teacher_check: PlanMetrics | None = None
    filters: dict[str, FilterReport]
    train_rows: int
    metrics: dict[str, dict[str, PlanMetrics]] = {}
    """Per evaluation set: base zero-shot, base few-shot and distilled."""
    seconds: dict[str, float] = {}
    trained_ids: dict[str, list[str]] = {}


def recipe_prompts(recipe: Recipe) -> Prompts:
    """The graph's prompts with the recipe's :attr:`Recipe.teacher_shots` as the solution
    teacher's worked examples (the defaults when it names none).

    Raises:
        RecipeError: a shot names a row its file does not have, a row without a worked
            solution, or a number of sub-questions that differs from its solution's steps.
    """
    if not recipe.teacher_shots:
        return DEFAULT_PROMPTS
    rows: dict[tuple[str, str], dict[str, Example]] = {}
    shots = []
    for shot in recipe.teacher_shots:
        key = (shot.data, shot.format)
        if key not in rows:
            rows[key] = {e.id: e for e in load_examples(shot.data, format=shot.format)}
        example = rows[key].get(shot.id)
        if example is None:
            raise RecipeError(f"The teacher shot {shot.id!r} is not a row of {shot.data}.")
        steps = solution_steps(example.solution)
        if len(steps) != len(shot.subquestions):
            raise RecipeError(
                f"The teacher shot {shot.id!r} of {shot.data} has {len(steps)} solution steps "
                f"and {len(shot.subquestions)} sub-questions; write one sub-question per step.")
        shots.append((example.question, tuple(steps), tuple(shot.subquestions)))
    return DEFAULT_PROMPTS.model_copy(update={"teacher_solution_shots": tuple(shots)})


def _split(source: Source, seed: int, limit: int | None) -> tuple[list[Example], list[Example]]:
    examples = load_examples(source.data, format=source.format)
    train, held = split_examples(examples, holdout=source.holdout, seed=seed)
    n = source.limit if limit is None else min(limit, source.limit or limit)
    if n is not None and n < len(train):
        keep = sorted(random.Random(seed).sample(range(len(train)), n))
        train = [train[i] for i in keep]
    return train, held


def _teacher_model(source: Source) -> ModelLike:
    if source.teacher == DATASET_TEACHER or not source.teacher.startswith(LLAMACPP_PREFIX):
        return source.teacher
    model = load_chat_model(source.teacher, max_tokens=source.teacher_max_tokens)
    return model.model_copy(update={"reuse_prefix": source.teacher_reuse_prefix})


def _steps(example: Example) -> int:
    return len(solution_steps(example.solution))


def check_teacher(
    check: TeacherCheck, source: Source, *, cache_path: Path, seed: int, limit: int | None,
    show_progress: bool, prompts: Prompts = DEFAULT_PROMPTS,
) -> PlanMetrics:
    """The ``solution`` teacher's plans for questions that have human plans, scored
    against them (the teacher sees the gold solution, never the human sub-questions)."""
    examples = load_examples(check.data, format=check.format,
                             limit=check.limit if limit is None else min(limit, check.limit),
                             seed=seed)
    examples = [e for e in examples if e.solution and e.subquestions]
    plans = teacher_plans(examples, teacher=_teacher_model(source), cache_path=cache_path,
                          prompt="solution", context=_teacher_context(source),
                          show_progress=show_progress, prompts=prompts)
    return plan_metrics([numbered(p.subquestions) for p in plans],
                        [e.subquestions or [] for e in examples],
                        max_subquestions=10)


def _teacher_context(source: Source) -> dict[str, Any]:
    return {"base_url": source.base_url, "decomposer_max_tokens": source.teacher_max_tokens}


def run_recipe(
    recipe: Recipe,
    *,
    out_dir: Path,
    limit: int | None = None,
    train_steps: int | None = None,
    teacher: str | None = None,
    evaluate: bool = True,
    eval_limit: int | None = None,
    ship_dir: Path | None = None,
    retrain: bool = False,
    base_rows: bool = True,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
) -> RecipeResult:
    """Run ``recipe`` into ``out_dir``; with ``ship_dir``, install the adapter there.

    ``limit``, ``train_steps``, ``teacher`` and ``eval_limit`` shrink a run (a smoke test
    of the same command): at most ``limit`` questions per source, ``train_steps`` optimizer
    steps, every model teacher replaced by ``teacher``, ``eval_limit`` questions per
    evaluation set. ``base_rows=False`` scores only the distilled decomposer, not the
    untrained base beside it.
    """
    from langgraph_decomp.distill.export import export_lora_gguf
    from langgraph_decomp.distill.train import finetune, write_card
    from langgraph_decomp.models import gguf_file_of

    out_dir.mkdir(parents=True, exist_ok=True)
    clock = PhaseClock()

    sources = [
        s.model_copy(update={"teacher": teacher}) if teacher and s.teacher != DATASET_TEACHER
        else s for s in recipe.sources
    ]
    splits = {s.name: _split(s, recipe.seed, limit) for s in sources}
    prompts = recipe_prompts(recipe)
    checked: PlanMetrics | None = None
    solution_source = next((s for s in sources if s.teacher_prompt == "solution"), None)
    if recipe.teacher_check and solution_source:
        checked = check_teacher(recipe.teacher_check, solution_source,
                                cache_path=out_dir / "teacher-check.jsonl", seed=recipe.seed,
                                limit=limit, show_progress=show_progress, prompts=prompts)
        log(f"teacher check on human plans: ROUGE-L F1 {checked.rouge_l_f1:.3f}, count within "
            f"1 {checked.count_within_1:.1%} (n={checked.n})")
        if checked.rouge_l_f1 < recipe.teacher_check.min_rouge_l and limit is None:
            raise RecipeError(
                f"The teacher's plans score ROUGE-L {checked.rouge_l_f1:.3f} against the human "
                f"plans, below the recipe's min_rouge_l {recipe.teacher_check.min_rouge_l}."
            )
    clock.lap("teacher_check")

    kept_all: list[TeacherPlan] = []
    filters: dict[str, FilterReport] = {}
    for source in sources:
        train, _ = splits[source.name]
        plans = teacher_plans(
            train, teacher=_teacher_model(source),
            cache_path=out_dir / f"teacher-{source.name}.jsonl",
            max_subquestions=recipe.max_subquestions, context=_teacher_context(source),
            prompt=source.teacher_prompt, show_progress=show_progress, prompts=prompts,
        )
        kept, report = filter_plans(
            plans, min_steps=1, max_steps=recipe.max_subquestions,
            expected_steps={e.id: _steps(e) for e in train} if source.exact_steps else None,
        )
        filters[source.name] = report
        log(f"{source.name}: {report.total} plans, kept {report.kept} ("
            + ", ".join(f"{k} {v}" for k, v in report.model_dump().items()
                        if k not in ("rules", "total", "kept") and v) + ")")
        kept_all += oversample(kept, source.oversample)
    clock.lap("teacher")
    if not kept_all:
        raise RecipeError("No teacher plan survived the filters; nothing to train on.")
    random.Random(recipe.seed).shuffle(kept_all)

    student_dir = out_dir / "student"
    config = recipe.train.model_copy(update={"max_subquestions": recipe.max_subquestions,
                                             "seed": recipe.seed})
    if train_steps is not None:
        config.max_steps = train_steps
    if retrain or not (student_dir / "adapter" / "adapter_config.json").is_file():
        finetune(kept_all, student=recipe.student, out_dir=student_dir, config=config,
                 card={"recipe": recipe.name}, save_adapter=True)
    else:
        log(f"{student_dir} is already trained; reusing it (retrain=True to train again)")
    clock.lap("train")

    base_gguf = gguf_file_of(recipe.student)
    if base_gguf is None:
        raise RecipeError(f"The student {recipe.student!r} is not a GGUF model; llama.cpp "
                          "adapters need one.")
    adapter = export_lora_gguf(student_dir / "adapter", base_gguf,
                               out_dir / "decomposer.lora.gguf", base_model=recipe.student,
                               dtype=recipe.adapter_dtype)
    decomposer = f"{LLAMACPP_PREFIX}{adapter}"
    log(f"adapter {adapter} ({adapter.stat().st_size / 2**20:.1f} MiB) -> "
        f"--decomposer {decomposer}")
    clock.lap("export")

    metrics: dict[str, dict[str, PlanMetrics]] = {}
    if evaluate:
        base = f"{LLAMACPP_PREFIX}{base_gguf}"
        rows = {"base zero-shot": base, "base few-shot": base} if base_rows else {}
        metrics = evaluate_recipe(
            recipe, {**rows, "distilled": decomposer},
            shots=recipe_shots(recipe, prompts), eval_limit=eval_limit, log=log,
            repeat_penalties={"distilled": recipe.repeat_penalty},
        )
    clock.lap("eval")
    seconds = clock.total()

    trained_ids = {s.name: sorted({p.id for p in kept_all} & {e.id for e in splits[s.name][0]})
                   for s in sources}
    result = RecipeResult(
        adapter=str(adapter), decomposer=decomposer, sha256=file_sha256(adapter),
        size_bytes=adapter.stat().st_size, teacher_check=checked, filters=filters,
        train_rows=len(kept_all), metrics=metrics, seconds=seconds, trained_ids=trained_ids,
    )
    (out_dir / "result.json").write_text(result.model_dump_json(indent=2))
    info = json.loads((student_dir / "distill_info.json").read_text())
    write_card(student_dir, {**info, "recipe_result": result.model_dump(exclude={"trained_ids"})})
    log(clock.summary())
    if ship_dir is not None:
        ship(result, recipe, info, ship_dir)
        log(f"shipped {adapter.name} to {ship_dir}")
    return result


def recipe_shots(recipe: Recipe, prompts: Prompts | None = None) -> list[TeacherPlan]:
    """The base model's few-shot examples: the plans of the solution teacher's worked
    examples (``prompts``, default :func:`recipe_prompts`) and the first training question of
    each source with human plans (fixed, so every run and the bench prompt the base alike)."""
    prompts = prompts or recipe_prompts(recipe)
    shots = [
        TeacherPlan(id=f"shot-{i}", question=q, gold="", subquestions=list(plan), status="ok",
                    teacher="hand-written")
        for i, (q, _, plan) in enumerate(prompts.teacher_solution_shots)
    ]
    for source in recipe.sources:
        if source.teacher == DATASET_TEACHER:
            first = next((e for e in _split(source, recipe.seed, None)[0] if e.subquestions),
                         None)
            if first is not None:
                shots.append(TeacherPlan(id=first.id, question=first.question, gold=first.gold,
                                         subquestions=first.subquestions or [], status="ok",
                                         teacher=DATASET_TEACHER))
    return shots


def evaluate_recipe(
    recipe: Recipe,
    decomposers: dict[str, str],
    *,
    shots: Sequence[TeacherPlan],
    eval_limit: int | None = None,
    log: Callable[[str], None] = print,
    repeat_penalties: Mapping[str, float] | None = None,
    sets: Sequence[str] | None = None,
) -> dict[str, dict[str, PlanMetrics]]:
    """Plan quality of each decomposer (label -> local model string; a label ending in
    ``few-shot`` gets ``shots`` as worked examples) on the recipe's evaluation sets, greedy
    and without stop strings, so the metrics count plans that hit the token cap or loop;
    ``repeat_penalties`` as :func:`~langgraph_decomp.distill.pipeline.evaluate_plans` takes
    them, ``sets`` the names of the evaluation sets to score (default all).

    Raises:
        RecipeError: ``sets`` names a set the recipe does not have.
    """
    from langgraph_decomp.distill.pipeline import evaluate_plans

    unknown = set(sets or ()) - {e.name for e in recipe.evaluate}
    if unknown:
        raise RecipeError(f"The recipe has no evaluation set {', '.join(sorted(unknown))}; "
                          f"it has {', '.join(e.name for e in recipe.evaluate)}.")
    splits = {s.name: _split(s, recipe.seed, None) for s in recipe.sources}
    metrics: dict[str, dict[str, PlanMetrics]] = {}
    for eval_set in recipe.evaluate:
        if sets is not None and eval_set.name not in sets:
            continue
        held = _eval_examples(eval_set, splits, eval_limit)
        if not held:
            continue

        def on_result(label: str, m: PlanMetrics, name: str = eval_set.name) -> None:
            log(f"{name} / {label}: parse {m.parse_rate:.1%}, count within 1 "
                f"{m.count_within_1:.1%}, ROUGE-L {m.rouge_l_f1:.3f}, cap "
                f"{m.hit_cap}, repeats {m.repeated_line} (n={m.n})")

        metrics[eval_set.name] = evaluate_plans(
            decomposers, held, shots=shots, max_subquestions=recipe.max_subquestions,
            max_tokens=recipe.eval_max_tokens, stop_at_cap=False, on_result=on_result,
            repeat_penalties=repeat_penalties,
        )
    return metrics


def _eval_examples(
    eval_set: EvalSet, splits: dict[str, tuple[list[Example], list[Example]]],
    limit: int | None,
) -> list[Example]:
    if eval_set.source is not None:
        if eval_set.source not in splits:
            raise RecipeError(f"Evaluation set {eval_set.name!r} names an unknown source "
                              f"{eval_set.source!r}.")
        held = splits[eval_set.source][1]
    elif eval_set.data is not None:
        held = load_examples(eval_set.data, format=eval_set.format)
    else:
        raise RecipeError(f"Evaluation set {eval_set.name!r} needs 'source' or 'data'.")
    held = [e for e in held if e.subquestions]
    n = eval_set.limit if limit is None else min(limit, eval_set.limit or limit)
    if n is not None and n < len(held):
        keep = sorted(random.Random(0).sample(range(len(held)), n))
        held = [held[i] for i in keep]
    return held


MANIFEST = "manifest.json"


def ship(result: RecipeResult, recipe: Recipe, info: dict[str, Any], ship_dir: Path) -> Path:
    """Copy the adapter into ``ship_dir`` with its manifest (sha256, size, base model) and a
    model card (data, recipe, scores, licences, the ids of every trained question)."""
    ship_dir.mkdir(parents=True, exist_ok=True)
    target = ship_dir / Path(result.adapter).name
    shutil.copyfile(result.adapter, target)
    manifest = {
        "file": target.name, "sha256": result.sha256, "size_bytes": result.size_bytes,
        "base_model": recipe.student, "recipe": recipe.name,
        "repeat_penalty": recipe.repeat_penalty,
    }
    (ship_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    (ship_dir / "trained_ids.json").write_text(json.dumps(result.trained_ids) + "\n")
    from langgraph_decomp.distill.card import model_card

    (ship_dir / "MODEL_CARD.md").write_text(model_card(result, recipe, info), encoding="utf-8")
    return target
