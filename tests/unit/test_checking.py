"""Answer checking per answer type: yes/no, DROP spans and numbers, HotpotQA (SQuAD) spans."""

from pathlib import Path

import pytest

from langgraph_decomp.data import Example
from langgraph_decomp.eval.checking import (
    drop_normalize,
    drop_scores,
    is_yes_no_correct,
    score,
    squad_normalize,
    squad_scores,
    yes_no,
)


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("yes", "yes"), ("No", "no"), ("TRUE", "yes"), ("false", "no"), ("y", "yes"),
        ("n", "no"), ("Yes, because whales are mammals.", "yes"), ("No.", "no"),
        ("**Yes**", "yes"), ("True: it is", "yes"),
        ("Not really", None), ("Maybe", None), ("", None), ("Nobody knows", None),
        # a reply that has no answer is not a "no"
        ("<no answer>", None), ("[no data]", None), ("<no response>", None), ("No answer.", None),
        ("No information is given about him.", None), ("No clear answer", None),
        ("No, the answer is yes", "no"), ("No; he was not.", "no"),
    ],
)
def test_yes_no_forms(text, form):
    assert yes_no(text) == form


@pytest.mark.parametrize(
    ("prediction", "gold", "ok"),
    [
        ("Final answer: Yes, because they can swim.", "yes", True),
        ("Reasoning...\nFinal answer: No.", "no", True),
        ("Final answer: true", "yes", True),
        ("Final answer: no", "yes", False),
        ("Final answer: I cannot tell", "no", False),
        ("Yes", "yes", True),  # no marker: the whole text is the answer
        ("", "yes", False),
        ("Final answer: <no answer>", "no", False),
        ("Final answer: No answer can be given.", "no", False),
    ],
)
def test_yes_no_rule(prediction, gold, ok):
    assert is_yes_no_correct(prediction, gold) is ok


def test_squad_normalization_and_scores():
    assert squad_normalize("The  Eiffel Tower!") == "eiffel tower"
    assert squad_scores("the Eiffel tower.", ["Eiffel Tower"]) == (True, 1.0)
    em, f1 = squad_scores("Mayor Tom Ames", ["Tom Ames"])
    assert em is False and f1 == pytest.approx(0.8)
    # Counts, not sets: "new new york" against "new york" is P = 2/3, R = 1.
    assert squad_scores("new new york", ["new york"])[1] == pytest.approx(0.8)
    # The best of several golds.
    assert squad_scores("Paris", ["London", "Paris, France"]) == (False, pytest.approx(2 / 3))
    assert squad_scores("Lyon", ["Paris"]) == (False, 0.0)
    # HotpotQA: a yes/no answer scores F1 0 unless it matches exactly.
    assert squad_scores("no", ["no way"]) == (False, 0.0)


def test_drop_normalization_and_scores():
    assert drop_normalize("5.0") == drop_normalize("5") == "5.0"
    assert drop_normalize("The 1,000-yard run.") == "1000.0 yard run"
    em, f1 = drop_scores("Mayor Tom Ames", ["Tom Ames"])
    assert em is False and f1 == pytest.approx(0.8)
    assert drop_scores("the Tom Ames", ["Tom Ames"]) == (True, 1.0)
    assert drop_scores("5.0 yards", ["5 yards"]) == (True, 1.0)
    # A gold number has to be matched: "7 yards" shares "yards" but scores 0.
    assert drop_scores("7 yards", ["5 yards"]) == (False, 0.0)
    # Max over the gold spans.
    assert drop_scores("Jay Cutler", ["Kyle Orton", "Jay Cutler"]) == (True, 1.0)


def _example(answer_type, gold, golds=None):
    return Example(id="x", question="q", gold=gold, golds=golds, answer_type=answer_type)


def test_score_picks_the_rule_from_the_answer_type():
    assert score("Final answer: $1,200.00", _example("number", "1200")) == (True, None)
    assert score("Final answer: 7", _example("number", "5", ["5", "7"])) == (True, None)
    assert score("Final answer: Yes, it is.", _example("yes_no", "yes")) == (True, None)
    span = _example("span", "Tom Ames", ["Tom Ames", "Ames"])
    correct, f1 = score("Final answer: Mayor Tom Ames.", span)
    assert correct is False and f1 == pytest.approx(0.8)
    assert score("Final answer: the 5 yards", _example("span", "5.0 yards"),
                 span_rule="drop") == (True, 1.0)
    # SQuAD's normalization does not read numbers ("5.0" loses its dot, "5" stays).
    assert score("Final answer: 5 yards", _example("span", "5.0 yards"))[0] is False
    assert score("", span) == (False, 0.0)


def test_drop_examples_get_the_drop_rule_whatever_the_default():
    from langgraph_decomp.data import load_examples

    fixtures = Path(__file__).parents[1] / "fixtures"
    assert {e.dataset for e in load_examples(str(fixtures / "drop_2q.json"))} == {"drop"}
    span = {"id": "d", "question": "How far?", "gold": "5.0 yards", "golds": ["5.0 yards"],
            "answer_type": "span"}
    drop, other = Example(**span, dataset="drop"), Example(**span, dataset="hotpotqa")
    assert score("Final answer: 5 yards", drop, span_rule="squad")[0] is True  # 5 == 5.0
    assert score("Final answer: 5 yards", other, span_rule="squad")[0] is False
