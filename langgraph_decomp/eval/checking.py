"""Answer checking a reviewer can trust, one rule per answer type.

The solver's answer is taken after its last ``Final answer:`` / ``Answer:`` / ``####``
marker (:func:`~langgraph_decomp.answers.extract_answer`), then checked by the rule of the
example's ``answer_type``:

- ``number``: ``$``, commas, units and trailing ``.0`` do not matter; fractions and LaTeX
  (``3/4``, ``\\boxed{18}``) are compared as math by ``math-verify``;
- ``yes_no``: ``yes/no/true/false/y/n``, also leading a longer answer (``"Yes, because…"``);
- ``span``: normalized exact match and token F1, the maximum over the accepted answers,
  with DROP's normalization (:func:`drop_scores`) or SQuAD's, which HotpotQA uses
  (:func:`squad_scores`).
"""

from __future__ import annotations

import re
import string
import threading
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from langgraph_decomp.answers import extract_answer, normalize_number, yes_no
from langgraph_decomp.data import Example

SpanRule = Literal["drop", "squad"]
"""How span answers are scored: DROP's normalization (numbers too) or SQuAD's (HotpotQA)."""

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def _math_verify(gold: str, answer: str) -> bool | None:
    try:
        from math_verify import parse, verify
    except ImportError:  # pragma: no cover - depends on the install
        return None
    # math-verify's timeouts use signals, which only work in the main thread.
    timeout = 5 if threading.current_thread() is threading.main_thread() else None
    try:
        parsed_gold = parse(gold, parsing_timeout=timeout)
        parsed_answer = parse(answer, parsing_timeout=timeout)
        if not parsed_gold or not parsed_answer:
            return None
        return bool(verify(parsed_gold, parsed_answer, timeout_seconds=timeout))
    except Exception:
        return None


def is_correct(prediction: str, gold: str) -> bool:
    """Whether the solver's text ``prediction`` states the numeric (or math) ``gold`` answer."""
    answer = extract_answer(prediction or "")
    if not answer:
        return False
    gold_number, answer_number = normalize_number(gold), normalize_number(answer)
    if (
        gold_number is not None
        and answer_number is not None
        and Decimal(gold_number) == Decimal(answer_number)
    ):
        return True
    verdict = _math_verify(gold, answer)
    if verdict is not None:
        return verdict
    return answer.strip().lower() == gold.strip().lower()


def is_yes_no_correct(prediction: str, gold: str) -> bool:
    """Whether the solver's text ``prediction`` gives the yes/no ``gold`` answer."""
    stated = yes_no(extract_answer(prediction or ""))
    return stated is not None and stated == yes_no(gold)


def _token_f1(predicted: Sequence[str], gold: Sequence[str]) -> float:
    common = sum((Counter(predicted) & Counter(gold)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def squad_normalize(text: str) -> str:
    """SQuAD's (and HotpotQA's) answer normalization: lowercase, no punctuation, no articles
    ``a``/``an``/``the``, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def squad_scores(answer: str, golds: Sequence[str]) -> tuple[bool, float]:
    """(exact match, token F1) of ``answer`` against the best of ``golds``, as HotpotQA's
    official script scores them (a yes/no answer or gold scores F1 0 unless both match)."""
    predicted = squad_normalize(answer)
    em, f1 = False, 0.0
    for gold in golds:
        expected = squad_normalize(gold)
        em = em or predicted == expected
        if predicted != expected and {predicted, expected} & {"yes", "no", "noanswer"}:
            continue
        f1 = max(f1, _token_f1(predicted.split(), expected.split()))
    return em, f1


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def drop_normalize(text: str) -> str:
    """DROP's answer normalization: per token (split on spaces and hyphens) lowercase, no
    punctuation (except inside numbers), numbers as floats (``"5"`` → ``"5.0"``), no articles."""
    tokens = []
    for token in re.split(r" |-", text):
        token = token.lower()
        if not _is_number(token):
            token = "".join(ch for ch in token if ch not in _PUNCTUATION)
        if _is_number(token):
            token = str(float(token))
        token = " ".join(_ARTICLES.sub(" ", token).split())
        if token:
            tokens.append(token)
    return " ".join(tokens)


def _drop_f1(predicted: set[str], gold: set[str]) -> float:
    gold_numbers = {t for t in gold if _is_number(t)}
    if gold_numbers and not gold_numbers & {t for t in predicted if _is_number(t)}:
        return 0.0  # DROP: a gold number must be matched
    common = len(predicted & gold)
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def drop_scores(answer: str, golds: Sequence[str]) -> tuple[bool, float]:
    """(exact match, token F1) of ``answer`` against the best of ``golds``, each gold one
    span, as DROP's official script scores a single span (token sets; numbers must match)."""
    predicted = drop_normalize(answer)
    em, f1 = False, 0.0
    for gold in golds:
        expected = drop_normalize(gold)
        em = em or predicted == expected
        f1 = max(f1, _drop_f1(set(predicted.split()), set(expected.split())))
    return em, f1


def score(
    prediction: str, example: Example, *, span_rule: SpanRule = "squad"
) -> tuple[bool, float | None]:
    """``(correct, f1)`` of the solver's text ``prediction`` for ``example``, by the rule of
    its ``answer_type``; ``correct`` is exact match for spans, ``f1`` is ``None`` unless the
    answer is a span. Any of the example's ``golds`` (else ``gold``) counts. DROP examples
    (``dataset == "drop"``) always get DROP's rule."""
    golds = example.golds or [example.gold]
    if example.answer_type == "yes_no":
        return any(is_yes_no_correct(prediction, g) for g in golds), None
    if example.answer_type == "span":
        answer = extract_answer(prediction or "")
        drop = span_rule == "drop" or example.dataset == "drop"
        return (drop_scores if drop else squad_scores)(answer, golds)
    return any(is_correct(prediction, g) for g in golds), None
