"""Step 5: how good are a decomposer's plans against gold sub-questions?

- parse rate: share of plans with at least one parsable sub-question;
- count within ±1: share of parsed plans whose number of sub-questions is within one of
  the gold count (an unparsable plan never counts);
- ROUGE-L F1 between the plan's and the gold sub-question sets (each set joined in order),
  with ``rouge-score``; an unparsable plan scores 0;
- before parsing: how many raw outputs ran to the token cap, and how many repeat a line
  (the same text after its list number, case- and space-folded: a model that loops);
- how well plan sizes follow the gold sizes: the Pearson correlation of parsed and gold
  step counts (near 0: the decomposer writes about as many steps whatever the question);
- a reference that reads no question: the one plan length, up to the cap, that most gold
  plans lie within ±1 of, and that share (a decomposer's ``count_within_1`` below it
  sizes plans worse than always writing that many steps);
- per question (in the order given, so two decomposers scored on the same questions pair
  up): steps, within ±1, ROUGE-L, for :func:`compare_plans`.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence

from pydantic import BaseModel, Field

from langgraph_decomp.parsing import parse_plan

_MARKER = re.compile(r"^\s*(?:\(?\d{1,3}\s*[.):\]]|[-*\u2022])\s*")


class PlanScore(BaseModel):
    """One question's plan against its gold plan."""

    steps: int
    """Parsed sub-questions (0: unparsable)."""
    within_1: bool
    rouge_l: float


class PlanMetrics(BaseModel):
    """Plan quality over a set of questions."""

    n: int
    parse_rate: float
    count_within_1: float
    rouge_l_f1: float
    mean_steps: float
    hit_cap: int = 0
    """Raw outputs that ended at the token cap (known only when finish reasons are given)."""
    repeated_line: int = 0
    """Raw outputs in which a line repeats an earlier one."""
    gold_mean_steps: float = 0.0
    """Mean length of the gold plans."""
    fixed_steps: int = 0
    """The best fixed plan length (:func:`best_fixed_length`)."""
    fixed_within_1: float = 0.0
    """The ``count_within_1`` of a plan that always has ``fixed_steps`` steps."""
    steps_correlation: float | None = None
    """Pearson correlation of parsed and gold step counts (None where either is constant,
    or in metrics saved before it)."""
    per_question: list[PlanScore] = Field(default_factory=list)
    """Each question's score, in the order scored (empty in metrics saved before it)."""

    def cells(self) -> tuple[str, ...]:
        """The table row every plan report prints (bench, ``distill --recipe``, model card):
        n, parse rate, steps within ±1, steps r, ROUGE-L F1, mean steps, hit cap, repeats."""
        r = "-" if self.steps_correlation is None else f"{self.steps_correlation:.2f}"
        return (str(self.n), f"{self.parse_rate:.1%}", f"{self.count_within_1:.1%}", r,
                f"{self.rouge_l_f1:.3f}", f"{self.mean_steps:.2f}", str(self.hit_cap),
                str(self.repeated_line))


class PlanComparison(BaseModel):
    """Decomposer ``other`` against ``baseline`` on the same questions, question by question."""

    n: int
    b: int
    """Questions whose plan size is within ±1 for the baseline and not for the other."""
    c: int
    """The reverse."""
    within_1_p: float
    """Exact two-sided McNemar p-value of ``b`` against ``c``."""
    rouge_l_diff: float
    """Mean ROUGE-L F1 of the other minus the baseline's."""
    rouge_l_diff_interval: tuple[float, float]
    """95 % percentile bootstrap interval of that mean difference (fixed seed)."""


