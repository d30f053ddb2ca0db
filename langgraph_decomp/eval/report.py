"""Summaries of eval records: a table (rich, Markdown, CSV), a one-sentence conclusion
against the baseline, and an accuracy-vs-cost plot."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from langgraph_decomp.eval.harness import Record
from langgraph_decomp.eval.pricing import Prices, hosted_units, role_cost
from langgraph_decomp.eval.stats import Paired, bootstrap_interval, paired, wilson_interval

ROLES = ("decomposer", "solver", "verifier")
CostBasis = Literal["$", "hosted units"]


class Summary(BaseModel):
    """One strategy's figures over the examples it finished."""

    strategy: str
    n: int
    correct: int
    """Right answers (exact matches for span answers)."""
    errors: int
    accuracy: float
    ci_low: float
    ci_high: float
    f1: float | None = None
    """Mean token F1 when the data has span answers (a number or yes/no answer scores 1 if
    right, else 0), with a 95 % percentile bootstrap interval; ``None`` otherwise."""
    f1_low: float | None = None
    f1_high: float | None = None
    hosted_in_per_q: float
    hosted_out_per_q: float
    hosted_units_per_q: float
    """Input + 4 × output hosted tokens per question."""
    hosted_by_role: dict[str, float]
    cost_per_q: float | None
    """US$ per question; ``None`` when a hosted model that spent tokens has no price."""
    cost_by_role: dict[str, float | None]
    solver_calls_per_q: float
    local_tokens_per_q: float
    decomposed_rate: float
    mean_latency_s: float
    is_baseline: bool = False
    vs_baseline: Paired | None = None
    """The paired comparison with the baseline; ``None`` for the baseline itself."""
    cost_ratio: float | None = None
    """Cost per question over the baseline's, in ``cost_basis``."""
    cost_basis: CostBasis = "hosted units"
    """``$`` when every strategy in the table is priced, else hosted units."""


def finished_by_all(records: Sequence[Record], names: Sequence[str]) -> list[Record]:
    """The records of the questions every strategy in ``names`` has finished (an errored
    example counts as finished), so a stopped or still-running eval compares like with like."""
    done: dict[str, set[str]] = {}
    for r in records:
        done.setdefault(r.id, set()).add(r.strategy)
    wanted = set(names)
    return [r for r in records if wanted <= done[r.id] and r.strategy in wanted]


def latest_records(records: Sequence[Record]) -> dict[tuple[str, str], Record]:
    """The record of each (question id, strategy): a rerun's record replaces an earlier
    failed one, a failed rerun never replaces a finished one."""
    latest: dict[tuple[str, str], Record] = {}
    for r in records:
        if r.error is None or (r.id, r.strategy) not in latest:
            latest[(r.id, r.strategy)] = r
    return latest


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _cost(values: Sequence[float | None]) -> float | None:
    """Mean US$ per question, or ``None`` if any question's cost is unknown."""
    if any(v is None for v in values):
        return None
    return _mean([v for v in values if v is not None])


def _summary(name: str, rs: Sequence[Record], prices: Prices) -> Summary:
    n = len(rs)
    correct = sum(r.correct for r in rs)
    low, high = wilson_interval(correct, n)
    f1 = f1_low = f1_high = None
    if any(r.f1 is not None for r in rs):
        scores = [r.f1 if r.f1 is not None else float(r.correct) for r in rs]
        f1 = _mean(scores)
        f1_low, f1_high = bootstrap_interval(scores)
    by_role = {
        role: _mean([
            r.usage.get(role, {}).get("input_tokens", 0)
            + r.usage.get(role, {}).get("output_tokens", 0)
            if role in r.hosted_roles else 0
            for r in rs
        ])
        for role in ROLES
    }
    role_costs = {role: [role_cost(r, role, prices) for r in rs] for role in ROLES}
    totals = [
        None if any(c[i] is None for c in role_costs.values())
        else sum(c[i] or 0.0 for c in role_costs.values())
        for i in range(n)
    ]
    hosted_in = _mean([r.hosted_tokens[0] for r in rs])
    hosted_out = _mean([r.hosted_tokens[1] for r in rs])
    return Summary(
        strategy=name, n=n, correct=correct, errors=sum(r.error is not None for r in rs),
        accuracy=correct / n, ci_low=low, ci_high=high, f1=f1, f1_low=f1_low, f1_high=f1_high,
        hosted_in_per_q=hosted_in, hosted_out_per_q=hosted_out,
        hosted_units_per_q=hosted_units(hosted_in, hosted_out), hosted_by_role=by_role,
        cost_per_q=_cost(totals),
        cost_by_role={role: _cost(costs) for role, costs in role_costs.items()},
        solver_calls_per_q=_mean([r.usage.get("solver", {}).get("calls", 0) for r in rs]),
        local_tokens_per_q=_mean([r.local_tokens for r in rs]),
        decomposed_rate=_mean([r.decomposed for r in rs]),
        mean_latency_s=_mean([r.wall_s for r in rs]),
    )


