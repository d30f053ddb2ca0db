"""A rich progress bar with rate and ETA, shared by the eval harness and distillation."""

from __future__ import annotations

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def progress_bar(label: str, *, enabled: bool = True) -> Progress:
    """``[label] ━━━━ 12/100 0:01:05 0:08:40`` (done/total, elapsed, remaining)."""
    return Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), disable=not enabled,
    )
