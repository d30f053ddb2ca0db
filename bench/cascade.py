"""What a cheap-signal cascade would score and cost, computed from an eval's paired records.

A cascade answers with a first strategy and re-asks a fallback strategy only where a local
signal (no model call) says the first answer may be wrong. Both strategies were run on the
same questions by ``langgraph-decomp eval`` with a deterministic solver, so each question's
cascade answer is the fallback's recorded answer where a signal fires and the first's
elsewhere, and its cost is the first's tokens plus, where it fires, the fallback's. The rows
are computed, not run; they go through the eval's own table (accuracy with its Wilson
interval, tokens, $ per question, solver calls, paired exact McNemar against the baseline).

    python bench/cascade.py runs/pilot12-cascade/results.jsonl \\
        --baseline one-stage+solver_max_tokens=512 \\
        --first one-stage+solve_scheme=program --fallback one-stage+solver_max_tokens=512 \\
        --signals unknown,repair unknown,repair,fraction,negative \\
        --price openai:standin-solver=0.15/0.60

Signals, read from the first strategy's record: ``unknown`` (no answer, or the run
failed), ``repair`` (the run spent a repair round: a program that did not compute),
``fraction`` (a numeric answer with a fractional part), ``negative``, ``zero``, ``echo``
(the answer is a number the question states) and ``plan>=K`` (the plan of the
``--plan-from`` strategy has at least K sub-questions). ``plan>=K`` routes rather than
cascades: the plan is written before any hosted call, so where it fires only the fallback
runs and is paid for (the local decomposer's tokens, $0, are not added).
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from langgraph_decomp.eval import Record, collect_prices, load_records, print_summary, summarize
from langgraph_decomp.eval.report import latest_records, to_markdown
from langgraph_decomp.state import add_usage

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _value(record: Record) -> float | None:
    text = (record.numeric_prediction or record.prediction or "").replace(",", "").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # "nan" and "inf" read as no number


def _stated(question: str) -> set[float]:
    return {float(m.replace(",", "")) for m in _NUMBER.findall(question)}


SIGNALS: dict[str, Callable[[Record], bool]] = {
    "unknown": lambda r: r.error is not None or r.prediction.strip().lower() in ("", "unknown"),
    "repair": lambda r: r.repairs > 0,
    "fraction": lambda r: (v := _value(r)) is not None and v != int(v),
    "negative": lambda r: (v := _value(r)) is not None and v < 0,
    "zero": lambda r: _value(r) == 0,
    "echo": lambda r: (v := _value(r)) is not None and v in _stated(r.question),
}


def fires(signal: str, first: Record, planned: Record) -> bool:
    """Whether ``signal`` fires on a question: the named checks read ``first``, ``plan>=K``
    reads the plan length of ``planned``."""
    if signal.startswith("plan>="):
        return planned.n_subquestions >= int(signal.removeprefix("plan>="))
    return SIGNALS[signal](first)


def check_signal(signal: str) -> str:
    """``signal`` if it is known, else exit naming the known ones."""
    steps = signal.removeprefix("plan>=")
    if signal in SIGNALS or (steps != signal and steps.isdigit()):
        return signal
    raise SystemExit(f"unknown signal {signal!r}; known: {', '.join(SIGNALS)}, plan>=K")


def cascade(first: Record, fallback: Record, planned: Record, signals: Sequence[str],
            name: str) -> Record:
    """The cascade's record for one question: ``first``'s where no signal fires,
    ``fallback``'s where a ``plan>=K`` route fires, else ``fallback``'s answer at both
    strategies' cost."""
    fired = [s for s in signals if fires(s, first, planned)]
    if not fired:
        return first.model_copy(update={"strategy": name})
    if any(s.startswith("plan>=") for s in fired):
        return fallback.model_copy(update={"strategy": name})
    return fallback.model_copy(update={
        "strategy": name,
        "usage": add_usage(first.usage, fallback.usage),  # type: ignore[arg-type]
        "hosted_roles": sorted({*first.hosted_roles, *fallback.hosted_roles}),
        "repairs": first.repairs + fallback.repairs,
        "wall_s": first.wall_s + fallback.wall_s,
    })


def cascade_rows(records: Sequence[Record], first: str, fallback: str, plan_from: str,
                 signal_sets: Sequence[Sequence[str]]) -> list[Record]:
    """One cascade record per signal set and question that ``first``, ``fallback`` and
    ``plan_from`` all finished."""
    by_id: dict[str, dict[str, Record]] = {}
    for (qid, strategy), r in latest_records(records).items():
        by_id.setdefault(qid, {})[strategy] = r
    out = []
    for signals in signal_sets:
        name = f"{first} -> {fallback} if {', '.join(signals)}"
        out += [cascade(d[first], d[fallback], d[plan_from], signals, name)
                for d in by_id.values() if {first, fallback, plan_from} <= d.keys()]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, help="an eval's results.jsonl")
    parser.add_argument("--baseline", required=True, help="the strategy rows are paired with")
    parser.add_argument("--first", required=True, help="the strategy that answers first")
    parser.add_argument("--fallback", required=True, help="the strategy re-asked on a signal")
    parser.add_argument("--plan-from", help="whose plan length plan>=K reads (default --first)")
    parser.add_argument("--signals", nargs="+", required=True,
                        help="one cascade row per comma-separated signal set")
    parser.add_argument("--price", action="append", default=[], metavar="MODEL=IN/OUT")
    parser.add_argument("--out", type=Path, help="write the table here as Markdown")
    args = parser.parse_args()
    records = load_records(args.results)
    signal_sets = [[check_signal(x) for x in s.split(",")] for s in args.signals]
    rows = cascade_rows(records, args.first, args.fallback, args.plan_from or args.first,
                        signal_sets)
    if not rows:
        raise SystemExit("no question has records of --first, --fallback and --plan-from")
    ids = {r.id for r in rows}
    order = list(dict.fromkeys([args.baseline, args.first, args.fallback,
                                *(r.strategy for r in rows)]))
    kept = [r for r in [*records, *rows] if r.id in ids and r.strategy in order]
    summaries = summarize(kept, order, prices=collect_prices(args.price),
                          baseline=args.baseline)
    print_summary(summaries)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(to_markdown(summaries), encoding="utf-8")


if __name__ == "__main__":
    main()
