"""Plan quality of the shipped decomposer on held-out questions, beside the untrained base.

The evaluation sets are the recipe's (``recipes/decomposer.json``: GSM8K socratic dev
questions, never trained on, and the StrategyQA questions the recipe held out), scored
against the human sub-questions. Each decomposer runs greedy through llama.cpp with no stop
strings, so a plan that runs to the token cap or repeats a line is counted before parsing:

- ``base zero-shot``: the untrained SmolLM2-135M-Instruct (``llamacpp:smollm2``);
- ``base few-shot``: the same with worked examples (``recipe_shots``: the solution
  teacher's worked examples, hand-written plans for the recipe's two ``teacher_shots`` GSM8K
  train questions, and the first StrategyQA training plan);
- ``distilled``: the shipped ``local:decomposer`` (or ``--decomposer``), decoding with its
  manifest's repeat penalty;
- ``distilled rp=X``: the same decomposer with llama.cpp repeat penalty X, one row per
  ``--repeat-penalty`` value (1.0: none), to choose the manifest's value side by side;
- ``LABEL``: another decomposer (``--also LABEL=SPEC``, e.g. a candidate adapter), decoding
  with the recipe's repeat penalty;
- ``always N steps``: a reference, not a model: the steps-within-±1 share of the one plan
  length that fits the most gold plans (a decomposer below it sizes plans worse than one
  that never reads the question).

Under each table every row is paired with ``distilled`` on the same questions: plans sized
within ±1 by ``distilled`` only / by the row only, with the exact McNemar p, and the mean
ROUGE-L difference with its 95 % paired bootstrap interval.

    python bench/plan_quality.py [--recipe recipes/decomposer.json] [--limit N]
        [--repeat-penalty 1.0 1.1 ...] [--distilled-only] [--sets gsm8k-socratic-dev]
        [--also candidate=llamacpp:recipes/candidates/decomposer-gsm8k-weighted.lora.gguf]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="recipes/decomposer.json")
    parser.add_argument("--decomposer", default="local:decomposer")
    parser.add_argument("--limit", type=int, help="At most N questions per evaluation set.")
    parser.add_argument("--repeat-penalty", type=float, nargs="+", default=[],
                        metavar="X", help="Add a 'distilled rp=X' row per value.")
    parser.add_argument("--distilled-only", action="store_true",
                        help="Skip the base rows.")
    parser.add_argument("--sets", nargs="+", help="Score only these evaluation sets.")
    parser.add_argument("--also", nargs="+", default=[], metavar="LABEL=SPEC",
                        help="More decomposers (local model strings) to score and pair.")
    parser.add_argument("--out", help="Write the metrics as JSON here.")
    args = parser.parse_args()

    from langgraph_decomp.distill.metrics import compare_plans
    from langgraph_decomp.distill.recipe import evaluate_recipe, load_recipe, recipe_shots

    also = dict(item.split("=", 1) for item in args.also)
    if len(also) != len(args.also) or not all(also) or not all(also.values()):
        parser.error("--also takes LABEL=SPEC, each label once")
    recipe = load_recipe(args.recipe)
    started = time.perf_counter()
    rows = {} if args.distilled_only else {"base zero-shot": "llamacpp:smollm2",
                                           "base few-shot": "llamacpp:smollm2"}
    rows["distilled"] = args.decomposer
    penalties = {f"distilled rp={x:g}": x for x in args.repeat_penalty}
    rows.update(dict.fromkeys(penalties, args.decomposer))
    rows.update(also)
    penalties.update(dict.fromkeys(also, recipe.repeat_penalty))
    metrics = evaluate_recipe(
        recipe, rows, shots=recipe_shots(recipe), eval_limit=args.limit,
        log=lambda line: print(line, flush=True), repeat_penalties=penalties,
        sets=args.sets,
    )
    print(f"\n{time.perf_counter() - started:.0f} s; greedy, no stop strings, "
          f"{recipe.eval_max_tokens}-token cap")
    header = ("decomposer", "n", "parse", "steps ±1", "steps r", "ROUGE-L F1", "mean steps",
              "hit cap", "repeats a line")
    first = max(len(h) for h in [header[0], "always N steps", *rows]) + 2
    for name, by_model in metrics.items():
        print(f"\n{name}\n{header[0]:>{first}}" + "".join(f"{h:>16}" for h in header[1:]))
        for label, m in by_model.items():
            print(f"{label:>{first}}" + "".join(f"{v:>16}" for v in m.cells()))
        ref = next(iter(by_model.values()))
        fixed = (ref.n, "-", f"{ref.fixed_within_1:.1%}", "-", "-", f"{ref.fixed_steps}", "-",
                 "-")
        print(f"{'always N steps':>{first}}" + "".join(f"{v!s:>16}" for v in fixed))
        print(f"(gold plans: {ref.gold_mean_steps:.2f} steps on average; 'always N steps' "
              "reads no question: the best fixed length, for scale; 'steps r': the correlation of "
              "plan and gold step counts)")
        for label, m in by_model.items():
            if label != "distilled":
                d = compare_plans(by_model["distilled"], m)
                low, high = d.rouge_l_diff_interval
                print(f"{label} vs distilled: steps ±1 {d.b} / {d.c} discordant (exact McNemar "
                      f"p = {d.within_1_p:.2g}); ROUGE-L {d.rouge_l_diff:+.3f} "
                      f"[{low:+.3f}, {high:+.3f}]")
    if args.out:
        Path(args.out).write_text(json.dumps(
            {k: {label: m.model_dump() for label, m in v.items()} for k, v in metrics.items()},
            indent=2))


if __name__ == "__main__":
    main()
