"""Inference-time scaling knobs, accuracy against hosted tokens, one table and one plot.

A preset of the eval harness (``langgraph-decomp eval``): the same questions through
one-stage chain of thought, two-stage, and two-stage plus each knob — self-consistency
(``n_samples=5``), verify-and-repair (``verify=true``, one repair), adaptive skip
(``min_subquestions=2``) — so each knob's accuracy and hosted tokens sit side by side in
``OUT/summary.md`` and ``OUT/accuracy_vs_hosted_tokens.png``. Resumable like any eval run;
the run is example-major and the report covers only questions every row finished, so a
run stopped early (add ``--report-only`` to summarize it) still compares like with like.

Every row solves with the ``scaffold`` scheme and, except the repair row, without the
verifier (``Context`` verifies and repairs once by default), so each row differs from the
two-stage base by one knob.

    ../shared/tools/standin-solver.sh serve 8011 &
    python bench/scaling.py --data ../shared/data/gsm8k_socratic/dev.jsonl --limit 100 \\
        --distilled llamacpp:runs/distill-gsm8k-v3/student/model.Q8_0.gguf --holdout 200 \\
        --solver openai:standin-solver --base-url http://127.0.0.1:8011/v1 --out runs/scaling
"""

from __future__ import annotations

import argparse
import sys

from langgraph_decomp.cli import main as cli_main

BASE = "+solve_scheme=scaffold+verify=false"
KNOBS = ("", "+n_samples=5", "+verify=true+max_repairs=1", "+min_subquestions=2")
"""One knob per row, on top of ``BASE`` (a later key overrides an earlier one)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--distilled", help="'hf:<dir>' of a distilled decomposer "
                        "(default: the untrained local one)")
    args, rest = parser.parse_known_args()
    base = "two-stage:distilled" if args.distilled else "two-stage:local"
    strategies = ",".join(["one-stage+verify=false", *(base + BASE + knob for knob in KNOBS)])
    argv = ["eval", "--strategies", strategies, *rest]
    if args.distilled:
        argv += ["--distilled", args.distilled]
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
