"""Beyond GSM8K: one-stage against two-stage with the shipped distilled decomposer and with
its untrained base, on SVAMP, DROP, HotpotQA and held-out StrategyQA, one table.

A preset of the eval harness (``langgraph-decomp eval``), one run per data set under
``OUT/<set>/`` (each resumable, each with its own ``summary.md`` and plot), then one table
over them in ``OUT/summary.md``:

- ``one-stage+solver_max_tokens=512``: chain of thought on the same solver (the baseline);
- ``two-stage:distilled`` with ``--distilled local:decomposer``: the graph's defaults;
- ``two-stage:local`` with ``--local llamacpp:smollm2``: the same graph planned by the
  untrained SmolLM2-135M (llama.cpp, as fast as the default);
- StrategyQA only: ``two-stage:oracle``, the data's human decompositions (an upper bound on
  planning), on the questions the shipped decomposer never trained on (``--holdout 290``,
  the recipe's hold-out; SVAMP, DROP and HotpotQA were never trained on at all).

Accuracy is exact match (numbers, yes/no, normalized spans) with a Wilson 95 % interval;
span data (DROP, HotpotQA) add token F1 with a bootstrap interval. Each row is paired
against chain of thought on the same questions (exact McNemar).

    ../shared/tools/standin-solver.sh serve 8011 &
    OPENAI_API_KEY=sk-local python bench/generalisation.py --limit 100 \\
        --solver openai:standin-solver --base-url http://127.0.0.1:8011/v1 \\
        --price openai:standin-solver=0.15/0.60 --out runs/generalisation
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from langgraph_decomp.cli import main as cli_main

COT = "one-stage+solver_max_tokens=512"
ROWS = (COT, "two-stage:distilled", "two-stage:local")
SETS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    # name: (path under --data-dir, --format, extra strategies, extra eval flags)
    "svamp": ("svamp/SVAMP.json", "svamp", (), ()),
    "drop": ("drop/dev_500.json", "drop", (), ()),
    "hotpotqa": ("hotpotqa/dev_500.jsonl", "hotpotqa", (), ()),
    "strategyqa": ("strategyqa/train.jsonl", "strategyqa", ("two-stage:oracle",),
                   ("--holdout", "290")),
}
LABELS = {COT: "one-stage (chain of thought)", "two-stage:distilled": "two-stage, shipped",
          "two-stage:local": "two-stage, untrained base", "two-stage:oracle":
          "two-stage, human plans"}


def eval_argv(name: str, data_dir: Path, out: Path, rest: list[str]) -> list[str]:
    """The ``eval`` command line of one data set."""
    path, fmt, extra, flags = SETS[name]
    strategies = ",".join((*ROWS, *extra))
    return ["eval", "--data", str(data_dir / path), "--format", fmt, *flags,
            "--strategies", strategies, "--baseline", COT, "--distilled", "local:decomposer",
            "--local", "llamacpp:smollm2", "--context-defaults", "--out", str(out / name),
            *rest]


def _pct(value: str) -> str:
    return f"{float(value) * 100:.1f}"


def table(out: Path, names: list[str]) -> str:
    """One Markdown table over the data sets' ``summary.csv`` files (missing ones are
    skipped, so a partial run still reports what it has)."""
    lines = ["| data set | strategy | n | accuracy (95 % CI) | F1 (95 % CI) | $ per q | "
             "cost × CoT | vs CoT: b / c, McNemar p |", "|---|---|---|---|---|---|---|---|"]
    for name in names:
        path = out / name / "summary.csv"
        if not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        by_name = {r["strategy"]: r for r in rows}
        base_cost = by_name.get(COT, {}).get("cost_per_q") or ""
        for r in rows:
            acc = (f"{r['correct']}/{r['n']} = {_pct(r['accuracy'])} % "
                   f"[{_pct(r['ci_low'])}, {_pct(r['ci_high'])}]")
            f1 = (f"{_pct(r['f1'])} [{_pct(r['f1_low'])}, {_pct(r['f1_high'])}]"
                  if r.get("f1") else "-")
            cost = f"${float(r['cost_per_q']):.7f}" if r.get("cost_per_q") else "-"
            ratio = (f"{float(r['cost_per_q']) / float(base_cost):.2f}×"
                     if r.get("cost_per_q") and base_cost and float(base_cost) > 0 else "-")
            vs = "baseline" if r["strategy"] == COT else (
                f"{r['b']} / {r['c']}, p = {float(r['mcnemar_p']):.3g}"
                if r.get("mcnemar_p") else "-")
            label = LABELS.get(r["strategy"], r["strategy"])
            lines.append(f"| {name} | {label} | {r['n']} | {acc} | {f1} | {cost} | {ratio} | "
                         f"{vs} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", default=",".join(SETS),
                        help=f"Comma-separated data sets (default {','.join(SETS)}).")
    parser.add_argument("--data-dir", default="../shared/data", type=Path)
    parser.add_argument("--out", default="runs/generalisation", type=Path)
    parser.add_argument("--limit", type=int, default=100, help="Questions per data set.")
    args, rest = parser.parse_known_args(argv)
    names = [n.strip() for n in args.sets.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETS]
    if unknown:
        parser.error(f"unknown data set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    status = 0
    for name in names:
        code = cli_main(eval_argv(name, args.data_dir, args.out,
                                  ["--limit", str(args.limit), *rest]))
        status = status or code
    report = table(args.out, names)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text(report, encoding="utf-8")
    print(report)
    return status


if __name__ == "__main__":
    sys.exit(main())
