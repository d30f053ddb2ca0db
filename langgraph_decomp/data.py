"""Question sets for evaluation and distillation, by local path or Hugging Face hub name.

A small registry of row formats turns raw rows into :class:`Example`:

- ``gsm8k``: ``question`` + ``answer`` ending in ``#### N`` (the ``main`` and ``socratic``
  configs; in the socratic one each step line reads ``sub-question ** step``);
- ``strategyqa``: yes/no ``question``, ``answer`` (bool or ``"True"``/``"False"``) and a human
  ``decomposition`` whose later steps refer to earlier ones as ``#1``, ``#2``;
- ``svamp``: ``Body`` + ``Question``, numeric ``Answer``;
- ``drop``: a ``question`` about a ``passage`` (the passage becomes the graph's ``context``),
  gold spans in ``answers_spans``;
- ``hotpotqa``: two-hop ``question_text`` over ten titled paragraphs (the ``context``), gold
  spans in ``answers_objects``.

``format="auto"`` (the default) picks the format from the first row's fields. Register a
function in :data:`FORMATS` to plug in another data set.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from langgraph_decomp.errors import DecompError

AnswerType = Literal["number", "yes_no", "span"]
"""How an answer is checked: as a number, as yes/no, or as a text span (exact match + F1)."""


class DataError(DecompError, ValueError):
    """A data source cannot be read or has rows in an unexpected shape."""


class Example(BaseModel):
    """One question with its gold answer (and human sub-questions where the data has them)."""

    id: str
    question: str
    gold: str
    answer_type: AnswerType = "number"
    golds: list[str] | None = None
    """Every accepted answer (DROP and HotpotQA list several); ``gold`` is the first."""
    context: str | None = None
    subquestions: list[str] | None = None
    solution: str | None = None
    """A worked solution, one step per line (GSM8K), for a teacher that turns each step
    into the sub-question it answers."""
    dataset: str | None = None
    """The format that read it (``"drop"``, ``"hotpotqa"``, ...): how spans are scored."""


_GOLD = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)
_CALCULATOR = re.compile(r"<<[^>]*>>")


def _require(row: dict[str, Any], index: int, *names: str) -> None:
    missing = [n for n in names if n not in row]
    if missing:
        raise DataError(f"row {index}: missing field(s) {', '.join(map(repr, missing))}")


def gsm8k_example(row: dict[str, Any], index: int) -> Example:
    """A GSM8K row (``question``, ``answer`` ending in ``#### N``) as an :class:`Example`."""
    answer = row.get("answer")
    if not isinstance(row.get("question"), str) or not isinstance(answer, str):
        raise DataError(f"row {index}: expected string 'question' and 'answer' fields")
    gold = _GOLD.search(answer)
    if not gold:
        raise DataError(f"row {index}: the answer has no '#### <number>' line")
    subquestions, steps = [], []
    for line in answer[: gold.start()].splitlines():
        question, sep, step = line.partition("**")
        if sep and question.strip():
            subquestions.append(question.strip())
        step = _CALCULATOR.sub("", step if sep else line).strip()
        if step:
            steps.append(step)
    return Example(
        id=str(row.get("id") or f"row-{index}"),
        question=row["question"].strip(),
        gold=gold.group(1).replace(",", "").strip(),
        subquestions=subquestions or None,
        solution="\n".join(steps) or None,
    )


def strategyqa_example(row: dict[str, Any], index: int) -> Example:
    """A StrategyQA row: yes/no ``answer``, human ``decomposition`` as sub-questions."""
    _require(row, index, "question", "answer")
    answer = row["answer"]
    if isinstance(answer, str) and answer.strip().lower() in ("true", "false", "yes", "no"):
        answer = answer.strip().lower() in ("true", "yes")
    if not isinstance(answer, bool):
        raise DataError(f"row {index}: 'answer' must be true/false, got {answer!r}")
    steps = [s.strip() for s in row.get("decomposition") or [] if isinstance(s, str) and s.strip()]
    return Example(
        id=str(row.get("id") or row.get("qid") or f"row-{index}"),
        question=str(row["question"]).strip(),
        gold="yes" if answer else "no",
        answer_type="yes_no",
        subquestions=steps or None,
    )


def _number_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def svamp_example(row: dict[str, Any], index: int) -> Example:
    """A SVAMP row: the question is ``Body`` + ``Question``, ``Answer`` a number."""
    _require(row, index, "Body", "Question", "Answer")
    try:
        gold = _number_text(row["Answer"])
    except (TypeError, ValueError):
        raise DataError(f"row {index}: 'Answer' is not a number: {row['Answer']!r}") from None
    body, question = str(row["Body"]).strip(), str(row["Question"]).strip()
    body = body if body.endswith((".", "!", "?")) else body + "."
    return Example(id=str(row.get("ID") or f"row-{index}"), question=f"{body} {question}",
                   gold=gold)


def _spans(value: Any) -> list[str]:
    spans = value.get("spans") if isinstance(value, dict) else value
    return [s.strip() for s in spans or [] if isinstance(s, str) and s.strip()]


def drop_example(row: dict[str, Any], index: int) -> Example:
    """A DROP row: a question about ``passage`` (the context); ``answers_spans`` are the gold
    answers (numbers are checked as numbers, spans by exact match and token F1)."""
    _require(row, index, "passage", "question", "answers_spans")
    golds = list(dict.fromkeys(_spans(row["answers_spans"])))
    if not golds:
        raise DataError(f"row {index}: 'answers_spans' holds no answer")
    types = row["answers_spans"].get("types") if isinstance(row["answers_spans"], dict) else None
    numeric = bool(types and all(t == "number" for t in types))
    return Example(
        id=str(row.get("query_id") or f"row-{index}"), question=str(row["question"]).strip(),
        gold=golds[0], golds=golds, answer_type="number" if numeric else "span",
        context=str(row["passage"]).strip(),
    )


def hotpotqa_example(row: dict[str, Any], index: int) -> Example:
    """A HotpotQA row (IRCoT layout): ``question_text`` over titled ``contexts`` paragraphs."""
    _require(row, index, "question_text", "answers_objects", "contexts")
    golds = list(dict.fromkeys(s for obj in row["answers_objects"] for s in _spans(obj)))
    if not golds:
        raise DataError(f"row {index}: 'answers_objects' holds no answer span")
    paragraphs = [
        f"{p.get('title', '').strip()}: {p.get('paragraph_text', '').strip()}".strip(": ")
        for p in row["contexts"] if isinstance(p, dict)
    ]
    gold = golds[0]
    answer_type: AnswerType = "yes_no" if gold.lower() in ("yes", "no") else "span"
    return Example(
        id=str(row.get("question_id") or f"row-{index}"),
        question=str(row["question_text"]).strip(), gold=gold, golds=golds,
        answer_type=answer_type, context="\n\n".join(paragraphs),
    )


FORMATS: dict[str, Callable[[dict[str, Any], int], Example]] = {
    "gsm8k": gsm8k_example,
    "strategyqa": strategyqa_example,
    "svamp": svamp_example,
    "drop": drop_example,
    "hotpotqa": hotpotqa_example,
}
"""Row formats by name; add yours to plug in another data set."""

_SIGNATURES = (  # (format, fields that identify it), most specific first
    ("hotpotqa", {"question_text", "contexts"}),
    ("drop", {"passage", "answers_spans"}),
    ("svamp", {"Body", "Question"}),
    ("strategyqa", {"question", "decomposition"}),
    ("gsm8k", {"question", "answer"}),
)


def detect_format(row: dict[str, Any]) -> str:
    """The name of the format whose fields ``row`` has."""
    for name, keys in _SIGNATURES:
        if keys <= row.keys():
            return name
    raise DataError(
        f"Cannot tell the data format from the fields {sorted(row)}; pass one of "
        f"{', '.join(FORMATS)}."
    )


def _read_rows(source: str, *, split: str, config: str | None) -> list[dict[str, Any]]:
    path = Path(source).expanduser()
    if path.is_file():
        if path.suffix == ".json":
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as e:
                raise DataError(f"{path}: not JSON ({e})") from None
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise DataError(f"{path}: expected a JSON list of objects")
            return data
        rows = []
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as e:
                        raise DataError(f"{path}:{n}: not JSON ({e})") from None
        return rows
    if source.startswith((".", "/", "~")) or source.endswith((".jsonl", ".json")):
        raise DataError(f"Data file not found: {path}")
    try:
        import datasets
    except ImportError as e:  # pragma: no cover - depends on the install
        raise DataError("Hub data sets need `pip install datasets`.") from e
    try:
        return list(datasets.load_dataset(source, config, split=split))
    except Exception as e:
        raise DataError(f"Could not load {source!r} ({config}, {split}) from the hub: {e}") from e


def load_examples(
    source: str,
    *,
    format: str = "auto",
    limit: int | None = None,
    seed: int = 0,
    split: str = "test",
    config: str | None = "socratic",
) -> list[Example]:
    """Load examples from a JSONL or JSON-list path, or a hub data set (``"openai/gsm8k"``).

    ``format`` is a name in :data:`FORMATS` or ``"auto"`` (read off the first row). With
    ``limit``, a fixed-seed random sample of that size, in the file's order.
    """
    if format != "auto" and format not in FORMATS:
        raise DataError(f"Unknown format {format!r}; known: auto, {', '.join(FORMATS)}")
    rows = _read_rows(source, split=split, config=config)
    if not rows:
        return []
    name = detect_format(rows[0]) if format == "auto" else format
    examples = [FORMATS[name](row, i).model_copy(update={"dataset": name})
                for i, row in enumerate(rows)]
    if limit is not None and limit < len(examples):
        examples = sample_examples(examples, limit, seed=seed)
    return examples


def sample_examples(examples: list[Example], n: int, *, seed: int = 0) -> list[Example]:
    """A fixed-seed random sample of ``n`` examples, in their original order."""
    indices = sorted(random.Random(seed).sample(range(len(examples)), n))
    return [examples[i] for i in indices]


def split_examples(
    examples: list[Example], *, holdout: int, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """Split into (train, held-out) by a fixed seed; held-out has ``holdout`` examples."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    held = set(order[:holdout])
    return (
        [e for i, e in enumerate(examples) if i not in held],
        [e for i, e in enumerate(examples) if i in held],
    )
