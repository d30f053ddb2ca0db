"""Write a tuning sample of GSM8K socratic dev questions that is disjoint from the
fixed-seed sample the cost bench scores (``--limit 200 --seed 0``), so prompts are tuned on
questions the reported table never sees.

    python bench/pilot_sample.py --data ../shared/data/gsm8k_socratic/dev.jsonl \\
        --n 24 --seed 7 --out /tmp/pilot.jsonl

``--exclude`` leaves out the questions of earlier tuning samples too (a second pilot that
does not repeat the first: ``--seed 8 --exclude /tmp/pilot.jsonl``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="JSONL file (rows are copied as they are).")
    parser.add_argument("--n", type=int, default=24, help="Questions in the tuning sample.")
    parser.add_argument("--seed", type=int, default=7, help="Seed of the tuning sample.")
    parser.add_argument("--avoid", type=int, default=200, help="Size of the scored sample.")
    parser.add_argument("--avoid-seed", type=int, default=0, help="Seed of the scored sample.")
    parser.add_argument("--exclude", nargs="+", default=[], metavar="JSONL",
                        help="Also leave out the questions (by id) of these files.")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    from langgraph_decomp.data import load_examples, sample_examples

    lines = Path(args.data).read_text().splitlines()
    examples = load_examples(args.data)  # one per line, in the file's order
    scored = {e.id for e in sample_examples(examples, args.avoid, seed=args.avoid_seed)}
    for path in args.exclude:
        scored |= {e.id for e in load_examples(path)}
    line_of = {e.id: i for i, e in enumerate(examples)}
    rest = [e for e in examples if e.id not in scored]
    picked = [line_of[e.id] for e in sample_examples(rest, args.n, seed=args.seed)]
    Path(args.out).write_text("".join(json.dumps(json.loads(lines[i])) + "\n" for i in picked))
    print(f"{len(picked)} questions -> {args.out}")


if __name__ == "__main__":
    main()
