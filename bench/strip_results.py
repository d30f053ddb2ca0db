"""Copy an eval's ``results.jsonl`` without the data set's text, so a long run can be kept in
the repository and resumed in a later session.

    python bench/strip_results.py runs/hotpotqa-100/results.jsonl \\
        docs/runs/hotpotqa-100/records.jsonl

Each record keeps what the table and the paired tests read (id, strategy, correct, F1,
tokens per role, models, calls, repairs, latency, error) and loses the question, the gold
answer, the prediction and the plan: those quote the data set, which is read by path and
never committed. To resume, copy the stripped file to ``OUT/results.jsonl`` and rerun the
same ``langgraph-decomp eval`` command: finished (question, strategy) pairs are skipped, and
``--report-only`` summarizes them as before.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from langgraph_decomp.eval import load_records

TEXT_FIELDS = {"question": "", "gold": "", "prediction": "", "numeric_prediction": None,
               "subquestions": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, help="an eval's results.jsonl")
    parser.add_argument("out", type=Path, help="where the stripped copy goes")
    args = parser.parse_args()
    records = load_records(args.results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(r.model_copy(update=TEXT_FIELDS).model_dump_json() + "\n"
                                for r in records), encoding="utf-8")
    print(f"{len(records)} records -> {args.out}")


if __name__ == "__main__":
    main()
