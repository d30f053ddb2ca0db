"""Prompts as one object: what a custom Prompts changes, and how it travels with a student."""

from __future__ import annotations

import pytest
from langgraph.cache.memory import InMemoryCache

from langgraph_decomp import DEFAULT_PROMPTS, Prompts, build_graph, prompts
from langgraph_decomp.data import Example
from langgraph_decomp.distill.pipeline import few_shot_messages
from langgraph_decomp.distill.teacher import TeacherPlan, teacher_plans
from langgraph_decomp.distill.train import sft_rows
from tests.fakes import RuleChat, ScriptedChat

QUESTION = "Tom has 3 apples and buys 5 more. He eats 2. How many are left?"
PLAN = "1. How many apples after buying?\n2. How many after eating?"

CUSTOM = Prompts(
    name="terse",
    decompose_system="PLAN IN AT MOST {max_subquestions} STEPS.",
    decompose_user="{context_block}Q: {question}",
    guided_system="ONE LINE EACH.",
    guided_user="{context_block}P: {question}\n{hints}\n{feedback_block}GO.",
    verify_system="JUDGE.",
)


def test_the_defaults_are_the_module_templates():
    assert DEFAULT_PROMPTS.guided_system == prompts.GUIDED_SYSTEM
    assert DEFAULT_PROMPTS.decompose_user == prompts.DECOMPOSE_USER
    assert DEFAULT_PROMPTS.teacher_solution_shots == prompts.TEACHER_SOLUTION_SHOTS


def test_custom_prompts_change_what_the_decomposer_solver_and_verifier_receive():
    decomposer = ScriptedChat.of(PLAN)
    solver = ScriptedChat.of("1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: 6")
    verifier = ScriptedChat.of("VERDICT: CORRECT")
    graph = build_graph(decomposer=decomposer, solver=solver, verifier=verifier,
                        prompts=CUSTOM)
    out = graph.invoke({"question": QUESTION}, context={"verify": True, "max_subquestions": 4,
                                                        "solve_scheme": "guided"})
    assert out["answer"] == "6" and out["verified"] is True
    system, user = decomposer.prompts[0]
    assert (system.content, user.content) == ("PLAN IN AT MOST 4 STEPS.", f"Q: {QUESTION}")
    system, user = solver.prompts[0]
    assert system.content == "ONE LINE EACH."
    assert user.content == (f"P: {QUESTION}\n1. How many apples after buying?\n"
                            "2. How many after eating?\nGO.")
    assert verifier.prompts[0][0].content == "JUDGE."


async def test_the_async_graph_sends_the_same_custom_prompts():
    decomposer = ScriptedChat.of(PLAN)
    solver = ScriptedChat.of("1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: 6")
    graph = build_graph(decomposer=decomposer, solver=solver, prompts=CUSTOM)
    out = await graph.ainvoke({"question": QUESTION}, context={"solve_scheme": "guided"})
    assert out["answer"] == "6"
    assert decomposer.prompts[0][1].content == f"Q: {QUESTION}"
    assert solver.prompts[0][0].content == "ONE LINE EACH."


def test_the_default_graph_still_sends_the_default_prompts():
    decomposer = ScriptedChat.of(PLAN)
    solver = ScriptedChat.of("bought = 8\nleft = 6\nanswer = left")
    build_graph(decomposer=decomposer, solver=solver).invoke({"question": QUESTION})
    assert decomposer.prompts[0] == DEFAULT_PROMPTS.decompose_messages(QUESTION)
    assert solver.prompts[0][0].content == prompts.PROGRAM_SYSTEM


def test_a_label_names_the_words_not_only_the_name():
    renamed = DEFAULT_PROMPTS.model_copy(update={"name": "mine"})
    assert renamed.digest == DEFAULT_PROMPTS.digest and renamed.label.startswith("mine@")
    assert CUSTOM.digest != DEFAULT_PROMPTS.digest
    assert Prompts(final_user=DEFAULT_PROMPTS.final_user + " ").digest != DEFAULT_PROMPTS.digest


def test_prompts_are_frozen_and_reject_unknown_templates():
    with pytest.raises(ValueError):
        Prompts(guided_sytem="typo")
    with pytest.raises(ValueError):
        DEFAULT_PROMPTS.guided_system = "changed"  # type: ignore[misc]


def test_build_graph_rejects_something_that_is_not_prompts():
    with pytest.raises(TypeError, match="Prompts"):
        build_graph(prompts={"guided_system": "x"})  # type: ignore[arg-type]


def test_a_cache_never_serves_an_answer_written_under_other_prompts():
    cache = InMemoryCache()
    first = ScriptedChat.of("1. 8\n2. 6\nFinal answer: 6")
    build_graph(decomposer=ScriptedChat.of(PLAN), solver=first, cache=cache).invoke(
        {"question": QUESTION}, context={"solve_scheme": "guided"})
    again = ScriptedChat.of("1. 8\n2. 6\nFinal answer: 6")
    build_graph(decomposer=ScriptedChat.of(PLAN), solver=again, cache=cache,
                prompts=CUSTOM).invoke({"question": QUESTION}, context={"solve_scheme": "guided"})
    assert len(again.prompts) == 1  # asked, not served from the first graph's cache


def test_distillation_trains_and_asks_with_the_given_prompts(tmp_path):
    rows = sft_rows([TeacherPlan(id="a", question=QUESTION, gold="6", status="ok",
                                 subquestions=["How many?"], teacher="t")], prompts=CUSTOM)
    assert rows[0]["prompt"] == [{"role": "system", "content": "PLAN IN AT MOST 5 STEPS."},
                                 {"role": "user", "content": f"Q: {QUESTION}"}]
    shots = [TeacherPlan(id="s", question="Shot?", gold="1", status="ok",
                         subquestions=["A?"], teacher="t")]
    few = few_shot_messages(QUESTION, shots, 5, prompts=CUSTOM)
    assert [m.content for m in few] == ["PLAN IN AT MOST 5 STEPS.", "Q: Shot?", "1. A?",
                                        f"Q: {QUESTION}"]
    teacher = RuleChat.by(lambda text: "1. How many?")
    teacher_plans([Example(id="x", question=QUESTION, gold="6")], teacher=teacher,
                  cache_path=tmp_path / "t.jsonl", show_progress=False, prompts=CUSTOM)
    assert teacher.prompts[0][0].content == "PLAN IN AT MOST 5 STEPS."


def test_prompts_round_trip_through_a_student_directory(tmp_path):
    CUSTOM.to_file(tmp_path / Prompts.FILE_NAME)
    loaded = Prompts.from_file(tmp_path)
    assert loaded == CUSTOM and loaded.label == CUSTOM.label
