"""Pull answers out of solver text and normalize numeric answers.

``extract_answer`` finds the text after the last ``Final answer:`` / ``Answer:`` / ``####``
marker; ``normalize_number`` turns ``"$1,234.50"`` or ``"18.0 apples"`` into ``"1234.5"`` /
``"18"`` (the last number in the text), or ``None`` when there is no number. ``yes_no``
reads a yes/no answer; ``asks_yes_or_no`` tells a question that wants one.
"""

from __future__ import annotations

import re
import string
from decimal import Decimal, InvalidOperation

_MARKERS = (
    re.compile(r"final\s+answer\s*(?:is)?\s*[:=\-]?\s*(?P<a>.+)", re.IGNORECASE),
    re.compile(r"####\s*(?P<a>.+)"),
    re.compile(r"\banswer\s*(?:is)?\s*[:=]\s*(?P<a>.+)", re.IGNORECASE),
    re.compile(r"\banswer\s+is\s+(?P<a>.+)", re.IGNORECASE),
)
_YES_NO = {"yes": "yes", "y": "yes", "true": "yes", "no": "no", "n": "no", "false": "no"}
_NON_ANSWERS = frozenset(("answer", "information", "info", "data", "idea", "context",
                          "relevant", "clear", "definitive", "way"))
"""Words after a leading "no" that make it a non-answer: "No answer", "No clear answer"."""
_AUXILIARIES = frozenset((
    "is", "are", "was", "were", "am", "do", "does", "did", "can", "could", "will", "would",
    "shall", "should", "may", "might", "must", "has", "have", "had", "isn't", "aren't",
    "wasn't", "weren't", "don't", "doesn't", "didn't", "can't", "couldn't", "won't",
    "wouldn't", "shouldn't", "hasn't", "haven't", "hadn't",
))
_WH_WORDS = frozenset(("what", "which", "who", "whom", "whose", "when", "where", "why", "how",
                       "what's", "who's", "where's", "when's", "why's", "how's"))
_QUOTES = string.punctuation + "\u201c\u201d\u2018\u2019"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"-?\$?\s?\d[\d,]*(?:\.\d+)?|-?\$?\s?\.\d+")


def extract_answer(text: str) -> str:
    """The answer part of a solver's text: after the last answer marker, else all of it."""
    return stated_answer(text) or (text or "").strip()


def stated_answer(text: str) -> str:
    """The answer a solver's text states after its last answer marker (``Final answer:``,
    ``Answer:``, ...), or ``""`` when it states none."""
    text = (text or "").strip()
    for marker in _MARKERS:
        found = list(marker.finditer(text))
        if found:
            answer = found[-1].group("a").strip().strip("*").strip()
            if answer.endswith(".") and not answer.endswith(".."):
                answer = answer[:-1].rstrip()
            if answer:
                return answer
    return ""


def split_step_answer(text: str) -> tuple[str, str]:
    """Split a solver's reply to one sub-question into ``(answer, work)``.

    ``work`` is the reply up to and including the first answer-marker line (later steps see
    it); ``answer`` is the marked answer. Without a marker, both are the first non-empty
    line: small models tend to ramble on past their answer.
    """
    lines = [line for line in (text or "").strip().splitlines()]
    for i, line in enumerate(lines):
        if any(marker.search(line) for marker in _MARKERS):
            work = "\n".join(lines[: i + 1]).strip()
            return extract_answer(line), work
    first = next((line.strip() for line in lines if line.strip()), "")
    return first, first


def normalize_number(text: str) -> str | None:
    """The last number in ``text`` in canonical form, or ``None``.

    Commas, ``$`` and units are dropped; ``18.0`` becomes ``18``; ``-0`` becomes ``0``.
    """
    matches = _NUMBER.findall(text or "")
    if not matches:
        return None
    raw = matches[-1].replace("$", "").replace(",", "").replace(" ", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


_NUMBERED_LINE = re.compile(r"^\s*(?:\*\*)?(\d{1,2})\s*[.):]\s*(?:\*\*)?\s*(?P<text>.+?)\s*$")


def numbered_answers(text: str, n: int) -> dict[int, str]:
    """The lines ``1. ...`` to ``n. ...`` of a reply that answers a plan line by line
    (``solve_scheme="guided"``), by 0-based step index; the first line per number wins."""
    found: dict[int, str] = {}
    for line in (text or "").splitlines():
        if m := _NUMBERED_LINE.match(line):
            index = int(m.group(1)) - 1
            if 0 <= index < n and index not in found:
                found[index] = m.group("text")
    return found


def yes_no(text: str) -> str | None:
    """``"yes"`` or ``"no"`` for an answer that is or starts with a yes/no form, else ``None``.

    ``"Yes, because…"``, ``"No."``, ``"TRUE"``, ``"n"`` all count; ``"Not really"`` does not,
    nor does a reply that says it has no answer: a placeholder (``"<no answer>"``,
    ``"[no data]"``) or ``"No answer"``, ``"No information given"`` (the stand-in solver writes
    ``<no answer>``; read as "no", it scored as right on a question whose gold is "no").
    """
    words = (text or "").strip().split(maxsplit=2)
    if not words or words[0].startswith(("<", "[", "{")):
        return None
    form = _YES_NO.get(words[0].strip(string.punctuation).lower())
    if (form == "no" and len(words) > 1
            and words[1].strip(string.punctuation).lower() in _NON_ANSWERS):
        return None
    return form


def asks_yes_or_no(question: str) -> bool:
    """Whether a question may be answered yes or no.

    A question wants something else (a name, a number, a date) when it has a wh-word
    (``what``, ``which``, ``who``, ``how``, ...) and no sentence or clause of it opens with
    an auxiliary verb: ``"Which band formed first, A or B?"``, ``"How many ... are left?"``.
    Everything else counts as yes/no: ``"Is ..."``, ``"If you ..., would you ...?"``,
    ``"Both A and B are ...?"``. The rule errs towards yes/no, so a check built on it leaves
    doubtful answers alone (a choice question such as ``"Did A or B come first?"`` counts as
    yes/no too).
    """
    text = (question or "").strip()
    for sentence in _SENTENCE_END.split(text):
        for clause in sentence.split(","):
            words = clause.split(maxsplit=1)
            if words and words[0].strip(_QUOTES).lower() in _AUXILIARIES:
                return True
    return not any(word.strip(_QUOTES).lower() in _WH_WORDS for word in text.split())
