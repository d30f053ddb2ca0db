"""Distillation pieces with fakes: teacher cache and resume, filter rules, plan metrics."""

import json
from pathlib import Path

import pytest

from langgraph_decomp.data import Example, load_examples
from langgraph_decomp.distill import (
    DATASET_TEACHER,
    TeacherPlan,
    filter_plans,
    plan_metrics,
    teacher_plans,
)
from langgraph_decomp.distill.metrics import best_fixed_length
from langgraph_decomp.distill.pipeline import few_shot_messages
from langgraph_decomp.distill.train import plan_text, sft_rows
from tests.fakes import RuleChat

FIXTURE = Path(__file__).parents[1] / "fixtures" / "socratic_3q.jsonl"


def plan(i: int, steps: list[str], question: str | None = None) -> TeacherPlan:
    return TeacherPlan(id=f"p{i}", question=question or f"Question {i}?", gold="1",
                       subquestions=steps, status="ok" if steps else "unparsable",
                       teacher="t")


def sized_plans(*sizes: int) -> list[str]:
    """Raw plans of these many numbered sub-questions each."""
    return ["\n".join(f"{i}. Step {i}?" for i in range(1, k + 1)) for k in sizes]


def test_dataset_teacher_uses_the_human_subquestions(tmp_path):
    plans = teacher_plans(load_examples(str(FIXTURE)), teacher=DATASET_TEACHER,
                          cache_path=tmp_path / "t.jsonl", show_progress=False)
    assert plans[1].subquestions == [
        "How much do 3 pens cost?", "How much do the pens and the notebook cost?"
    ]


def test_killed_teacher_run_resumes_without_asking_again(tmp_path):
    examples = load_examples(str(FIXTURE))
    cache = tmp_path / "teacher.jsonl"
    asked: list[str] = []

    def rule(prompt: str) -> str:
        asked.append(prompt)
        if len(asked) == 2:
            raise KeyboardInterrupt  # the run is killed while asking about question 2
        return "1. What is step one?\n2. What is step two?"

    with pytest.raises(KeyboardInterrupt):
        teacher_plans(examples, teacher=RuleChat.by(rule), cache_path=cache,
                      show_progress=False)
    assert len(cache.read_text().splitlines()) == 1
    with cache.open("a") as f:
        f.write('{"id": "fx-2", "quest')  # a line cut off by the kill is ignored
    plans = teacher_plans(examples, teacher=RuleChat.by(rule), cache_path=cache,
                          show_progress=False)
    assert len(asked) == 4  # questions 2 and 3 asked again; question 1 came from the cache
    assert [p.id for p in plans] == ["fx-1", "fx-2", "fx-3"]
    assert all(p.subquestions == ["What is step one?", "What is step two?"] for p in plans)


def test_each_filter_rule_drops_what_it_names():
    plans = [
        plan(1, ["a?", "b?"]),
        plan(2, []),                                   # unparsable
        plan(3, ["a?", "b?"], question="question 1?"),  # duplicate of 1 (case, spaces)
        plan(4, ["only?"]),                            # too few (min 2)
        plan(5, [f"s{i}?" for i in range(9)]),         # too many (max 8)
        plan(6, ["x?", "y?"]),                         # solver misses gold
        plan(7, ["x?", "z?"]),
        plan(8, ["How many?", "how  many?"]),          # the same sub-question twice
    ]
    kept, report = filter_plans(plans, min_steps=2, max_steps=8,
                                solver_check=lambda p: p.id != "p6")
    assert [p.id for p in kept] == ["p1", "p7"]
    assert (report.unparsable, report.duplicate, report.too_few_steps, report.too_many_steps,
            report.repeated_step, report.solver_wrong, report.kept,
            report.total) == (1, 1, 1, 1, 1, 1, 2, 8)


def test_solver_check_is_asked_only_about_plans_that_passed_the_other_rules():
    asked = []
    filter_plans([plan(1, []), plan(2, ["a?"])], solver_check=lambda p: asked.append(p.id) or 1)
    assert asked == ["p2"]


