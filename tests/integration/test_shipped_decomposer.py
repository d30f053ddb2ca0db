"""The distilled decomposer that ships in the package, and the recipe that makes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langgraph_decomp.models import (
    LlamaCppChat,
    embedded_gguf_path,
    generate_local_batch,
    load_chat_model,
)
from langgraph_decomp.nodes import decompose_messages

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parents[1] / "fixtures"
QUESTION = "Tom has 3 apples and buys 5 more. He eats 2. How many apples are left?"


def test_lora_adapter_export_matches_the_merged_model_in_transformers(tmp_path):
    """llama.cpp applying the exported adapter to the base gives the same greedy text as
    transformers running the merged model, and not the base's text."""
    import torch
    from peft import LoraConfig, get_peft_model

    from langgraph_decomp.distill.export import export_gguf, export_lora_gguf
    from langgraph_decomp.distill.train import load_student

    model, tokenizer = load_student("local:smollm2")
    model.save_pretrained(tmp_path / "base")
    tokenizer.save_pretrained(tmp_path / "base")
    torch.manual_seed(0)  # a random (non-identity) adapter moves the greedy text
    lora = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                            init_lora_weights=False, task_type="CAUSAL_LM"))
    lora.save_pretrained(tmp_path / "adapter")
    lora.merge_and_unload().save_pretrained(tmp_path / "merged")
    tokenizer.save_pretrained(tmp_path / "merged")
    base = export_gguf(tmp_path / "base", embedded_gguf_path(), tmp_path / "base.F32.gguf",
                       quantization="F32")
    adapter = export_lora_gguf(tmp_path / "adapter", embedded_gguf_path(),
                               tmp_path / "a.gguf", base_model="local:smollm2", dtype="F32")
    conv = decompose_messages("Bo reads 5 pages a day for 6 days. How many pages?",
                              max_subquestions=3)
    merged = generate_local_batch(f"hf:{tmp_path / 'merged'}", [conv], max_tokens=24)[0]
    applied = LlamaCppChat(model_id="t", path=str(base), lora=str(adapter),
                           max_tokens=24).invoke(conv).text
    plain = LlamaCppChat(model_id="b", path=str(base), max_tokens=24).invoke(conv).text
    assert applied.strip() == merged.strip()
    assert applied.strip() != plain.strip()
    # The adapter names its base, so `llamacpp:<adapter>` loads on the embedded model.
    assert load_chat_model(f"llamacpp:{adapter}", max_tokens=8).lora == str(adapter)


def test_recipe_command_runs_end_to_end_on_a_tiny_subset(tmp_path, monkeypatch):
    from langgraph_decomp import models
    from langgraph_decomp.cli import main

    recipe = json.loads((FIXTURES / "recipe_tiny.json").read_text())
    for part in (recipe["teacher_check"], *recipe["teacher_shots"], *recipe["sources"],
                 *recipe["evaluate"]):
        if "data" in part:
            part["data"] = str(FIXTURES / part["data"])
    recipe["repeat_penalty"] = 1.1
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    weights = tmp_path / "weights"
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", weights)
    out = tmp_path / "run"
    assert main(["distill", "--recipe", str(path), "--out", str(out), "--train-steps", "2",
                 "--ship"]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["train_rows"] >= 2  # the two StrategyQA plans at least
    assert result["filters"]["strategyqa"]["kept"] == 2  # three questions, one held out
    assert set(result["metrics"]) == {"gsm8k", "strategyqa-heldout"}
    assert set(result["metrics"]["gsm8k"]) == {"base zero-shot", "base few-shot", "distilled"}
    assert (out / "teacher-gsm8k-train.jsonl").is_file()
    manifest = json.loads((weights / "manifest.json").read_text())
    assert manifest["sha256"] == result["sha256"] and manifest["base_model"] == "local:smollm2"
    assert manifest["repeat_penalty"] == 1.1
    card = (weights / "MODEL_CARD.md").read_text()
    assert "Held-out plan quality" in card and "fixtures" in card
    assert "repeat penalty 1.1" in card
    assert "reading no question, would be within ±1" in card  # the fixed-length reference
    assert set(json.loads((weights / "trained_ids.json").read_text())) == {
        "gsm8k-train", "strategyqa"}
    # What was shipped is what `local:decomposer` now loads, sha256 checked.
    models.cache._cached_chat_model.cache_clear()
    try:
        chat = load_chat_model("local:decomposer", max_tokens=16)
        assert chat.lora == str(weights / manifest["file"]) and chat.repeat_penalty == 1.1
        assert chat.invoke(decompose_messages(QUESTION)).usage_metadata["output_tokens"] > 0
    finally:
        models.cache._cached_chat_model.cache_clear()


def test_a_teacher_below_the_recipes_rouge_gate_stops_the_run_before_training(
        tmp_path, monkeypatch, capsys):
    from langgraph_decomp import models
    from langgraph_decomp.cli import main

    recipe = json.loads((FIXTURES / "recipe_tiny.json").read_text())
    recipe["teacher_check"]["min_rouge_l"] = 0.99  # no 135M teacher reaches this
    for part in (recipe["teacher_check"], *recipe["teacher_shots"], *recipe["sources"],
                 *recipe["evaluate"]):
        if "data" in part:
            part["data"] = str(FIXTURES / part["data"])
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe))
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", tmp_path / "weights")
    out = tmp_path / "run"
    assert main(["distill", "--recipe", str(path), "--out", str(out), "--train-steps", "1",
                 "--ship"]) == 2
    assert "below the recipe's min_rouge_l 0.99" in " ".join(capsys.readouterr().out.split())
    assert not (out / "result.json").exists() and not (tmp_path / "weights").exists()


def test_the_shipped_decomposer_plans_offline_and_stops_by_itself(socket_disabled):
    """The adapter in the package (no network) plans the apples question into at least two
    parsed sub-questions and ends its turn before its token cap."""
    from langgraph_decomp import build_graph
    from langgraph_decomp.context import DEFAULT_DECOMPOSER
    from langgraph_decomp.models import WEIGHTS_DIR, shipped_adapter_path
    from langgraph_decomp.parsing import parse_plan

    assert DEFAULT_DECOMPOSER == "local:decomposer"
    assert shipped_adapter_path().parent == WEIGHTS_DIR
    chat = load_chat_model("local:decomposer", max_tokens=192)
    reply = chat.invoke(decompose_messages(QUESTION, None, max_subquestions=5))
    assert reply.response_metadata["finish_reason"] == "stop"
    plan = parse_plan(reply.text, max_subquestions=5)
    assert plan.status == "ok" and len(plan.subquestions) >= 2
    assert all(q.endswith("?") for q in plan.subquestions)

    out = build_graph().invoke({"question": QUESTION})  # the defaults: all embedded
    assert len(out["subquestions"]) >= 2