def cost_of(s: Summary) -> float | None:
    """``s``'s cost per question in its ``cost_basis``."""
    return s.cost_per_q if s.cost_basis == "$" else s.hosted_units_per_q


def summarize(
    records: Sequence[Record],
    order: Sequence[str] | None = None,
    *,
    prices: Prices | None = None,
    baseline: str | None = None,
) -> list[Summary]:
    """Summaries per strategy (in ``order`` if given); errored examples count as wrong.

    Each strategy is compared with ``baseline`` (default: the first strategy) on the
    questions both finished, and its cost put against the baseline's: in US$ when
    ``prices`` price every strategy, else in hosted units.
    """
    names = list(order or dict.fromkeys(r.strategy for r in records))
    baseline = baseline or (names[0] if names else None)
    if baseline is not None and baseline not in names:
        raise ValueError(f"baseline {baseline!r} is not one of the strategies {names}")
    by_strategy: dict[str, list[Record]] = {}
    for (_, strategy), r in latest_records(records).items():
        by_strategy.setdefault(strategy, []).append(r)
    out = [_summary(name, by_strategy[name], prices or {}) for name in names
           if by_strategy.get(name)]
    basis: CostBasis = "$" if out and all(s.cost_per_q is not None for s in out) else (
        "hosted units")
    base = next((s for s in out if s.strategy == baseline), None)
    right = {name: {r.id: r.correct for r in rs} for name, rs in by_strategy.items()}
    for s in out:
        s.cost_basis = basis
        s.is_baseline = s is base
    if base is None:
        return out
    base_cost = cost_of(base)  # read once every row has its basis, the baseline's included
    for s in out:
        if s is base:
            continue
        s.vs_baseline = paired(right[base.strategy], right[s.strategy], base.strategy)
        cost = cost_of(s)
        s.cost_ratio = cost / base_cost if base_cost and cost is not None else None
    return out


def _dollars(value: float | None) -> str:
    """US$ with three significant digits (``$0.000312``), ``-`` when unknown."""
    if value is None:
        return "-"
    if value == 0:
        return "$0"
    decimals = max(2, 2 - math.floor(math.log10(abs(value))))
    return f"${value:.{decimals}f}"


def _p(value: float) -> str:
    """``"= 0.021"``: two significant digits, a third where two would round across 0.05."""
    if value < 0.001:
        return "< 0.001"
    text = f"{value:.2g}"
    return f"= {value:.3g}" if (float(text) < 0.05) != (value < 0.05) else f"= {text}"


