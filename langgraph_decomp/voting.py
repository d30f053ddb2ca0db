"""Self-consistency: majority vote over sampled answers, with early stopping."""

from __future__ import annotations

from collections import Counter

from langgraph_decomp.answers import normalize_number


def vote_key(answer: str) -> str:
    """What two answers must share to count as the same vote: the normalized number when
    there is one (``$18.00`` and ``18``), else the case- and space-folded text."""
    number = normalize_number(answer)
    return number if number is not None else " ".join(answer.lower().split())


def is_decided(votes: Counter[str], remaining: int) -> bool:
    """True when ``remaining`` more votes cannot change (or tie) the leader."""
    if not votes:
        return False
    ranked = votes.most_common(2)
    lead = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0)
    return lead > remaining


def winner(votes: Counter[str]) -> str:
    """The most common vote; among equals, the one seen first."""
    return votes.most_common(1)[0][0]
