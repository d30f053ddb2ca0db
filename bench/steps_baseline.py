"""How well a plan's length can be told from the question's surface, without a decomposer.

The plan-quality target "step count within ±1 of the human plan" is put in scale by two
rules that read no model: always writing K steps, and a line fitted to the count of numbers
the question states (digits and the number words one to ten, twice, half, double, triple),
scored by five-fold cross-validation on the data's human plans (the fit never sees the
questions it is scored on).

    python bench/steps_baseline.py --data ../shared/data/gsm8k_socratic/dev.jsonl
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence

from langgraph_decomp.data import load_examples

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_WORDS = frozenset(["one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                    "ten", "twice", "half", "double", "triple"])
SLOPES = [i / 20 for i in range(21)]
OFFSETS = [i / 4 for i in range(17)]


def numbers_stated(question: str) -> int:
    """Digits and number words in ``question``."""
    words = re.findall(r"[a-z]+", question.lower())
    return len(_NUMBER.findall(question)) + sum(w in _WORDS for w in words)


def within_1(rule: tuple[float, float], pairs: Sequence[tuple[int, int]]) -> int:
    """Questions whose ``round(slope * numbers + offset)`` is within 1 of the human steps."""
    slope, offset = rule
    return sum(abs(round(slope * x + offset) - y) <= 1 for x, y in pairs)


def cross_validated(pairs: Sequence[tuple[int, int]], folds: int = 5, seed: int = 0,
                    ) -> float:
    """Share within ±1 when each fold is scored by the line fitted on the other folds."""
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    hits = 0
    for k in range(folds):
        test = shuffled[k::folds]
        train = [p for i, p in enumerate(shuffled) if i % folds != k]
        best = max(((a, b) for a in SLOPES for b in OFFSETS), key=lambda r: within_1(r, train))
        hits += within_1(best, test)
    return hits / len(shuffled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/gsm8k_socratic/dev.jsonl")
    parser.add_argument("--format", default="auto", help="row format (default: detected)")
    args = parser.parse_args()
    examples = [e for e in load_examples(args.data, format=args.format) if e.subquestions]
    pairs = [(numbers_stated(e.question), len(e.subquestions or ())) for e in examples]
    print(f"{len(pairs)} questions with human plans, {sum(y for _, y in pairs) / len(pairs):.2f}"
          " steps on average")
    for k in range(1, 6):
        print(f"always {k} steps: {within_1((0.0, k), pairs) / len(pairs):.1%} within ±1")
    print(f"numbers stated, fitted line, five-fold cross-validated: "
          f"{cross_validated(pairs):.1%} within ±1")


if __name__ == "__main__":
    main()
