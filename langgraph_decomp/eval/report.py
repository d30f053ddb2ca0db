"""Summaries of eval records: a table (rich, Markdown, CSV) and an accuracy-vs-cost plot."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from langgraph_decomp.eval.harness import Record

ROLES = ("decomposer", "solver", "verifier")


class Summary(BaseModel):
    """One strategy's figures over the examples it finished."""

    strategy: str
    n: int
    correct: int
    errors: int
    accuracy: float
    ci_low: float
    ci_high: float
    hosted_in_per_q: float
    hosted_out_per_q: float
    hosted_by_role: dict[str, float]
    local_tokens_per_q: float
    decomposed_rate: float
    mean_latency_s: float


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval for a proportion."""
    if n == 0:
        return 0.0, 0.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def finished_by_all(records: Sequence[Record], names: Sequence[str]) -> list[Record]:
    """The records of the questions every strategy in ``names`` has finished (an errored
    example counts as finished), so a stopped or still-running eval compares like with like."""
    done: dict[str, set[str]] = {}
    for r in records:
        done.setdefault(r.id, set()).add(r.strategy)
    wanted = set(names)
    return [r for r in records if wanted <= done[r.id] and r.strategy in wanted]


def summarize(records: Sequence[Record], order: Sequence[str] | None = None) -> list[Summary]:
    """Summaries per strategy (in ``order`` if given); errored examples count as wrong."""
    names = list(order or dict.fromkeys(r.strategy for r in records))
    latest: dict[tuple[str, str], Record] = {}
    for r in records:  # a rerun's record replaces an earlier failed one
        if r.error is None or (r.id, r.strategy) not in latest:
            latest[(r.id, r.strategy)] = r
    out = []
    for name in names:
        rs = [r for (_, s), r in latest.items() if s == name]
        n = len(rs)
        if not n:
            continue
        correct = sum(r.correct for r in rs)
        low, high = wilson_interval(correct, n)
        by_role = {
            role: sum(
                r.usage.get(role, {}).get("input_tokens", 0)
                + r.usage.get(role, {}).get("output_tokens", 0)
                for r in rs if role in r.hosted_roles
            ) / n
            for role in ROLES
        }
        out.append(Summary(
            strategy=name, n=n, correct=correct, errors=sum(r.error is not None for r in rs),
            accuracy=correct / n, ci_low=low, ci_high=high,
            hosted_in_per_q=sum(r.hosted_tokens[0] for r in rs) / n,
            hosted_out_per_q=sum(r.hosted_tokens[1] for r in rs) / n,
            hosted_by_role=by_role,
            local_tokens_per_q=sum(r.local_tokens for r in rs) / n,
            decomposed_rate=sum(r.decomposed for r in rs) / n,
            mean_latency_s=sum(r.wall_s for r in rs) / n,
        ))
    return out


HEADERS = ["strategy", "n", "accuracy (95% CI)", "hosted in/q", "hosted out/q",
           "hosted by role/q", "local tok/q", "decomposed", "latency s", "errors"]


def _row(s: Summary) -> list[str]:
    roles = ", ".join(f"{k[:3]} {v:.0f}" for k, v in s.hosted_by_role.items() if v)
    return [
        s.strategy, str(s.n),
        f"{s.correct}/{s.n} = {s.accuracy:.1%} [{s.ci_low:.1%}, {s.ci_high:.1%}]",
        f"{s.hosted_in_per_q:.0f}", f"{s.hosted_out_per_q:.0f}", roles or "-",
        f"{s.local_tokens_per_q:.0f}", f"{s.decomposed_rate:.0%}", f"{s.mean_latency_s:.1f}",
        str(s.errors),
    ]


def print_summary(summaries: Sequence[Summary], console: Console | None = None) -> None:
    """Print the summary table with rich."""
    table = Table(title="Accuracy and hosted cost per strategy")
    for h in HEADERS:
        table.add_column(h, justify="left" if h in ("strategy", "hosted by role/q") else "right")
    for s in summaries:
        table.add_row(*_row(s))
    (console or Console()).print(table)


def to_markdown(summaries: Sequence[Summary]) -> str:
    """The summary table as Markdown."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(_row(s)) + " |" for s in summaries]
    return "\n".join(lines) + "\n"


def write_reports(summaries: Sequence[Summary], out_dir: Path) -> dict[str, Path]:
    """Write ``summary.md``, ``summary.csv`` and ``accuracy_vs_hosted_tokens.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "summary.md"
    md.write_text(to_markdown(summaries), encoding="utf-8")
    csv_path = out_dir / "summary.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        fields = [k for k in Summary.model_fields if k != "hosted_by_role"]
        writer = csv.writer(f)
        writer.writerow(fields + [f"hosted_{r}_per_q" for r in ROLES])
        for s in summaries:
            writer.writerow([getattr(s, k) for k in fields]
                            + [s.hosted_by_role.get(r, 0.0) for r in ROLES])
    paths = {"markdown": md, "csv": csv_path}
    paths["plot"] = plot(summaries, out_dir / "accuracy_vs_hosted_tokens.png")
    return paths


def plot(summaries: Sequence[Summary], path: Path) -> Path:
    """Accuracy (with 95 % intervals) against hosted tokens per question, one point each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = "osD^vP*Xhp<>"
    for i, s in enumerate(summaries):
        x = s.hosted_in_per_q + s.hosted_out_per_q
        # Strategy strings are long: a legend under the axes keeps them readable.
        ax.errorbar(x, s.accuracy, yerr=[[s.accuracy - s.ci_low], [s.ci_high - s.accuracy]],
                    fmt=markers[i % len(markers)], capsize=4, label=s.strategy)
    ax.set_xlabel("hosted tokens per question (input + output)")
    ax.set_ylabel("accuracy (95% Wilson interval)")
    ax.set_xlim(left=0)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize="small", frameon=False)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
