"""The whole distillation run: teacher -> filter -> fine-tune -> export -> evaluate plans."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel

from langgraph_decomp.data import Example, load_examples, split_examples
from langgraph_decomp.distill.export import export_gguf
from langgraph_decomp.distill.filtering import FilterReport, filter_plans
from langgraph_decomp.distill.metrics import PlanMetrics, plan_metrics
from langgraph_decomp.distill.phases import PhaseClock
from langgraph_decomp.distill.teacher import TeacherPlan, teacher_plans
from langgraph_decomp.distill.train import TrainConfig, finetune, plan_text, write_card
from langgraph_decomp.models import LLAMACPP_PREFIX, generate_local_replies, gguf_file_of
from langgraph_decomp.parsing import plan_stop
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts


class DistillResult(BaseModel):
    """What a distillation run produced."""

    student_dir: str
    decomposer: str
    fast_decomposer: str | None = None
    """The same student exported to GGUF for the ``llamacpp:`` backend (GGUF students only)."""
    filter: FilterReport
    metrics: dict[str, PlanMetrics]
    eval_backend: str | None = None
    seconds: dict[str, float] = {}
    """Wall time per phase: teacher, train, export, eval, total."""


def few_shot_messages(
    question: str, shots: Sequence[TeacherPlan], max_subquestions: int, *,
    prompts: Prompts = DEFAULT_PROMPTS,
) -> list[BaseMessage]:
    """The decomposition prompt with worked examples as earlier turns."""
    system, user = prompts.decompose_messages(question, max_subquestions=max_subquestions)
    turns: list[BaseMessage] = [system]
    for shot in shots:
        example = prompts.decompose_messages(shot.question,
                                             max_subquestions=max_subquestions)[1]
        turns += [example, AIMessage(plan_text(shot.subquestions))]
    return [*turns, HumanMessage(user.text)]


def evaluate_plans(
    decomposers: dict[str, str],
    held_out: Sequence[Example],
    *,
    shots: Sequence[TeacherPlan] = (),
    max_subquestions: int = 5,
    max_tokens: int = 160,
    batch_size: int = 16,
    stop_at_cap: bool = True,
    on_result: Callable[[str, PlanMetrics], None] | None = None,
    prompts: Prompts = DEFAULT_PROMPTS,
    repeat_penalties: Mapping[str, float] | None = None,
) -> dict[str, PlanMetrics]:
    """Plan metrics per decomposer on held-out questions with gold sub-questions.

    ``decomposers`` maps a label to a local model string; a label ending in ``few-shot`` is
    prompted with ``shots`` as worked examples. With ``stop_at_cap``, generation stops where
    a plan would start sub-question ``max_subquestions + 1`` (as the graph stops a local
    decomposer; the parser keeps at most ``max_subquestions``), so a plan that repeats itself
    does not run on to ``max_tokens``; without it the model ends its own turn or hits
    ``max_tokens``, and the metrics count both. ``repeat_penalties`` maps a label to the
    llama.cpp repeat penalty its decomposer decodes with (others decode with their own).
    """
    gold = [e.subquestions or [] for e in held_out]
    results: dict[str, PlanMetrics] = {}
    for label, spec in decomposers.items():
        if label.endswith("few-shot"):
            convs = [few_shot_messages(e.question, shots, max_subquestions, prompts=prompts)
                     for e in held_out]
        else:
            convs = [prompts.decompose_messages(e.question, max_subquestions=max_subquestions)
                     for e in held_out]
        replies = generate_local_replies(
            spec, convs, max_tokens=max_tokens, batch_size=batch_size,
            stop=plan_stop(max_subquestions) if stop_at_cap else (),
            repeat_penalty=(repeat_penalties or {}).get(label),
        )
        results[label] = plan_metrics(
            [r.text for r in replies], gold, max_subquestions=max_subquestions,
            finish_reasons=[r.finish_reason for r in replies],
        )
        if on_result:
            on_result(label, results[label])
    return results


def run_distill(
    *,
    data: str,
    teacher: str,
    student: str,
    out_dir: Path,
    holdout: int = 200,
    limit: int | None = None,
    seed: int = 0,
    train: TrainConfig | None = None,
    teacher_context: dict[str, Any] | None = None,
    min_steps: int = 1,
    max_steps: int | None = None,
    solver_check: Callable[[TeacherPlan], bool] | None = None,
    few_shot: int = 3,
    evaluate: bool = True,
    eval_batch_size: int = 16,
    eval_max_tokens: int = 160,
    eval_backend: Literal["llamacpp", "transformers"] = "llamacpp",
    retrain: bool = False,
    show_progress: bool = True,
    log: Callable[[str], None] = print,
    prompts: Prompts = DEFAULT_PROMPTS,
) -> DistillResult:
    """Distil a decomposer: teacher plans for the training split, filtered, fine-tuned into
    ``student``, exported to ``out_dir/student`` (plus ``model.Q8_0.gguf`` there when the
    student came from a GGUF file), and scored on the held-out split (zero-shot, few-shot and
    distilled, side by side) when the data has gold sub-questions.

    ``eval_backend="llamacpp"`` scores GGUF students with llama.cpp (the base file and the
    export, the same files the ``llamacpp:`` backend serves), otherwise transformers in
    batches of ``eval_batch_size``. ``prompts`` are the teacher's and the student's words
    (saved beside the student and named in its card, to serve it with).
    """
    train_cfg = train or TrainConfig()
    clock = PhaseClock()

    examples = load_examples(data, limit=limit, seed=seed)
    train_set, held_out = split_examples(examples, holdout=holdout, seed=seed)
    log(f"{len(train_set)} training / {len(held_out)} held-out questions")
    plans = teacher_plans(
        train_set, teacher=teacher, cache_path=out_dir / "teacher.jsonl",
        max_subquestions=train_cfg.max_subquestions, context=teacher_context,
        show_progress=show_progress, prompts=prompts,
    )
    clock.lap("teacher")
    # Default: the cap the decomposition prompt states, so no training plan contradicts it.
    max_steps = train_cfg.max_subquestions if max_steps is None else max_steps
    kept, report = filter_plans(plans, min_steps=min_steps, max_steps=max_steps,
                                solver_check=solver_check)
    log("filter: " + ", ".join(f"{k}={v}" for k, v in report.model_dump().items()
                               if k != "rules"))
    if not kept:
        from langgraph_decomp.errors import DecompError

        raise DecompError("No teacher plan survived the filter; nothing to train on.")
    student_dir = out_dir / "student"
    card = {"teacher": teacher, "data": data, "seed": seed, "split": {
        "train": len(train_set), "held_out": len(held_out)}, "filter": report.model_dump(),
            "prompts": prompts.label}
    trained = retrain or not (student_dir / "distill_info.json").is_file()
    if trained:
        finetune(kept, student=student, out_dir=student_dir, config=train_cfg, card=card,
                 prompts=prompts)
    else:
        log(f"{student_dir} is already trained; evaluating it (retrain=True to train again)")
    clock.lap("train")
    decomposer = f"hf:{student_dir}"
    base_gguf = gguf_file_of(student)
    fast_decomposer = None
    if base_gguf is not None:
        exported = student_dir / "model.Q8_0.gguf"
        if trained or not exported.is_file():
            export_gguf(student_dir, base_gguf, exported)
        fast_decomposer = f"{LLAMACPP_PREFIX}{exported}"
        log(f"exported {exported} -> --decomposer {fast_decomposer}")
    clock.lap("export")
    if eval_backend == "llamacpp" and fast_decomposer and base_gguf is not None:
        specs = {"distilled": fast_decomposer, "student": f"{LLAMACPP_PREFIX}{base_gguf}"}
    else:
        eval_backend = "transformers"
        specs = {"distilled": decomposer, "student": student}
    metrics: dict[str, PlanMetrics] = {}
    scored = [e for e in held_out if e.subquestions]
    if evaluate and scored:
        metrics = evaluate_plans(
            {"distilled": specs["distilled"], "student zero-shot": specs["student"],
             "student few-shot": specs["student"]},
            scored, shots=kept[:few_shot], max_subquestions=train_cfg.max_subquestions,
            batch_size=eval_batch_size, max_tokens=eval_max_tokens, prompts=prompts,
            on_result=lambda label, m: log(
                f"{label}: parse {m.parse_rate:.1%}, count within 1 {m.count_within_1:.1%}, "
                f"ROUGE-L F1 {m.rouge_l_f1:.3f}, mean steps {m.mean_steps:.2f} (n={m.n})"
            ),
        )
        info = json.loads((student_dir / "distill_info.json").read_text())
        info["held_out_metrics"] = {k: v.model_dump() for k, v in metrics.items()}
        info["held_out_backend"] = eval_backend
        if fast_decomposer:
            info["gguf"] = fast_decomposer
        write_card(student_dir, info)
    clock.lap("eval")
    seconds = clock.total()
    log(clock.summary())
    result = DistillResult(student_dir=str(student_dir), decomposer=decomposer,
                           fast_decomposer=fast_decomposer, filter=report, metrics=metrics,
                           eval_backend=eval_backend if metrics else None, seconds=seconds)
    (out_dir / "result.json").write_text(result.model_dump_json(indent=2))
    return result
