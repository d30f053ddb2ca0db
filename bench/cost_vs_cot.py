"""Does the default configuration cost less hosted money than chain of thought, at its
accuracy? One table, paired against chain of thought.

A preset of the eval harness (``langgraph-decomp eval``) with two rows and any extras:

- ``one-stage``: plain chain of thought on the same solver, with a 512-token cap so its
  long replies are not cut short (the library's default cap is 384);
- ``two-stage:distilled`` with ``--distilled local:decomposer`` and no overrides: the graph's
  *defaults* (``Context()``: decomposer, solving scheme, checks), as a user gets them.

Pass ``--extra`` strategies to add rows (``two-stage:oracle+solve_scheme=guided``, ...) and
``--price MODEL=IN/OUT`` for dollars; the table gives accuracy with 95 % intervals, hosted
tokens in/out, $ per question per role, solver calls, the paired counts and the exact
McNemar p against chain of thought, and the conclusion in one sentence.

    ../shared/tools/standin-solver.sh serve 8011 &
    OPENAI_API_KEY=sk-local python bench/cost_vs_cot.py \\
        --data ../shared/data/gsm8k_socratic/dev.jsonl --limit 200 \\
        --solver openai:standin-solver --base-url http://127.0.0.1:8011/v1 \\
        --price openai:standin-solver=0.15/0.60 --out runs/cost-gsm8k
"""

from __future__ import annotations

import argparse
import sys

from langgraph_decomp.cli import main as cli_main

COT = "one-stage+solver_max_tokens=512"
DEFAULT = "two-stage:distilled"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extra", default="", help="Comma-separated extra strategies.")
    args, rest = parser.parse_known_args()
    strategies = ",".join([COT, DEFAULT, *filter(None, args.extra.split(","))])
    return cli_main(["eval", "--strategies", strategies, "--baseline", COT,
                     "--distilled", "local:decomposer", "--context-defaults", *rest])


if __name__ == "__main__":
    sys.exit(main())
