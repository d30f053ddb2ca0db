"""Do a decomposer's plans for wh-questions end on a wh-question?

A plan for "Who directed the film that ...?" should end on a sub-question that asks for the
answer, not on a yes/no check ("Is #1 the same as #2?"), which StrategyQA-style training
plans end on. This bench plans HotpotQA wh-questions outside the generalisation table's
scored sample (seed 0, the first ``--scored`` questions, as ``eval --limit 100 --seed 0``
draws them) with each decomposer, question only, greedy, side by side, and counts the plans
whose last sub-question is a yes/no question, with the exact McNemar test of each decomposer
against the first.

    python bench/plan_shape.py [--n 20] \
        [--decomposer shipped=local:decomposer other=llamacpp:runs/x/decomposer.lora.gguf]
"""

from __future__ import annotations

import argparse
import re

YES_NO = re.compile(r"^(is|are|was|were|do|does|did|can|could|has|have|had|will|would|should)\b",
                    re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default="../shared/data/hotpotqa/dev_500.jsonl")
    parser.add_argument("--format", default="hotpotqa")
    parser.add_argument("--scored", type=int, default=100,
                        help="Leave out the seed-0 sample of this many questions.")
    parser.add_argument("--n", type=int, default=20, help="Wh-questions to plan (the last N).")
    parser.add_argument("--decomposer", nargs="+", default=["shipped=local:decomposer"],
                        metavar="LABEL=MODEL")
    parser.add_argument("--repeat-penalty", type=float, default=1.05,
                        help="llama.cpp repeat penalty for every decomposer (the shipped one's).")
    args = parser.parse_args()

    from langgraph_decomp.data import load_examples
    from langgraph_decomp.eval.stats import mcnemar_exact
    from langgraph_decomp.models import generate_local_replies
    from langgraph_decomp.parsing import parse_plan, plan_stop
    from langgraph_decomp.prompts import DEFAULT_PROMPTS

    scored = {e.id for e in load_examples(args.data, format=args.format, limit=args.scored,
                                          seed=0)}
    rest = [e for e in load_examples(args.data, format=args.format) if e.id not in scored]
    questions = [e for e in rest if not YES_NO.match(e.question.strip())][-args.n:]
    convs = [DEFAULT_PROMPTS.decompose_messages(e.question, max_subquestions=5)
             for e in questions]
    ends: dict[str, list[bool]] = {}
    for item in args.decomposer:
        label, _, spec = item.partition("=")
        replies = generate_local_replies(spec, convs, max_tokens=192, stop=plan_stop(5),
                                         repeat_penalty=args.repeat_penalty)
        plans = [parse_plan(r.text, 5).subquestions for r in replies]
        ends[label] = [bool(p) and bool(YES_NO.match(p[-1])) for p in plans]
        mean = sum(len(p) for p in plans) / len(plans)
        print(f"{label}: {sum(ends[label])} of {len(plans)} wh-question plans end on a yes/no "
              f"sub-question; {mean:.2f} sub-questions on average", flush=True)
    first, *others = ends
    for label in others:
        b = sum(x and not y for x, y in zip(ends[first], ends[label], strict=True))
        c = sum(y and not x for x, y in zip(ends[first], ends[label], strict=True))
        print(f"{label} vs {first}: {b} plans fixed, {c} broken, exact McNemar p = "
              f"{mcnemar_exact(b, c):.2g}")


if __name__ == "__main__":
    main()
