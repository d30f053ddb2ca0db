"""Paired statistics: exact McNemar p-values, discordant counts, intervals."""

import pytest

from langgraph_decomp.eval import Record, summarize
from langgraph_decomp.eval.stats import bootstrap_interval, mcnemar_exact, paired


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [(1, 9, 0.021484375), (9, 1, 0.021484375), (5, 5, 1.0), (0, 0, 1.0), (0, 1, 1.0),
     (0, 5, 0.0625), (3, 1, 0.625)],
)
def test_mcnemar_exact(b, c, p):
    assert mcnemar_exact(b, c) == p


def test_mcnemar_exact_matches_the_readme_figures():
    assert round(mcnemar_exact(24, 7), 3) == 0.003
    assert round(mcnemar_exact(28, 15), 3) == 0.066


def test_paired_counts_only_questions_both_finished():
    base = {"q1": True, "q2": True, "q3": False, "q4": False, "q5": True}
    other = {"q1": False, "q2": True, "q3": True, "q4": True, "q6": True}
    p = paired(base, other, "one-stage")
    assert (p.n, p.b, p.c) == (4, 1, 2)
    assert p.accuracy_diff == pytest.approx(25.0)  # (2 - 1) / 4 questions
    assert p.p_value == 1.0 and p.baseline == "one-stage"


def _records(strategy: str, right: str) -> list[Record]:
    """One record per question q0, q1, ...: right where ``right`` has a 1."""
    return [Record(id=f"q{i}", strategy=strategy, question="?", gold="1", correct=bit == "1")
            for i, bit in enumerate(right)]


def test_discordant_counts_from_synthetic_records():
    records = (_records("A", "1111100000") + _records("B", "0111111110")
               + _records("C", "1100011000"))
    a, b, c = summarize(records, ["A", "B", "C"])
    assert a.vs_baseline is None and a.is_baseline
    assert (b.vs_baseline.b, b.vs_baseline.c, b.vs_baseline.n) == (1, 4, 10)
    assert b.vs_baseline.accuracy_diff == pytest.approx(30.0)
    assert b.vs_baseline.p_value == mcnemar_exact(1, 4)
    assert (c.vs_baseline.b, c.vs_baseline.c) == (3, 2)
    assert c.vs_baseline.accuracy_diff == pytest.approx(-10.0)
    # Another baseline turns the counts around.
    a_vs_b = summarize(records, ["A", "B", "C"], baseline="B")[0]
    assert a_vs_b.vs_baseline.baseline == "B"
    assert (a_vs_b.vs_baseline.b, a_vs_b.vs_baseline.c) == (4, 1)
    with pytest.raises(ValueError, match="baseline"):
        summarize(records, ["A", "B"], baseline="Z")


def test_bootstrap_interval():
    assert bootstrap_interval([0.5] * 20) == (0.5, 0.5)
    values = [0.0, 1.0] * 50
    low, high = bootstrap_interval(values)
    assert 0.35 < low < 0.5 < high < 0.65
    assert bootstrap_interval(values) == (low, high)  # fixed seed
    assert bootstrap_interval([]) == (0.0, 0.0)
