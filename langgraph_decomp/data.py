"""Question sets for evaluation and distillation, by local path or Hugging Face hub name.

A small registry of row formats turns raw rows into :class:`Example`; GSM8K is built in
(both ``main`` and ``socratic``: in the socratic config each step line reads
``sub-question ** step``), and DROP-style (context + question) or multi-hop sets plug in by
registering a function in :data:`FORMATS`.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from langgraph_decomp.errors import DecompError


class DataError(DecompError, ValueError):
    """A data source cannot be read or has rows in an unexpected shape."""


class Example(BaseModel):
    """One question with its gold answer (and human sub-questions where the data has them)."""

    id: str
    question: str
    gold: str
    context: str | None = None
    subquestions: list[str] | None = None


_GOLD = re.compile(r"####\s*(.+?)\s*$", re.MULTILINE)


def gsm8k_example(row: dict[str, Any], index: int) -> Example:
    """A GSM8K row (``question``, ``answer`` ending in ``#### N``) as an :class:`Example`."""
    answer = row.get("answer")
    if not isinstance(row.get("question"), str) or not isinstance(answer, str):
        raise DataError(f"row {index}: expected string 'question' and 'answer' fields")
    gold = _GOLD.search(answer)
    if not gold:
        raise DataError(f"row {index}: the answer has no '#### <number>' line")
    subquestions = [
        line.split("**", 1)[0].strip()
        for line in answer.splitlines()
        if "**" in line and line.split("**", 1)[0].strip()
    ]
    return Example(
        id=str(row.get("id") or f"row-{index}"),
        question=row["question"].strip(),
        gold=gold.group(1).replace(",", "").strip(),
        subquestions=subquestions or None,
    )


FORMATS: dict[str, Callable[[dict[str, Any], int], Example]] = {"gsm8k": gsm8k_example}
"""Row formats by name; add yours to plug in another data set."""


def _read_rows(source: str, *, split: str, config: str | None) -> list[dict[str, Any]]:
    path = Path(source).expanduser()
    if path.is_file():
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
    format: str = "gsm8k",
    limit: int | None = None,
    seed: int = 0,
    split: str = "test",
    config: str | None = "socratic",
) -> list[Example]:
    """Load examples from a JSONL path or a hub data set (``"openai/gsm8k"``).

    With ``limit``, a fixed-seed random sample of that size, in the file's order.
    """
    if format not in FORMATS:
        raise DataError(f"Unknown format {format!r}; known: {', '.join(FORMATS)}")
    rows = _read_rows(source, split=split, config=config)
    examples = [FORMATS[format](row, i) for i, row in enumerate(rows)]
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
