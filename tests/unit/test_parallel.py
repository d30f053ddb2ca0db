"""Plan dependencies: independent sub-questions run in one parallel wave, dependent ones wait."""

import threading
import time

import pytest

from langgraph_decomp import InvalidInputError, build_graph
from langgraph_decomp.parsing import plan_dependencies
from tests.fakes import RuleChat, ScriptedChat

STEPWISE = {"solve_scheme": "stepwise"}  # one solver call per sub-question
QUESTION = "Pens cost $2, pencils $1. How much for 3 pens and 4 pencils?"
PLAN = (
    "1. How much do 3 pens cost?\n2. How much do 4 pencils cost?\n"
    "3. What is the sum of the answers to #1 and #2?"
)
ANSWERS = {"3 pens": "6", "4 pencils": "4", "sum": "10"}


def answer_by_subquestion(prompt: str) -> str:
    if "Sub-question:" not in prompt:
        return "Final answer: 10"
    asked = prompt.split("Sub-question:")[1]
    return "Answer: " + next(v for k, v in ANSWERS.items() if k in asked)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("sequential", [[], [0], [0, 1]]),
        ("independent", [[], [], []]),
        ("inferred", [[], [], [0, 1]]),
    ],
)
def test_plan_dependencies(mode, expected):
    plan = ["How much do 3 pens cost?", "How much do 4 pencils cost?",
            "What is the sum of the answers to #1 and #2?"]
    assert plan_dependencies(plan, mode) == expected


def test_references_are_read_in_several_forms_and_never_point_forward():
    plan = ["A?", "Using step 1, B?", "From sub-question 2 and Q1, C?", "See #9 and #4, D?"]
    assert plan_dependencies(plan, "inferred") == [[], [0], [0, 1], []]


def waves(graph, mode):
    """Which steps ran in each wave of solve tasks (waves are split by the verify gate)."""
    out, current = [], []
    for chunk in graph.stream({"question": QUESTION}, stream_mode="updates",
                              context={**STEPWISE, "verify": False, "dependencies": mode}):
        if "solve" in chunk and chunk["solve"].get("steps"):
            current.append(chunk["solve"]["steps"][0]["index"])
        elif "verify" in chunk and current:
            out.append(sorted(current))
            current = []
    return out


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("sequential", [[0], [1], [2]]), ("independent", [[0, 1, 2]]), ("inferred", [[0, 1], [2]])],
)
def test_ready_steps_run_together_and_dependent_ones_wait(mode, expected):
    graph = build_graph(decomposer=ScriptedChat.of(PLAN), solver=RuleChat.by(answer_by_subquestion))
    assert waves(graph, mode) == expected


def test_parallel_results_land_on_the_right_subquestion_and_only_needed_answers_are_shown():
    solver = RuleChat.by(answer_by_subquestion)
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={**STEPWISE, "verify": False, "dependencies": "inferred"}
    )
    assert [s["answer"] for s in out["subquestions"]] == ["6", "4", "10"]
    prompts = {p[-1].content.split("Sub-question:")[-1].strip(): p[-1].content
               for p in solver.prompts}
    pencils = prompts["How much do 4 pencils cost?"]
    assert "Answers so far" not in pencils  # independent: sees no other answer
    total = prompts["What is the sum of the answers to #1 and #2?"]
    assert "Answer: 6" in total and "Answer: 4" in total


def test_independent_steps_really_overlap_in_time():
    running, peak, lock = [0], [0], threading.Lock()

    def slow(prompt: str) -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.2)
        with lock:
            running[0] -= 1
        return answer_by_subquestion(prompt)

    build_graph(decomposer=ScriptedChat.of(PLAN), solver=RuleChat.by(slow)).invoke(
        {"question": QUESTION}, context={**STEPWISE, "verify": False, "dependencies": "independent"}
    )
    assert peak[0] == 3


def test_unknown_dependency_mode_is_a_typed_error():
    with pytest.raises(InvalidInputError, match="dependencies"):
        build_graph(decomposer=ScriptedChat.of(PLAN), solver=ScriptedChat.of()).invoke(
            {"question": QUESTION}, context={**STEPWISE, "dependencies": "magic"}
        )