def _columns(summaries: Sequence[Summary]) -> list[tuple[str, Callable[[Summary], str]]]:
    """(header, cell) of each table column; F1 only when the data has span answers."""
    spans = any(s.f1 is not None for s in summaries)
    basis = summaries[0].cost_basis if summaries else "hosted units"

    def vs(cell: Callable[[Paired], str], mark: str = "-") -> Callable[[Summary], str]:
        return lambda s: cell(s.vs_baseline) if s.vs_baseline else (
            mark if s.is_baseline else "-")

    columns: list[tuple[str, Callable[[Summary], str]]] = [
        ("strategy", lambda s: s.strategy),
        ("n", lambda s: str(s.n)),
        ("exact match (95% CI)" if spans else "accuracy (95% CI)",
         lambda s: f"{s.correct}/{s.n} = {s.accuracy:.1%} [{s.ci_low:.1%}, {s.ci_high:.1%}]"),
    ]
    if spans:
        columns.append(("F1 (95% bootstrap CI)", lambda s: "-" if s.f1 is None else
                        f"{s.f1:.3f} [{s.f1_low:.3f}, {s.f1_high:.3f}]"))
    columns += [
        ("hosted in/out per q", lambda s: f"{s.hosted_in_per_q:.0f} / {s.hosted_out_per_q:.0f}"),
        ("hosted units/q", lambda s: f"{s.hosted_units_per_q:.0f}"),
        ("$/q", lambda s: _dollars(s.cost_per_q)),
        ("$ by role/q", lambda s: ", ".join(
            f"{role[:3]} {_dollars(v)}" for role, v in s.cost_by_role.items() if v != 0) or "-"),
        ("solver calls/q", lambda s: f"{s.solver_calls_per_q:.2f}"),
        ("b / c vs baseline", vs(lambda p: f"{p.b} / {p.c}", "baseline")),
        ("McNemar p", vs(lambda p: _p(p.p_value).removeprefix("= "))),
        ("Δ points", vs(lambda p: f"{p.accuracy_diff:+.1f}")),
        (f"cost × baseline ({basis})",
         lambda s: "-" if s.cost_ratio is None else f"{s.cost_ratio:.2f}×"),
        ("hosted tok by role/q", lambda s: ", ".join(
            f"{k[:3]} {v:.0f}" for k, v in s.hosted_by_role.items() if v) or "-"),
        ("local tok/q", lambda s: f"{s.local_tokens_per_q:.0f}"),
        ("decomposed", lambda s: f"{s.decomposed_rate:.0%}"),
        ("latency s", lambda s: f"{s.mean_latency_s:.1f}"),
        ("errors", lambda s: str(s.errors)),
    ]
    return columns


def _clause(s: Summary, with_n: bool) -> str:
    p = s.vs_baseline
    assert p is not None
    name = f"{s.strategy} (n = {p.n})" if with_n else s.strategy
    counts = f"{p.b} vs {p.c} discordant, exact McNemar p {_p(p.p_value)}"
    points = "exact-match points" if s.f1 is not None else "points"
    if p.b == p.c:
        text = f"{name} has the same {'exact match' if s.f1 is not None else 'accuracy'} " \
               f"({counts})"
    else:
        direction = "higher" if p.c > p.b else "lower"
        size = f"{abs(p.accuracy_diff):.1f} {points}"
        if p.p_value < 0.05:
            text = f"{name} is significantly {direction} (p < 0.05), by {size} ({counts})"
        else:
            text = f"{name} is {size} {direction}, not significantly different ({counts})"
    if s.cost_ratio is not None:
        text += f", at {s.cost_ratio:.2f}× its {s.cost_basis} per question"
    return text


def conclusion(summaries: Sequence[Summary]) -> str | None:
    """One sentence with one clause per strategy against the baseline, from the numbers;
    ``None`` when there is nothing to compare."""
    compared = [(s, s.vs_baseline) for s in summaries if s.vs_baseline is not None]
    if not compared:
        return None
    baseline = compared[0][1].baseline
    sizes = {p.n for _, p in compared}
    head = f"Against {baseline}" + (f" (n = {next(iter(sizes))})" if len(sizes) == 1 else "")
    return f"{head}: " + "; ".join(_clause(s, len(sizes) > 1) for s, _ in compared) + "."


def print_summary(summaries: Sequence[Summary], console: Console | None = None) -> None:
    """Print the summary table and its conclusion with rich."""
    console = console or Console()
    table = Table(title="Accuracy and hosted cost per strategy")
    columns = _columns(summaries)
    for header, _ in columns:
        table.add_column(header, justify="left" if header in (
            "strategy", "$ by role/q", "hosted tok by role/q") else "right")
    for s in summaries:
        table.add_row(*(cell(s) for _, cell in columns))
    console.print(table)
    if sentence := conclusion(summaries):
        console.print(sentence, markup=False, highlight=False)


