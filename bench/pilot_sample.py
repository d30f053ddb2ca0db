"""Write a tuning sample of GSM8K socratic dev questions that is disjoint from the
fixed-seed sample the cost bench scores (``--limit 200 --seed 0``), so prompts are tuned on
questions the reported table never sees.

    python bench/pilot_sample.py --data ../shared/data/gsm8k_socratic/dev.jsonl \\
        --n 24 --seed 7 --out /tmp/pilot.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="JSONL file (rows are copied as they are).")
    parser.add_argument("--n", type=int, default=24, help="Questions in the tuning sample.")
    parser.add_argument("--seed", type=int, default=7, help="Seed of the tuning sample.")
    parser.add_argument("--avoid", type=int, default=200, help="Size of the scored sample.")
    parser.add_argument("--avoid-seed", type=int, default=0, help="Seed of the scored sample.")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    lines = Path(args.data).read_text().splitlines()
    # The same draw as langgraph_decomp.data.sample_examples over the file's rows.
    scored = set(random.Random(args.avoid_seed).sample(range(len(lines)), args.avoid))
    rest = [i for i in range(len(lines)) if i not in scored]
    picked = sorted(random.Random(args.seed).sample(rest, args.n))
    Path(args.out).write_text("".join(json.dumps(json.loads(lines[i])) + "\n" for i in picked))
    print(f"{len(picked)} questions -> {args.out}")


if __name__ == "__main__":
    main()