def test_plan_metrics():
    gold = [["How many apples?", "How many pears?"], ["What is the total?"]]
    outputs = ["1. How many apples?\n2. How many pears?", "garbage"]
    m = plan_metrics(outputs, gold)
    assert m.parse_rate == 0.5 and m.count_within_1 == 0.5  # unparsable never counts
    assert m.rouge_l_f1 == pytest.approx(0.5)
    four = "\n".join(f"{i}. What is the total {i}?" for i in range(1, 5))
    m2 = plan_metrics(["1. How many apples?", four], gold)
    assert m2.parse_rate == 1.0 and m2.count_within_1 == 0.5  # 4 steps vs 1 gold: off by 3
    assert 0.3 < m2.rouge_l_f1 < 0.7  # partial overlap, penalized for extra steps


def test_best_fixed_length_is_the_plan_length_most_gold_plans_lie_within_one_of():
    gold = [["q"] * n for n in (2, 3, 3, 4, 5)]
    assert best_fixed_length(gold, 5) == (3, 0.8)  # 3 and 4 both fit 4 of 5: the shorter
    assert best_fixed_length(gold, 2) == (2, 0.6)  # never past the cap
    assert best_fixed_length([], 5) == (0, 0.0)
    m = plan_metrics(["1. q?"] * 5, gold, max_subquestions=5)
    assert (m.fixed_steps, m.fixed_within_1, m.gold_mean_steps) == (3, 0.8, 3.4)


def test_steps_correlation_says_whether_plan_sizes_follow_the_gold_sizes():
    gold = [["q"] * n for n in (2, 3, 4)]
    assert plan_metrics(sized_plans(2, 3, 4), gold).steps_correlation == pytest.approx(1.0)
    assert plan_metrics(sized_plans(4, 3, 2), gold).steps_correlation == pytest.approx(-1.0)
    # The same size whatever the question: no correlation to speak of.
    assert plan_metrics(sized_plans(3, 3, 3), gold).steps_correlation is None
    assert plan_metrics(sized_plans(3, 3, 3), gold).count_within_1 == 1.0


def test_two_decomposers_plans_pair_question_by_question():
    from langgraph_decomp.distill.metrics import compare_plans

    gold = [["How many apples?", "How many pears?"], ["What is the total?"] * 3,
            ["How many?"]]
    shipped = plan_metrics(["1. How many apples?\n2. How many pears?", "1. Total?",
                            "garbage"], gold)
    other = plan_metrics(["1. How many apples?", "1. What is the total?\n2. Total?",
                          "1. How many?"], gold)
    assert [q.steps for q in shipped.per_question] == [2, 1, 0]
    assert [q.within_1 for q in other.per_question] == [True, True, True]
    d = compare_plans(shipped, other)
    # Sized within ±1: shipped 1 and 1 (not 3: unparsable); other all three.
    assert (d.n, d.b, d.c) == (3, 0, 2) and d.within_1_p == 0.5
    rouge = [y.rouge_l - x.rouge_l for x, y in zip(shipped.per_question, other.per_question,
                                                     strict=True)]
    assert d.rouge_l_diff == pytest.approx(sum(rouge) / 3)
    assert rouge[0] < 0 < rouge[2]  # one plan lost a step, one became parsable
    low, high = d.rouge_l_diff_interval
    assert min(rouge) <= low <= d.rouge_l_diff <= high <= max(rouge)
    assert compare_plans(other, shipped).b == 2  # the sides are not symmetric
    with pytest.raises(ValueError, match="same questions"):
        compare_plans(shipped, plan_metrics(["1. q?"], gold[:1]))


def test_sft_rows_use_the_graphs_prompt_and_numbered_plans():
    rows = sft_rows([plan(1, ["How many?", "How much?"])])
    assert rows[0]["prompt"][0]["role"] == "system"
    assert "Question 1?" in rows[0]["prompt"][1]["content"]
    assert rows[0]["completion"] == [
        {"role": "assistant", "content": "1. How many?\n2. How much?"}
    ]
    assert plan_text(["a", "b"]) == "1. a\n2. b"


def test_few_shot_prompt_puts_worked_examples_before_the_question():
    msgs = few_shot_messages("Target?", [plan(1, ["a?"]), plan(2, ["b?"])], 5)
    assert [m.type for m in msgs] == ["system", "human", "ai", "human", "ai", "human"]
    assert "Target?" in msgs[-1].text and msgs[2].text == "1. a?"


