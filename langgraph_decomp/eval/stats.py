"""Statistics of an eval: intervals for one strategy, paired tests between two.

Two strategies answer the same questions, so they are compared question by question: the
discordant counts (``b``: the baseline right and the other wrong, ``c``: the reverse) and the
exact two-sided McNemar test on them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence

from pydantic import BaseModel


class Paired(BaseModel):
    """A strategy against the baseline over the questions both finished."""

    baseline: str
    n: int
    b: int
    """Questions the baseline got right and this strategy wrong."""
    c: int
    """Questions this strategy got right and the baseline wrong."""
    p_value: float
    """Exact two-sided McNemar p-value."""
    accuracy_diff: float
    """This strategy's accuracy minus the baseline's, in points (percentage points)."""


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for a proportion."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_interval(
    values: Sequence[float], *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95 % percentile bootstrap interval of the mean of ``values`` (fixed seed)."""
    if not values:
        return 0.0, 0.0
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(resamples))
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value: a binomial test of ``min(b, c)`` out of ``b + c``
    discordant questions at 0.5 (1.0 when there are none)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired(baseline: Mapping[str, bool], other: Mapping[str, bool], name: str) -> Paired:
    """``other`` against ``baseline`` (right or wrong per question id) on the ids both have;
    ``name`` is the baseline's."""
    ids = baseline.keys() & other.keys()
    b = sum(baseline[i] and not other[i] for i in ids)
    c = sum(other[i] and not baseline[i] for i in ids)
    n = len(ids)
    return Paired(baseline=name, n=n, b=b, c=c, p_value=mcnemar_exact(b, c),
                  accuracy_diff=100 * (c - b) / n if n else 0.0)