def compare_plans(baseline: PlanMetrics, other: PlanMetrics) -> PlanComparison:
    """Pair two decomposers' per-question scores (same questions, same order).

    Raises:
        ValueError: either has no per-question scores, or they scored different numbers
            of questions.
    """
    from langgraph_decomp.eval.stats import bootstrap_interval, mcnemar_exact

    a, o = baseline.per_question, other.per_question
    if not a or len(a) != len(o):
        raise ValueError(f"Paired plan scores need the same questions: {len(a)} against "
                         f"{len(o)} per-question scores.")
    b = sum(x.within_1 and not y.within_1 for x, y in zip(a, o, strict=True))
    c = sum(y.within_1 and not x.within_1 for x, y in zip(a, o, strict=True))
    diffs = [y.rouge_l - x.rouge_l for x, y in zip(a, o, strict=True)]
    return PlanComparison(n=len(a), b=b, c=c, within_1_p=mcnemar_exact(b, c),
                          rouge_l_diff=sum(diffs) / len(diffs),
                          rouge_l_diff_interval=bootstrap_interval(diffs))


def best_fixed_length(gold: Sequence[Sequence[str]], max_subquestions: int) -> tuple[int, float]:
    """The plan length from 1 to ``max_subquestions`` that the most gold plans lie within ±1
    of (the shorter on a tie), and the share of gold plans that do: what a decomposer that
    never reads the question scores on steps within ±1."""
    if not gold:
        return 0, 0.0
    counts = [len(g) for g in gold]
    share = {k: sum(abs(c - k) <= 1 for c in counts) / len(counts)
             for k in range(1, max_subquestions + 1)}
    best = max(share, key=lambda k: (share[k], -k))
    return best, share[best]


def _correlation(xs: Sequence[int], ys: Sequence[int]) -> float | None:
    try:
        return statistics.correlation(xs, ys)
    except statistics.StatisticsError:  # fewer than two points, or a constant
        return None


def repeats_a_line(text: str) -> bool:
    """Whether a line of ``text`` says again what an earlier line said (list markers,
    case and spacing aside)."""
    seen: set[str] = set()
    for line in text.splitlines():
        key = " ".join(_MARKER.sub("", line).lower().split())
        if not key:
            continue
        if key in seen:
            return True
        seen.add(key)
    return False


def plan_metrics(
    outputs: Sequence[str], gold: Sequence[Sequence[str]], *, max_subquestions: int = 10,
    finish_reasons: Sequence[str] | None = None,
) -> PlanMetrics:
    """Score raw decomposer outputs against gold sub-question lists (same order);
    ``finish_reasons`` (``"length"`` at the cap) count the outputs that hit the cap."""
    from rouge_score import rouge_scorer

    if len(outputs) != len(gold):
        raise ValueError("outputs and gold must have the same length")
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    parsed = [parse_plan(text, max_subquestions).subquestions for text in outputs]
    n = len(outputs) or 1
    fixed_steps, fixed_within_1 = best_fixed_length(gold, max_subquestions)
    rouge = [
        scorer.score("\n".join(g), "\n".join(p))["rougeL"].fmeasure if p else 0.0
        for p, g in zip(parsed, gold, strict=True)
    ]
    within = [bool(p) and abs(len(p) - len(g)) <= 1 for p, g in zip(parsed, gold, strict=True)]
    return PlanMetrics(
        n=len(outputs),
        parse_rate=sum(bool(p) for p in parsed) / n,
        count_within_1=sum(within) / n,
        rouge_l_f1=sum(rouge) / n,
        mean_steps=sum(len(p) for p in parsed) / n,
        hit_cap=sum(r == "length" for r in finish_reasons or ()),
        repeated_line=sum(repeats_a_line(text) for text in outputs),
        gold_mean_steps=sum(len(g) for g in gold) / n,
        fixed_steps=fixed_steps,
        fixed_within_1=fixed_within_1,
        steps_correlation=_correlation([len(p) for p in parsed], [len(g) for g in gold]),
        per_question=[PlanScore(steps=len(p), within_1=w, rouge_l=r)
                      for p, w, r in zip(parsed, within, rouge, strict=True)],
    )
