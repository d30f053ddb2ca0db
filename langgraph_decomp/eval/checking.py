"""Answer checking a reviewer can trust: math-verify first, numeric normalization as backup.

The solver's answer is taken after its last ``Final answer:`` / ``Answer:`` / ``####``
marker; ``$``, commas, units and trailing ``.0`` do not matter; fractions and LaTeX
(``3/4``, ``\\boxed{18}``) are compared as math by ``math-verify``.
"""

from __future__ import annotations

import threading
from decimal import Decimal

from langgraph_decomp.answers import extract_answer, normalize_number


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
    """Whether the solver's text ``prediction`` states the ``gold`` answer."""
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
