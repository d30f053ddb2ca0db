"""Distillation on the real SmolLM2 student, CPU, a few steps: train, merge, save, reload,
decompose through the graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from langgraph_decomp import build_graph
from langgraph_decomp.distill import TrainConfig, run_distill
from langgraph_decomp.distill.export import export_gguf
from langgraph_decomp.models import embedded_gguf_path, generate_local_batch, load_chat_model
from langgraph_decomp.nodes import decompose_messages
from tests.fakes import ScriptedChat

pytestmark = pytest.mark.integration
FIXTURE = Path(__file__).parents[1] / "fixtures" / "socratic_3q.jsonl"


def test_student_trains_merges_saves_reloads_and_decomposes(tmp_path, monkeypatch):
    result = run_distill(
        data=str(FIXTURE), teacher="dataset", student="local:smollm2", out_dir=tmp_path,
        holdout=1, seed=0, few_shot=1, eval_batch_size=2,
        train=TrainConfig(max_steps=2, batch_size=2, max_length=256, logging_steps=1),
        show_progress=False, log=lambda _: None,
    )
    student = Path(result.student_dir)
    assert (student / "model.safetensors").is_file()
    assert (student / "chat_template.jinja").is_file() or "chat_template" in (
        student / "tokenizer_config.json").read_text()
    assert not list(student.glob("adapter_*"))  # the LoRA adapter is merged in
    info = json.loads((student / "distill_info.json").read_text())
    assert info["teacher"] == "dataset" and info["filter"]["kept"] == 2
    assert info["train"]["examples"] == 2 and info["train"]["train_loss"] > 0
    assert set(info["held_out_metrics"]) == {"student zero-shot", "student few-shot", "distilled"}
    assert "held_out_metrics" in (student / "README.md").read_text()
    # The student came from a GGUF file, so it is also exported for the llama.cpp backend,
    # and that backend scored it.
    assert result.fast_decomposer == f"llamacpp:{student / 'model.Q8_0.gguf'}"
    assert result.eval_backend == "llamacpp" and info["held_out_backend"] == "llamacpp"
    assert {"teacher", "train", "export", "eval", "total"} <= set(result.seconds)

    # Greedy text of an unquantized export (llama.cpp) equals the HF directory's
    # (transformers): tensor names, q/k layout and metadata all carry over.
    conv = decompose_messages("Bo reads 5 pages a day for 6 days. How many pages?",
                              max_subquestions=3)
    expected = generate_local_batch(result.decomposer, [conv], max_tokens=24)[0]
    exported = export_gguf(student, embedded_gguf_path(), tmp_path / "s.F32.gguf",
                           quantization="F32")
    got = load_chat_model(f"llamacpp:{exported}", max_tokens=24).invoke(conv).text
    assert got.strip() and got.strip() == expected.strip()
    # Both backends end a reply at its first stop string and leave the stop string out.
    stop = expected.strip()[6:10]
    cut = expected[: expected.index(stop)].strip()
    for spec in (result.decomposer, f"llamacpp:{exported}"):
        assert generate_local_batch(spec, [conv], max_tokens=24, stop=[stop])[0].strip() == cut

    # A rerun on the same directory keeps the trained student instead of training again.
    import langgraph_decomp.distill.pipeline as pipeline

    def no_training(*args, **kwargs):
        raise AssertionError("trained again")

    monkeypatch.setattr(pipeline, "finetune", no_training)
    again = run_distill(data=str(FIXTURE), teacher="dataset", student="local:smollm2",
                        out_dir=tmp_path, holdout=1, seed=0, evaluate=False,
                        show_progress=False, log=lambda _: None)
    assert again.student_dir == result.student_dir

    graph = build_graph(
        decomposer=result.decomposer,
        solver=ScriptedChat.of(*["Answer: 1"] * 10, "Final answer: 8"),
    )
    out = graph.invoke(
        {"question": "Tom has 3 apples and buys 5 more. How many apples does he have?"},
        context={"verify": False, "decomposer_max_tokens": 48, "max_subquestions": 3},
    )
    assert out["usage"]["decomposer"]["calls"] == 1
    assert out["usage"]["decomposer"]["output_tokens"] > 0
    assert isinstance(out["answer"], str)


def test_distill_cli_reports_bad_data_without_a_traceback(tmp_path, capsys):
    from langgraph_decomp.cli import main

    assert main(["distill", "--data", str(tmp_path / "missing.jsonl"), "--out",
                 str(tmp_path / "o")]) == 2
    assert "Data file not found" in capsys.readouterr().out