def to_markdown(summaries: Sequence[Summary]) -> str:
    """The summary table as Markdown, then the conclusion."""
    columns = _columns(summaries)
    lines = ["| " + " | ".join(h for h, _ in columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(s) for _, cell in columns) + " |" for s in summaries]
    if sentence := conclusion(summaries):
        lines += ["", sentence]
    return "\n".join(lines) + "\n"


_CSV_SKIP = {"hosted_by_role", "cost_by_role", "vs_baseline"}


def to_csv_rows(summaries: Sequence[Summary]) -> list[list[object]]:
    """The summary as CSV rows, header first (an unknown value is an empty cell)."""
    fields = [k for k in Summary.model_fields if k not in _CSV_SKIP]
    header = fields + [f"hosted_{r}_per_q" for r in ROLES] + [f"cost_{r}_per_q" for r in ROLES]
    header += ["baseline", "b", "c", "mcnemar_p", "accuracy_diff_points"]
    rows: list[list[object]] = [list(header)]
    for s in summaries:
        p = s.vs_baseline
        row = [getattr(s, k) for k in fields]
        row += [s.hosted_by_role.get(r, 0.0) for r in ROLES]
        row += [s.cost_by_role.get(r) for r in ROLES]
        row += [p.baseline, p.b, p.c, p.p_value, p.accuracy_diff] if p else [None] * 5
        rows.append(["" if v is None else v for v in row])
    return rows


def write_reports(summaries: Sequence[Summary], out_dir: Path) -> dict[str, Path]:
    """Write ``summary.md``, ``summary.csv``, ``accuracy_vs_cost.png`` and (as before)
    ``accuracy_vs_hosted_tokens.png``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "summary.md"
    md.write_text(to_markdown(summaries), encoding="utf-8")
    csv_path = out_dir / "summary.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(to_csv_rows(summaries))
    return {
        "markdown": md,
        "csv": csv_path,
        "plot": plot(summaries, out_dir / "accuracy_vs_cost.png"),
        "tokens plot": plot(summaries, out_dir / "accuracy_vs_hosted_tokens.png", x="tokens"),
    }


def plot(
    summaries: Sequence[Summary], path: Path, *, x: Literal["cost", "tokens"] = "cost"
) -> Path:
    """Accuracy (with 95 % Wilson intervals) against cost per question, one point per
    strategy: US$ when every strategy is priced, else hosted units (``x="cost"``), or
    hosted tokens, input + output (``x="tokens"``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if x == "tokens":
        label = "hosted tokens per question (input + output)"
    elif summaries and summaries[0].cost_basis == "$":
        label = "US$ per question"
    else:
        label = "hosted units per question (input + 4 × output tokens)"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    values = [s.hosted_in_per_q + s.hosted_out_per_q if x == "tokens" else cost_of(s)
              for s in summaries]
    highest = max((v for v in values if v is not None), default=0.0)
    markers = "osD^vP*Xhp<>"
    for i, (s, value) in enumerate(zip(summaries, values, strict=True)):
        if value is None:  # an unknown cost: no point, as matplotlib draws an x of None
            value = math.nan
        name = f"{s.strategy} (baseline)" if s.is_baseline and len(summaries) > 1 else s.strategy
        # Strategy strings are long: a legend under the axes keeps them readable.
        ax.errorbar(value, s.accuracy, yerr=[[s.accuracy - s.ci_low], [s.ci_high - s.accuracy]],
                    fmt=markers[i % len(markers)], capsize=4, label=name)
    ax.set_xlabel(label)
    if label.startswith("US$"):  # small amounts: few ticks, written out ($0.00015, not 1.5e-4)
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _: "$" + f"{v:.10f}".rstrip("0").rstrip(".")))
    spans = any(s.f1 is not None for s in summaries)
    ax.set_ylabel(f"{'exact match' if spans else 'accuracy'} (95% Wilson interval)")
    # From zero, with room right of the costliest marker (autoscaling's margin is a share of the
    # spread between markers, which clips the last one when they sit close together).
    ax.set_xlim(0, highest * 1.1 if highest > 0 else None)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize="small", frameon=False)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