def test_examples_without_gold_subquestions_have_none():
    assert Example(id="x", question="q", gold="1").subquestions is None


def test_gguf_rope_layout_is_the_inverse_of_transformers_loader():
    import numpy as np
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    from langgraph_decomp.distill.export import _rope_interleave

    loader = LlamaTensorProcessor()
    rng = np.random.default_rng(0)
    for n_head, rows in ((9, 576), (3, 192)):
        w = rng.standard_normal((rows, 8)).astype(np.float32)
        stored = _rope_interleave(w, n_head)
        assert not np.array_equal(stored, w)
        assert np.array_equal(loader._reverse_permute_weights(stored, n_head, n_head), w)


def test_gguf_export_rejects_what_it_cannot_write(tmp_path):
    import pytest

    from langgraph_decomp.distill.export import export_gguf
    from langgraph_decomp.errors import ModelConfigError

    with pytest.raises(ModelConfigError, match="Q8_0, F16 or F32"):
        export_gguf(tmp_path, tmp_path / "base.gguf", tmp_path / "out.gguf", quantization="Q2_K")
    with pytest.raises(ModelConfigError, match="No model.safetensors"):
        export_gguf(tmp_path, tmp_path / "base.gguf", tmp_path / "out.gguf")


@pytest.mark.parametrize(("grouped", "strategy"), [(True, "group_by_length"), (False, "random")])
def test_training_batches_rows_of_similar_length_unless_told_not_to(
    grouped, strategy, monkeypatch, tmp_path
):
    pytest.importorskip("trl")
    import trl

    from langgraph_decomp.distill import train

    seen = {}

    class Captured(Exception):
        pass

    def trainer(*, args, **kwargs):  # stands in for trl.SFTTrainer: keep the config, stop
        seen["args"] = args
        raise Captured

    monkeypatch.setattr(train, "load_student", lambda spec: (object(), object()))
    monkeypatch.setattr(trl, "SFTTrainer", trainer)
    import tempfile

    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_root))
    config = train.TrainConfig(lora=False, group_by_length=grouped)
    with pytest.raises(Captured):
        train.finetune([plan(1, ["A?", "B?"])], student="x", out_dir=tmp_path / "out",
                       config=config)
    assert seen["args"].train_sampling_strategy == strategy
    assert not list(scratch_root.iterdir())  # a trainer that fails to build leaves no scratch


def test_solution_teacher_is_shown_the_numbered_gold_steps_and_two_worked_examples(tmp_path):
    fixture = Path(__file__).parents[1] / "fixtures" / "handwritten_gsm8k_format_3q.jsonl"
    examples = load_examples(str(fixture))
    teacher = RuleChat.by(lambda prompt: "1. How many pens does Ann have?\n2. How many are left?")
    plans = teacher_plans(examples[:1], teacher=teacher, cache_path=tmp_path / "t.jsonl",
                          prompt="solution", show_progress=False)
    sent = teacher.prompts[0]
    assert [m.type for m in sent] == ["system", "human", "ai", "human", "ai", "human"]
    assert sent[-1].content.endswith(
        "Solution steps:\n1. Ann has 4*6 = 24 pens.\n2. She has 24-5 = 19 pens left.\n\n"
        "Sub-questions:"
    )
    assert "19" not in sent[-1].content.split("Solution steps:")[0]  # the gold stays out
    assert plans[0].subquestions == ["How many pens does Ann have?", "How many are left?"]


def test_solution_teacher_refuses_examples_without_a_solution(tmp_path):
    from langgraph_decomp.errors import DecompError

    with pytest.raises(DecompError, match="needs worked solutions"):
        teacher_plans([Example(id="x", question="Q?", gold="1")], teacher=RuleChat.by(str),
                      cache_path=tmp_path / "t.jsonl", prompt="solution", show_progress=False)


def test_plans_of_the_wrong_length_are_dropped_when_the_step_count_is_known():
    kept, report = filter_plans([plan(1, ["a?", "b?"]), plan(2, ["a?"])],
                                expected_steps={"p1": 2, "p2": 3})
    assert [p.id for p in kept] == ["p1"] and report.wrong_step_count == 1


