"""Per-run budget: the run stops between calls with its best partial answer and says why."""

from typing import ClassVar

import pytest

from langgraph_decomp import InvalidInputError, build_graph
from langgraph_decomp.budget import hosted_tokens
from langgraph_decomp.context import Context
from langgraph_decomp.models import RoleModels
from tests.fakes import ScriptedChat

QUESTION = "Tom has 3 apples and buys 5 more. He eats 2. How many apples are left?"
PLAN = "1. How many apples after buying?\n2. How many after eating?"
ONE_CALL = {"solve_scheme": "scaffold", "verify": True}  # one solver call per answer, checked


def graph(solver: ScriptedChat, verifier: ScriptedChat | None = None):
    return build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier)


def test_max_calls_stops_mid_plan_with_the_last_sub_answer():
    solver = ScriptedChat.of("3 + 5 = 8\nAnswer: 8", "Answer: 6", "Final answer: 6")
    out = graph(solver).invoke(
        {"question": QUESTION},
        context={"solve_scheme": "stepwise", "verify": False, "max_calls": 2},
    )
    assert len(solver.prompts) == 1  # decomposer + one step = 2 calls, then stop
    assert out["answer"] == "8" and out["stopped"].startswith("max_calls=2 reached")
    assert out["subquestions"][1]["answer"] == ""


def test_a_spent_budget_skips_verification_and_says_so():
    verifier = ScriptedChat.of("VERDICT: CORRECT")
    out = graph(ScriptedChat.of("Final answer: 6"), verifier).invoke(
        {"question": QUESTION}, context={**ONE_CALL, "max_calls": 2}
    )
    assert out["answer"] == "6" and out["verified"] is None
    assert verifier.prompts == []
    assert out["stopped"] == "max_calls=2 reached (2 calls); answer not verified"


def test_a_budget_that_stops_a_repair_keeps_the_rejected_answer():
    solver = ScriptedChat.of("Final answer: 7", "Final answer: 6")
    verifier = ScriptedChat.of("VERDICT: INCORRECT\nFEEDBACK: recount")
    out = graph(solver, verifier).invoke(
        {"question": QUESTION}, context={**ONE_CALL, "max_calls": 3}
    )
    assert len(solver.prompts) == 1 and out["answer"] == "7"
    assert out["stopped"].startswith("max_calls=3")


def test_hosted_token_budget_and_deadline_stop_before_the_solver():
    # A hosted decomposer's tokens spend the token budget. Under the deadline the decomposer
    # runs in process, as the shipped one does: its call is not bounded by the deadline (a
    # hosted one's would race a 1 ns deadline), so the solver's turn is where the run stops.
    for knobs, decomposer, reason in (
            ({"max_hosted_tokens": 1}, ScriptedChat, "max_hosted_tokens=1"),
            ({"deadline_s": 1e-9}, InProcess, "deadline_s=1e-09 passed")):
        solver = ScriptedChat.of("Final answer: 6")
        out = build_graph(decomposer=decomposer.of(PLAN), solver=solver).invoke(
            {"question": QUESTION}, context=knobs)
        assert solver.prompts == [] and out["answer"] == ""
        assert out["stopped"].startswith(reason)


def test_an_unspent_budget_changes_nothing():
    out = graph(ScriptedChat.of("Final answer: 6"), ScriptedChat.of("VERDICT: CORRECT")).invoke(
        {"question": QUESTION}, context={**ONE_CALL, "max_calls": 10, "max_hosted_tokens": 10**6}
    )
    assert out["answer"] == "6" and out["verified"] is True and out["stopped"] is None


def test_local_roles_do_not_count_as_hosted_tokens():
    models = RoleModels(decomposer="local:smollm2", solver=ScriptedChat.of())
    usage = {"decomposer": {"input_tokens": 500, "output_tokens": 90, "calls": 1},
             "solver": {"input_tokens": 40, "output_tokens": 10, "calls": 1},
             "verifier": {"input_tokens": 20, "output_tokens": 5, "calls": 1}}
    assert hosted_tokens(usage, models, Context()) == 50 + 25  # verifier defaults to solver
    assert hosted_tokens(usage, models, Context(verifier="hf:some/dir")) == 50


def test_hosted_tokens_follow_what_each_calls_usage_says():
    # Usage written by the calls carries `hosted`; it wins over the graph's models (which
    # here would call every role local).
    models = RoleModels(decomposer="local:smollm2", solver="local:smollm2")
    usage = {"decomposer": {"input_tokens": 500, "output_tokens": 90, "calls": 1,
                            "model": "local:smollm2", "hosted": False},
             "solver": {"input_tokens": 40, "output_tokens": 10, "calls": 1,
                        "model": "openai:x", "hosted": True}}
    assert hosted_tokens(usage, models, Context()) == 50


class InProcess(ScriptedChat):
    runs_in_process: ClassVar[bool] = True  # as LlamaCppChat and LocalChatModel say


def test_each_roles_usage_names_its_model_and_whether_it_is_hosted():
    planner = build_graph(decomposer=InProcess.of(PLAN), solver=ScriptedChat.of("Final answer: 6"))
    out = planner.invoke({"question": QUESTION},
                         context={"solve_scheme": "scaffold", "verify": False})
    solver_usage, plan_usage = out["usage"]["solver"], out["usage"]["decomposer"]
    assert solver_usage["hosted"] is True and plan_usage["hosted"] is False
    assert solver_usage["model"] == "ScriptedChat" and plan_usage["model"] == "InProcess"


@pytest.mark.parametrize("knob", ["max_calls", "max_hosted_tokens", "deadline_s"])
def test_budgets_must_be_positive(knob):
    with pytest.raises(InvalidInputError, match=knob):
        graph(ScriptedChat.of()).invoke({"question": QUESTION}, context={knob: 0})


def test_a_ready_local_model_object_is_not_counted_as_hosted():
    usage = {"solver": {"input_tokens": 40, "output_tokens": 10, "calls": 1}}
    ctx = Context()
    assert hosted_tokens(usage, RoleModels(solver=InProcess.of()), ctx) == 0
    assert hosted_tokens(usage, RoleModels(solver=ScriptedChat.of()), ctx) == 50
    assert RoleModels(solver=InProcess.of()).hosted("solver", ctx) is False
