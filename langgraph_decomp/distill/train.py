"""Steps 3 and 4: fine-tune a small student on (question -> sub-questions) with TRL, then
export a standard Hugging Face directory that ``hf:<dir>`` loads back into the graph.

LoRA (PEFT) by default, full fine-tuning as an option for tiny students; the loss is on the
completion (the plan) only; CPU-friendly defaults (fp32, no gradient checkpointing: on CPU
TRL's defaults cost ~16x). The student is any causal LM: hub id, directory or GGUF
(dequantized on load).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from langgraph_decomp.distill.teacher import TeacherPlan
from langgraph_decomp.errors import ModelConfigError
from langgraph_decomp.models import chat_dicts
from langgraph_decomp.parsing import numbered
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts


class TrainConfig(BaseModel):
    """Fine-tuning knobs (defaults sized for a 135M student on a laptop CPU)."""

    lora: bool = True
    lora_r: int = 16
    lora_alpha: int = 32
    epochs: float = 1.0
    max_steps: int = -1
    learning_rate: float = 5e-4
    batch_size: int = 8
    max_length: int = 384
    max_subquestions: int = 5
    group_by_length: bool = True
    """Batch rows of similar length: random batches of the GSM8K plans pad to 1.27x their
    real tokens, and on CPU every padded token costs as much as a real one."""
    seed: int = 0
    logging_steps: int = 10


def plan_text(subquestions: Sequence[str]) -> str:
    """A plan as the student should write it: numbered lines."""
    return numbered(subquestions)


def sft_rows(plans: Sequence[TeacherPlan], max_subquestions: int = 5, *,
             prompts: Prompts = DEFAULT_PROMPTS) -> list[dict[str, Any]]:
    """Conversational prompt/completion rows with the graph's decomposition prompt (that of
    ``prompts``: the student is then served with the same)."""
    rows = []
    for plan in plans:
        prompt = prompts.decompose_messages(plan.question, max_subquestions=max_subquestions)
        rows.append({
            "prompt": chat_dicts(prompt),
            "completion": [{"role": "assistant", "content": plan_text(plan.subquestions)}],
        })
    return rows


def load_student(spec: str) -> tuple[Any, Any]:
    """A fresh, trainable copy of a student model (GGUF is dequantized)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from langgraph_decomp.models import local_source

    source, gguf_file = local_source(spec)
    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as e:
        raise ModelConfigError(f"Could not load student {spec!r}: {e}", model=spec) from e
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:  # a GGUF-loaded model cannot be trained or saved otherwise
        quantizer.remove_quantization_config(model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def finetune(
    plans: Sequence[TeacherPlan],
    *,
    student: str,
    out_dir: Path,
    config: TrainConfig | None = None,
    card: dict[str, Any] | None = None,
    save_adapter: bool = False,
    prompts: Prompts = DEFAULT_PROMPTS,
) -> Path:
    """Fine-tune ``student`` on ``plans`` and save a merged HF model directory.

    Returns ``out_dir``; load it back with ``decomposer="hf:<out_dir>"``. With LoRA and
    ``save_adapter``, the unmerged PEFT adapter is also saved to ``out_dir/adapter`` (for
    :func:`langgraph_decomp.distill.export.export_lora_gguf`). The student learns the
    decomposition prompt of ``prompts``; they are saved as ``out_dir/prompts.json`` and named
    (``name@hash``) in the model card, so it is served with the prompt it was trained on:
    ``build_graph(decomposer="hf:<out_dir>", prompts=Prompts.from_file(out_dir))``.
    """
    import dataclasses
    import tempfile

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    config = config or TrainConfig()
    model, tokenizer = load_student(student)
    peft_config = None
    if config.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(
            r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=0.0,
            target_modules="all-linear", task_type="CAUSAL_LM",
        )
    # Activation checkpointing trades compute for memory: on CPU it made a step ~16x slower.
    names = {f.name for f in dataclasses.fields(SFTConfig)}
    # Keyword arguments whose names depend on the installed TRL/transformers version.
    no_checkpointing: dict[str, Any] = {
        ("activation_checkpointing" if "activation_checkpointing" in names
         else "gradient_checkpointing"): False
    }
    sampling: dict[str, Any] = (
        {"train_sampling_strategy": "group_by_length" if config.group_by_length else "random"}
        if "train_sampling_strategy" in names else {"group_by_length": config.group_by_length}
    )
    import torch

    # Trainer scratch (no checkpoints are saved there); removed however the run ends.
    with tempfile.TemporaryDirectory(prefix="langgraph-decomp-sft-",
                                     ignore_cleanup_errors=True) as scratch:
        args = SFTConfig(
            output_dir=scratch,
            num_train_epochs=config.epochs,
            max_steps=config.max_steps,
            per_device_train_batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            lr_scheduler_type="cosine",
            warmup_steps=0.05,
            max_length=config.max_length,
            completion_only_loss=True,
            bf16=False,
            fp16=False,
            use_cpu=not torch.cuda.is_available(),
            logging_steps=config.logging_steps,
            save_strategy="no",
            report_to=[],
            seed=config.seed,
            dataloader_num_workers=0,
            **no_checkpointing,
            **sampling,
        )
        trainer = SFTTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_list(sft_rows(plans, config.max_subquestions,
                                                     prompts=prompts)),
            processing_class=tokenizer,
            peft_config=peft_config,
        )
        result = trainer.train()
    # A PeftModel with LoRA, else the PreTrainedModel (trl types it Module | None).
    trained: Any = trainer.model
    out_dir.mkdir(parents=True, exist_ok=True)
    if config.lora:
        if save_adapter:
            trained.save_pretrained(out_dir / "adapter", safe_serialization=True)
        trained = trained.merge_and_unload()
    trained.save_pretrained(out_dir, safe_serialization=True)
    tokenizer.save_pretrained(out_dir)
    prompts.to_file(out_dir / Prompts.FILE_NAME)
    history = [h for h in trainer.state.log_history if "loss" in h]
    write_card(out_dir, {
        **(card or {}),
        "student": student,
        "prompts": prompts.label,
        "train": {**config.model_dump(), "examples": len(plans),
                  "train_loss": result.training_loss,
                  "first_logged_loss": history[0]["loss"] if history else None,
                  "last_logged_loss": history[-1]["loss"] if history else None},
    })
    return out_dir


def write_card(out_dir: Path, info: dict[str, Any]) -> Path:
    """A small model card: what taught the student, on what, and how it scored."""
    path = out_dir / "README.md"
    lines = [
        "---", "library_name: transformers", "tags: [langgraph-decomp, decomposition]", "---",
        "# Distilled decomposer (langgraph-decomp)", "",
        "Writes numbered sub-questions for a question, in the decomposition prompt of "
        f"`Prompts` {info.get('prompts', DEFAULT_PROMPTS.label)} (`prompts.json` here). "
        f"Load it with `build_graph(decomposer=\"hf:{out_dir}\", "
        f"prompts=Prompts.from_file(\"{out_dir}\"))`.", "",
        "```json", json.dumps(info, indent=2, default=str), "```", "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    (out_dir / "distill_info.json").write_text(json.dumps(info, indent=2, default=str))
    return path
