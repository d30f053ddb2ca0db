"""Self-consistency: vote keys, early stopping, and the bound on samples."""

from collections import Counter

import pytest

from langgraph_decomp import InvalidInputError, build_graph
from langgraph_decomp.voting import is_decided, vote_key, winner
from tests.fakes import ScriptedChat

QUESTION = "Tom has 3 apples and buys 5 more. He eats 2. How many apples are left?"


def test_vote_key_merges_number_spellings_and_folds_text():
    assert vote_key("$6.00") == vote_key("6 apples") == vote_key("6") == "6"
    assert vote_key("  Paris ") == vote_key("paris") == "paris"


def test_is_decided_only_when_the_rest_cannot_change_the_leader():
    assert not is_decided(Counter(), 5)
    assert not is_decided(Counter({"6": 2}), 2)  # 2 more for another answer would tie
    assert is_decided(Counter({"6": 3}), 2)
    assert not is_decided(Counter({"6": 2, "7": 1}), 1)
    assert is_decided(Counter({"6": 3, "7": 1}), 1)
    assert winner(Counter({"7": 1, "6": 1})) == "7"  # first seen wins a tie


def _one_stage(solver, n):
    return build_graph(decomposer=ScriptedChat.of(), solver=solver).invoke(
        {"question": QUESTION},
        context={"decompose": False, "solve_scheme": "scaffold", "verify": False, "n_samples": n}
    )


def test_unanimous_samples_stop_early():
    solver = ScriptedChat.of(*["Final answer: 6"] * 5)
    out = _one_stage(solver, 5)
    assert out["answer"] == "6"
    assert out["usage"]["solver"]["calls"] == 3  # 3 of 5 agree: the other 2 cannot matter


def test_majority_wins_and_samples_never_exceed_n():
    replies = ["Final answer: 7", "Final answer: 6", "Final answer: $6.00", "Final answer: 8",
               "Final answer: 6 apples", "Final answer: 9"]
    solver = ScriptedChat.of(*replies)
    out = _one_stage(solver, 5)
    assert out["numeric_answer"] == "6"
    assert out["usage"]["solver"]["calls"] == 5 and len(solver.prompts) == 5


def test_samples_run_at_the_sample_temperature_and_steps_vote_too():
    plan = "1. How many apples after buying?\n2. How many after eating?"
    solver = ScriptedChat.of("Answer: 8", "Answer: 8", "Answer: 6", "Answer: 6",
                             "Final answer: 6", "Final answer: 6")
    out = build_graph(decomposer=ScriptedChat.of(plan), solver=solver).invoke(
        {"question": QUESTION},
        context={"solve_scheme": "stepwise", "verify": False, "n_samples": 3},
    )
    assert [s["answer"] for s in out["subquestions"]] == ["8", "6"]
    assert out["usage"]["solver"]["calls"] == 6


@pytest.mark.parametrize("n", [0, 33])
def test_n_samples_is_bounded(n):
    with pytest.raises(InvalidInputError, match="n_samples"):
        _one_stage(ScriptedChat.of(), n)