def test_the_recipe_evaluation_scores_the_named_sets_with_the_labels_repeat_penalties(
    monkeypatch,
):
    from langgraph_decomp.distill import pipeline, recipe
    from langgraph_decomp.models import LocalReply

    r = recipe.Recipe.model_validate({
        "name": "t", "sources": [],
        "evaluate": [{"name": "a", "data": str(FIXTURE)}, {"name": "b", "data": str(FIXTURE)}]})
    seen = []

    def fake_replies(spec, convs, *, repeat_penalty=None, **_):
        seen.append((spec, repeat_penalty, len(convs)))
        return [LocalReply("1. How many?", "stop") for _ in convs]

    monkeypatch.setattr(pipeline, "generate_local_replies", fake_replies)
    metrics = recipe.evaluate_recipe(
        r, {"distilled": "local:decomposer", "distilled rp=1.2": "local:decomposer"},
        shots=[], repeat_penalties={"distilled rp=1.2": 1.2}, sets=["b"], log=lambda _: None)
    assert list(metrics) == ["b"]
    assert [s[:2] for s in seen] == [("local:decomposer", None), ("local:decomposer", 1.2)]
    with pytest.raises(recipe.RecipeError, match="no evaluation set c"):
        recipe.evaluate_recipe(r, {}, shots=[], sets=["c"])
    with pytest.raises(ValueError, match="repeat_penalty"):
        recipe.Recipe.model_validate({"name": "t", "sources": [], "repeat_penalty": 0})


HANDWRITTEN = Path(__file__).parents[1] / "fixtures" / "handwritten_gsm8k_format_3q.jsonl"
BOOK_PLAN = ["How much do 2 books cost?", "How much do 4 pens cost?",
             "How much do 2 books and 4 pens cost?"]


def shot_recipe(**shot):
    from langgraph_decomp.distill import recipe

    return recipe.Recipe.model_validate({
        "name": "t",
        "teacher_shots": [{"data": str(HANDWRITTEN), "id": "row-1", "subquestions": BOOK_PLAN,
                           **shot}],
        "teacher_check": {"data": str(FIXTURE), "limit": 2},
        "sources": [{"name": "g", "data": str(HANDWRITTEN), "teacher": "openai:never-called",
                     "teacher_prompt": "solution"}],
    })


def test_a_recipes_teacher_shots_are_read_by_path_and_reach_every_teacher_call(
    tmp_path, monkeypatch,
):
    from langgraph_decomp.distill import recipe

    r = shot_recipe()
    prompts = recipe.recipe_prompts(r)
    question, steps, subquestions = prompts.teacher_solution_shots[0]
    assert len(prompts.teacher_solution_shots) == 1
    assert question.startswith("A book costs $12") and subquestions == tuple(BOOK_PLAN)
    assert steps == ("2 books cost 2*12 = $24.", "4 pens cost 4*3 = $12.",
                     "Together they cost 24+12 = $36.")
    assert [p.subquestions for p in recipe.recipe_shots(r)] == [BOOK_PLAN]
    # The teacher is shown the shot, not the library's own hand-written examples.
    teacher = RuleChat.by(lambda prompt: "1. How many pens?\n2. How many are left?")
    teacher_plans(load_examples(str(HANDWRITTEN))[:1], teacher=teacher, prompts=prompts,
                  cache_path=tmp_path / "t.jsonl", prompt="solution", show_progress=False)
    sent = teacher.prompts[0]
    assert [m.type for m in sent] == ["system", "human", "ai", "human"]
    assert sent[1].content.startswith("Problem: A book costs $12")
    # run_recipe hands the same prompts to the teacher check and to each source's teacher.
    seen = []

    def fake_teacher_plans(examples, **kwargs):
        seen.append(kwargs["prompts"])
        raise KeyboardInterrupt

    monkeypatch.setattr(recipe, "teacher_plans", fake_teacher_plans)
    with pytest.raises(KeyboardInterrupt):
        recipe.run_recipe(r, out_dir=tmp_path / "run", show_progress=False)
    with pytest.raises(KeyboardInterrupt):
        recipe.run_recipe(r.model_copy(update={"teacher_check": None}),
                          out_dir=tmp_path / "run2", show_progress=False)
    assert seen == [prompts, prompts]


