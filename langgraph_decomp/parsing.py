"""Read models' free text robustly: a decomposer's plan, a verifier's verdict.

Small models write plans in many shapes: numbered lines (``1.``, ``2)``, ``Step 3:``),
bullets, ``Sub-question 1:`` labels, JSON lists or objects, or just question lines. Anything
that yields no sub-question is reported as ``empty``, ``no_decomposition`` or ``unparsable``
so the graph can fall back to answering the question directly. A verifier's reply is read
by :func:`parse_verdict`.
"""

from __future__ import annotations

import json
import re
from typing import Literal

from pydantic import BaseModel, Field

from langgraph_decomp.context import Dependencies
from langgraph_decomp.prompts import NO_DECOMPOSITION, numbered

__all__ = [
    "Dependencies", "Plan", "PlanStatus", "numbered", "parse_plan", "parse_verdict",
    "plan_dependencies", "plan_stop",
]

_REFERENCE = re.compile(
    r"(?:\#\s*|\b(?:sub[-\s]?questions?|steps?|questions?|answers?(?:\s+(?:to|of))?|q)"
    r"\s*\#?\s*)(\d{1,2})\b",
    re.IGNORECASE,
)

PlanStatus = Literal["ok", "no_decomposition", "empty", "unparsable", "skipped", "too_short"]

_ITEM = re.compile(
    r"""^\s*(?:
        (?:\#{1,6}\s*)?(?:\*\*)?
        (?:sub[-\s]?questions?|questions?|steps?|q)\s*\#?\s*\d+\s*(?:\*\*)?\s*[:.)\-]   # Step 1:
      | \(?\d{1,3}\s*[.):\]]                                               # 1.  1)  (1)
      | [-*\u2022\u25cf]                                                   # bullets
    )\s*(?P<text>.+?)\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_QUESTION_LINE = re.compile(r"^\s*(?P<text>[A-Z].{8,}\?)\s*$")
_NO_DECOMP = re.compile(r"^\W*no\s+decomposition\b", re.IGNORECASE)
_JSON_KEYS = ("subquestions", "sub_questions", "sub-questions", "questions", "steps", "plan")


class Plan(BaseModel):
    """A parsed decomposition."""

    subquestions: list[str] = Field(default_factory=list)
    status: PlanStatus = "ok"


def _clean(item: str) -> str:
    item = re.sub(r"\*\*|__|`", "", item).strip().strip('"').strip("'").strip()
    return re.sub(r"\s+", " ", item)


def _from_json(text: str) -> list[str] | None:
    match = re.search(r"(\[.*\]|\{.*\})", text, re.DOTALL)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if isinstance(data, dict):
        data = next((data[k] for k in _JSON_KEYS if isinstance(data.get(k), list)), None)
    if not isinstance(data, list):
        return None
    items: list[str] = []
    for entry in data:
        if isinstance(entry, str):
            items.append(entry)
        elif isinstance(entry, dict):
            value = next(
                (entry[k] for k in ("question", "subquestion", "sub_question", "text")
                 if isinstance(entry.get(k), str)),
                None,
            )
            if value:
                items.append(value)
    return items


def _from_lines(text: str) -> list[str]:
    """Items of the first list in the text; a small model that rambles on after its list
    (a new "Problem:", an answer) does not add to the plan."""
    items: list[str] = []
    for line in text.splitlines():
        if m := _ITEM.match(line):
            items.append(m.group("text"))
        elif items and line.strip():
            break
    if items:
        return items
    return [m.group("text") for line in text.splitlines() if (m := _QUESTION_LINE.match(line))]


def plan_stop(max_subquestions: int) -> list[str]:
    """Stop strings that end a numbered plan where item ``max_subquestions + 1`` would start
    (:func:`parse_plan` would not read it), so a looping local model stops early."""
    return [f"\n{max_subquestions + 1}."]


def parse_plan(text: str, max_subquestions: int) -> Plan:
    """Parse a decomposer's output into at most ``max_subquestions`` sub-questions.

    Only the first ``max_subquestions`` items are read, then duplicates (case-insensitive)
    and fragments shorter than three characters are dropped: a small model that loops past
    the cap adds nothing, and a local decomposer stopped where item ``max_subquestions + 1``
    would start (as the graph does) yields the same plan as one left to run on.
    """
    text = (text or "").strip()
    if not text:
        return Plan(status="empty")
    if _NO_DECOMP.match(text):
        return Plan(status="no_decomposition")
    raw = _from_json(text)
    if not raw:
        raw = _from_lines(text)
    seen: set[str] = set()
    subquestions: list[str] = []
    for item in raw[:max_subquestions]:
        cleaned = _clean(item)
        key = cleaned.lower()
        if len(cleaned) < 3 or key in seen or key == NO_DECOMPOSITION.lower():
            continue
        seen.add(key)
        subquestions.append(cleaned)
    if not subquestions:
        if NO_DECOMPOSITION.lower() in text.lower():
            return Plan(status="no_decomposition")
        return Plan(status="unparsable")
    return Plan(subquestions=subquestions)


def plan_dependencies(subquestions: list[str], mode: Dependencies) -> list[list[int]]:
    """Which earlier steps each step needs (0-based indices).

    ``sequential``: every earlier step (the paper's two-stage scheme); ``independent``: none;
    ``inferred``: the earlier steps a sub-question refers to ("#1", "step 2", "the answer to
    sub-question 3"), none if it refers to none.
    """
    if mode == "sequential":
        return [list(range(i)) for i in range(len(subquestions))]
    if mode == "independent":
        return [[] for _ in subquestions]
    return [
        sorted({int(n) - 1 for n in _REFERENCE.findall(q) if 0 < int(n) <= i})
        for i, q in enumerate(subquestions)
    ]


_VERDICT = re.compile(r"VERDICT\W*(INCORRECT|CORRECT|WRONG|RIGHT|YES|NO)\b", re.IGNORECASE)
_LEADING_VERDICT = re.compile(r"^\W*(incorrect|correct|wrong|right|yes|no)\b", re.IGNORECASE)
_FEEDBACK = re.compile(r"FEEDBACK\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)


def parse_verdict(text: str) -> tuple[bool | None, str]:
    """Read a verifier's reply: ``(True | False | None, feedback)``; ``None`` = no verdict.

    A ``VERDICT: CORRECT|INCORRECT`` line decides; without one, only a reply that starts with
    yes/correct or no/incorrect counts. Anything else ("The correct answer is 8") is no
    verdict, so a rambling verifier cannot trigger repairs.
    """
    feedback = ""
    if m := _FEEDBACK.search(text):
        feedback = m.group(1).strip()
    if m := _VERDICT.search(text):
        return m.group(1).upper() in ("CORRECT", "RIGHT", "YES"), feedback or text.strip()
    if m := _LEADING_VERDICT.match(text):
        return m.group(1).lower() in ("correct", "right", "yes"), feedback or text.strip()
    return None, feedback or text.strip()