def test_without_teacher_shots_a_recipe_uses_the_hand_written_ones():
    from langgraph_decomp import DEFAULT_PROMPTS
    from langgraph_decomp.distill import recipe

    r = recipe.Recipe.model_validate({"name": "t", "sources": []})
    assert recipe.recipe_prompts(r) is DEFAULT_PROMPTS
    assert [p.question for p in recipe.recipe_shots(r)] == [
        q for q, _, _ in DEFAULT_PROMPTS.teacher_solution_shots]


def test_a_teacher_shot_naming_a_missing_row_or_the_wrong_step_count_is_a_recipe_error():
    from langgraph_decomp.distill import recipe

    with pytest.raises(recipe.RecipeError, match="'row-9' is not a row of"):
        recipe.recipe_prompts(shot_recipe(id="row-9"))
    with pytest.raises(recipe.RecipeError, match="has 3 solution steps and 2 sub-questions"):
        recipe.recipe_prompts(shot_recipe(subquestions=BOOK_PLAN[:2]))


def test_the_phase_clock_times_each_phase_since_the_last_and_the_whole_run(monkeypatch):
    from langgraph_decomp.distill import phases

    now = iter([10.0, 12.5, 13.0, 20.0])
    monkeypatch.setattr(phases.time, "perf_counter", lambda: next(now))
    clock = phases.PhaseClock()
    clock.lap("teacher")
    clock.lap("train")
    assert clock.total() == {"teacher": 2.5, "train": 0.5, "total": 10.0}
    assert clock.summary() == "seconds: teacher 2.5, train 0.5, total 10.0"


def test_oversample_repeats_plans_of_the_named_lengths_and_no_others():
    from langgraph_decomp.distill.filtering import oversample

    plans = [plan(1, ["a?"]), plan(2, ["a?", "b?"]), plan(3, ["a?", "b?", "c?"])]
    assert [p.id for p in oversample(plans, {2: 3, 3: 2})] == [
        "p1", "p2", "p2", "p2", "p3", "p3"]
    assert oversample(plans, {}) == plans
    with pytest.raises(ValueError, match="at least 1"):
        oversample(plans, {2: 0})


def test_a_recipe_trains_on_its_sources_oversampled_plans_and_rejects_zero_copies(
    tmp_path, monkeypatch,
):
    from collections import Counter

    from langgraph_decomp.distill import recipe, train

    def source(**extra):
        return {"name": "s", "data": str(HANDWRITTEN), "teacher": "dataset", **extra}

    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"name": "t", "sources": [source(oversample={"3": 0})]}))
    with pytest.raises(recipe.RecipeError, match="oversample"):
        recipe.load_recipe(path)

    def fake_teacher_plans(examples, **kwargs):
        return [plan(i, [f"q{j}?" for j in range(i + 1)], question=e.question)
                for i, e in enumerate(examples)]

    trained = []

    def fake_finetune(rows, **kwargs):
        trained.extend(rows)
        raise KeyboardInterrupt

    monkeypatch.setattr(recipe, "teacher_plans", fake_teacher_plans)
    monkeypatch.setattr(train, "finetune", fake_finetune)
    r = recipe.Recipe.model_validate({"name": "t", "sources": [source(oversample={"3": 4})]})
    with pytest.raises(KeyboardInterrupt):
        recipe.run_recipe(r, out_dir=tmp_path / "run", show_progress=False, log=lambda s: None)
    assert Counter(len(p.subquestions) for p in trained) == {1: 1, 2: 1, 3: 4}


def test_the_model_card_table_shows_each_rows_steps_correlation():
    from langgraph_decomp.distill.card import _metrics_table
    from langgraph_decomp.distill.recipe import RecipeResult

    gold = [["q"] * n for n in (2, 3, 4)]
    result = RecipeResult(adapter="a.gguf", decomposer="llamacpp:a.gguf", sha256="0",
                          size_bytes=1, filters={}, train_rows=1, metrics={"gsm8k": {
                              "sized": plan_metrics(sized_plans(2, 3, 4), gold),
                              "constant": plan_metrics(sized_plans(3, 3, 3), gold)}})
    table = "\n".join(_metrics_table(result))
    assert "| steps within ±1 | steps r | ROUGE-L F1 |" in table
    assert "| sized | 3 | 100.0% | 100.0% | 1.00 |" in table
    assert "| constant | 3 | 100.0% | 100.0% | - |" in table
