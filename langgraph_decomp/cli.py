"""Command line: ``langgraph-decomp solve "QUESTION"``.

Streams the plan, each sub-answer and the verdict as they arrive, then prints the final
answer and tokens per role (rich output), or one JSON object with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from langgraph_decomp.context import CONTEXT_FIELDS, DEFAULT_DECOMPOSER, DEFAULT_SOLVER
from langgraph_decomp.errors import DecompError

PROMPTS_HELP = "Prompts JSON file, or a distilled student directory (its prompts.json)."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="langgraph-decomp",
        description="Decompose a question with a small local model, solve it with any model.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    solve = sub.add_parser("solve", help="Answer one question through the graph.")
    solve.add_argument("question", help="The question (quote it).")
    solve.add_argument("--context", help="Supporting text for reading-comprehension questions.")
    solve.add_argument("--decomposer", help=f"Model string (default {DEFAULT_DECOMPOSER}).")
    solve.add_argument("--solver", help=f"Model string (default {DEFAULT_SOLVER}).")
    solve.add_argument("--verifier", help="Model string (default: the solver).")
    solve.add_argument("--base-url", help="OpenAI-compatible endpoint for non-local models.")
    solve.add_argument("--api-key", help="Key for --base-url (prefer OPENAI_API_KEY).")
    solve.add_argument("--max-subquestions", type=int)
    solve.add_argument("--max-repairs", type=int)
    solve.add_argument("--no-verify", dest="verify", action="store_false", default=None)
    solve.add_argument("--max-tokens", type=int, help="Generation cap for every role.")
    solve.add_argument("--json", action="store_true", help="Print one JSON object.")
    solve.add_argument("--prompts", help=PROMPTS_HELP)

    ev = sub.add_parser("eval", help="Compare strategies on a data set: accuracy, hosted cost.")
    ev.add_argument("--data", required=True, help="JSONL path or hub id (openai/gsm8k).")
    ev.add_argument("--format", default="gsm8k", help="Row format (default gsm8k).")
    ev.add_argument("--split", default="test", help="Hub split (default test).")
    ev.add_argument("--config", default="socratic", help="Hub config (default socratic).")
    ev.add_argument("--limit", type=int, help="Fixed-seed sample of this many questions.")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--holdout", type=int, help="Only the N questions that `distill --holdout N "
                    "--seed S` held out, so a distilled decomposer is not scored on its "
                    "training questions (then --limit samples from those).")
    ev.add_argument("--strategies", default="one-stage,two-stage:teacher,two-stage:oracle",
                    help="Comma-separated: one-stage, two-stage[:teacher], two-stage:local, "
                         "two-stage:distilled, two-stage:oracle; each may add Context "
                         "overrides: two-stage:oracle+solve_scheme=paper.")
    ev.add_argument("--solver", required=True, help="Solver model string.")
    ev.add_argument("--decomposer", help="Teacher decomposer for two-stage:teacher "
                                         "(default: the solver).")
    ev.add_argument("--local", default="local:smollm2",
                    help="Untrained decomposer for two-stage:local (default local:smollm2).")
    ev.add_argument("--distilled", help="Decomposer for two-stage:distilled (hf:<path>).")
    ev.add_argument("--base-url", help="OpenAI-compatible endpoint for non-local models.")
    ev.add_argument("--api-key", help="Key for --base-url (prefer OPENAI_API_KEY).")
    ev.add_argument("--verify", action="store_true", help="Run the verifier (off by default).")
    ev.add_argument("--context-defaults", action="store_true",
                    help="Leave verify at the Context default too (measure the defaults).")
    ev.add_argument("--max-subquestions", type=int)
    ev.add_argument("--solver-max-tokens", type=int, default=384)
    ev.add_argument("--decomposer-max-tokens", type=int)
    ev.add_argument("--request-timeout", type=float,
                    help="Seconds each hosted call may take (Context.request_timeout, default "
                    "120); raise it for a slow endpoint. A call that times out is recorded as "
                    "an error (counted wrong) and retried by a rerun.")
    ev.add_argument("--concurrency", type=int, default=1,
                    help="Questions at once (awaited: hosted calls all in flight).")
    ev.add_argument("--prompts", help=PROMPTS_HELP)
    ev.add_argument("--out", default="runs/eval", help="Output directory (resumable).")
    ev.add_argument("--report-only", action="store_true",
                    help="Only summarize OUT/results.jsonl (the questions every strategy "
                    "finished); run nothing.")
    ev.add_argument("--price", action="append", default=[], metavar="MODEL=IN/OUT",
                    help="US$ per million input/output tokens of a hosted model string "
                    "(repeatable): --price openai:gpt-4o-mini=0.15/0.60. Local models cost "
                    "$0; an unpriced hosted model's $ shows as '-'.")
    ev.add_argument("--price-file", help='JSON prices: {"MODEL": {"input": IN, "output": '
                    'OUT}, ...} (US$ per million tokens; --price wins).')
    ev.add_argument("--baseline", help="Strategy the others are tested against (paired "
                    "McNemar test, cost ratio); default: the first in --strategies.")

    di = sub.add_parser("distill", help="Distil a small local decomposer from a teacher.")
    di.add_argument("--recipe", help="Run a recipe file (recipes/decomposer.json makes the "
                    "shipped decomposer): several data sources, LoRA adapter for llama.cpp.")
    di.add_argument("--ship", action="store_true", help="With --recipe: install the adapter, "
                    "its manifest and model card in the package (langgraph_decomp/weights).")
    di.add_argument("--teacher-override", help="With --recipe: ask this model instead of "
                    "every model teacher of the recipe (a smoke test).")
    di.add_argument("--eval-limit", type=int, help="With --recipe: at most N questions per "
                    "evaluation set.")
    di.add_argument("--distilled-only", action="store_true", help="With --recipe: score "
                    "only the distilled decomposer (bench/plan_quality.py prints the base rows "
                    "beside it).")
    di.add_argument("--data", help="JSONL path or hub id (openai/gsm8k); not with --recipe.")
    di.add_argument("--teacher", default="dataset",
                    help="'dataset' (the data's own sub-questions) or a model string.")
    di.add_argument("--student", default="local:smollm2",
                    help="Student: local:smollm2, hf:<hub id | dir | file.gguf>.")
    di.add_argument("--out", default="runs/distill", help="Output directory (resumable).")
    di.add_argument("--limit", type=int, help="Use a fixed-seed sample of this many rows.")
    di.add_argument("--holdout", type=int, default=200, help="Held-out questions for scoring.")
    di.add_argument("--seed", type=int, default=0)
    di.add_argument("--prompts", help="Prompts JSON file the teacher is asked and the student "
                    "trained with (default: the graph's); saved beside the student.")
    di.add_argument("--base-url", help="OpenAI-compatible endpoint for a teacher model.")
    di.add_argument("--api-key", help="Key for --base-url (prefer OPENAI_API_KEY).")
    di.add_argument("--min-steps", type=int, default=1)
    di.add_argument("--max-steps-plan", type=int,
                    help="Drop longer plans (default: the prompt's cap, 5).")
    di.add_argument("--full", action="store_true", help="Full fine-tune instead of LoRA.")
    di.add_argument("--epochs", type=float, help="Training epochs (default 1).")
    di.add_argument("--train-steps", type=int, default=-1, help="Stop after N steps.")
    di.add_argument("--lr", type=float, help="Learning rate (default 5e-4).")
    di.add_argument("--batch-size", type=int, help="Rows per training step (default 8).")
    di.add_argument("--max-length", type=int, help="Training tokens per row (default 384).")
    di.add_argument("--no-eval", dest="evaluate", action="store_false")
    di.add_argument("--eval-batch-size", type=int, default=16)
    di.add_argument("--eval-max-tokens", type=int, default=160)
    di.add_argument("--eval-backend", choices=("llamacpp", "transformers"), default="llamacpp",
                    help="Score GGUF students with llama.cpp (default) or transformers.")
    di.add_argument("--retrain", action="store_true",
                    help="Train again even if OUT/student already holds a trained student.")
    return parser


def _context(args: argparse.Namespace) -> dict[str, Any]:
    ctx = {k: v for k, v in vars(args).items() if k in CONTEXT_FIELDS and v is not None}
    if args.max_tokens:
        for role in ("decomposer", "solver", "verifier"):
            ctx[f"{role}_max_tokens"] = args.max_tokens
    return ctx


def _usage_table(usage: dict[str, dict[str, int]]) -> Table:
    table = Table(title="Tokens per role")
    for column in ("role", "calls", "input", "output"):
        table.add_column(column, justify="left" if column == "role" else "right")
    for role, u in usage.items():
        table.add_row(role, str(u["calls"]), str(u["input_tokens"]), str(u["output_tokens"]))
    return table


def _graph(args: argparse.Namespace) -> Any:
    """The default graph, or one built with ``--prompts``."""
    if not getattr(args, "prompts", None):
        from langgraph_decomp import graph

        return graph
    from langgraph_decomp import Prompts, build_graph

    return build_graph(prompts=Prompts.from_file(args.prompts))


def _run_solve(args: argparse.Namespace, console: Console) -> dict[str, Any]:
    graph = _graph(args)

    inputs: dict[str, Any] = {"question": args.question}
    if args.context:
        inputs["context"] = args.context
    context = _context(args)
    if args.json:
        return graph.invoke(inputs, context=context)
    result: dict[str, Any] = {}
    with console.status("Planning…") as status:
        for mode, chunk in graph.stream(
            inputs, context=context, stream_mode=["custom", "values"]
        ):
            if mode == "values":
                result = chunk
                continue
            event = chunk.get("event")
            if event == "plan":
                if chunk["subquestions"]:
                    console.print("[bold]Sub-questions[/bold]")
                    for i, q in enumerate(chunk["subquestions"], 1):
                        console.print(f"  {i}. {q}")
                else:
                    console.print(f"[yellow]No sub-questions ({chunk['status']}): "
                                  "answering directly.[/yellow]")
                status.update("Solving…")
            elif event == "answer":
                console.print(f"[cyan]{chunk['index'] + 1}.[/cyan] {chunk['answer']}")
            elif event == "draft":
                status.update("Checking the answer…")
            elif event == "verdict" and chunk["repair"]:
                source = chunk.get("source")
                why = ("Its arithmetic is off (" + "; ".join(chunk["slips"]) + ")"
                       if source == "arithmetic"
                       else f"Its program could not be computed ({chunk['error']})"
                       if source == "program" else "The verifier rejected it")
                console.print(f"[yellow]{why}; solving again.[/yellow]")
                status.update("Repairing…")
    return result


def _print_result(result: dict[str, Any], console: Console) -> None:
    verdict = {True: "verified", False: "rejected by the verifier", None: "not verified"}
    lines = [f"[bold]{result.get('answer', '')}[/bold]"]
    if result.get("numeric_answer") is not None:
        lines.append(f"numeric: {result['numeric_answer']}")
    lines.append(f"({verdict[result.get('verified')]}, repairs: {result.get('repairs', 0)})")
    console.print(Panel("\n".join(lines), title="Answer"))
    console.print(_usage_table(result.get("usage", {})))


def _run_eval(args: argparse.Namespace, console: Console) -> int:
    import asyncio
    from pathlib import Path

    from langgraph_decomp.data import load_examples, sample_examples, split_examples
    from langgraph_decomp.eval import (
        collect_prices,
        finished_by_all,
        load_records,
        make_strategies,
        print_summary,
        run_eval,
        summarize,
        write_reports,
    )
    from langgraph_decomp.eval.checking import SpanRule
    from langgraph_decomp.eval.strategies import StrategyError

    prices = collect_prices(args.price, Path(args.price_file) if args.price_file else None)
    strategies = make_strategies(
        [s.strip() for s in args.strategies.split(",") if s.strip()],
        teacher=args.decomposer or args.solver, local=args.local, distilled=args.distilled,
    )
    names = [s.name for s in strategies]
    if args.baseline is not None and args.baseline not in names:
        raise StrategyError(f"--baseline {args.baseline!r} is not one of the strategies: "
                            f"{', '.join(names)}")
    if args.holdout:
        examples = load_examples(args.data, format=args.format, seed=args.seed,
                                 split=args.split, config=args.config)
        examples = split_examples(examples, holdout=args.holdout, seed=args.seed)[1]
        if args.limit is not None and args.limit < len(examples):
            examples = sample_examples(examples, args.limit, seed=args.seed)
    else:
        examples = load_examples(args.data, format=args.format, limit=args.limit,
                                 seed=args.seed, split=args.split, config=args.config)
    base = {k: v for k, v in vars(args).items()
            if k in CONTEXT_FIELDS and k != "decomposer" and v is not None}
    if not args.context_defaults or args.verify:
        base["verify"] = args.verify
    out_dir = Path(args.out)
    drop = args.format == "drop" or any(e.dataset == "drop" for e in examples)
    span_rule: SpanRule = "drop" if drop else "squad"
    status = 0
    if not args.report_only:
        console.print(f"{len(examples)} questions x {len(strategies)} strategies -> {out_dir}")
        if any(e.answer_type == "span" for e in examples):
            console.print(f"span answers: exact match and token F1, {span_rule.upper()} rule")
        try:
            asyncio.run(run_eval(examples, strategies, graph=_graph(args), base_context=base,
                                 out_dir=out_dir, concurrency=args.concurrency,
                                 span_rule=span_rule))
        except KeyboardInterrupt:
            console.print("interrupted: rerun the same command to resume")
            status = 130
    ids = {e.id for e in examples}
    records = finished_by_all(
        [r for r in load_records(out_dir / "results.jsonl") if r.id in ids], names
    )
    finished = len({r.id for r in records})
    if finished < len(ids):
        console.print(f"{finished} of {len(ids)} questions finished by every strategy; "
                      "the table covers those.")
    summaries = summarize(records, names, prices=prices, baseline=args.baseline)
    print_summary(summaries, console)
    if summaries:
        for kind, path in write_reports(summaries, out_dir).items():
            console.print(f"{kind}: {path}")
    return status


def _run_recipe(args: argparse.Namespace, console: Console) -> int:
    from pathlib import Path

    from langgraph_decomp.distill.recipe import load_recipe, run_recipe
    from langgraph_decomp.models.specs import WEIGHTS_DIR  # read at call time (tests move it)

    out = Path(args.out if args.out != "runs/distill" else "runs/decomposer")
    result = run_recipe(
        load_recipe(args.recipe), out_dir=out, limit=args.limit,
        train_steps=args.train_steps if args.train_steps > 0 else None,
        teacher=args.teacher_override, evaluate=args.evaluate, eval_limit=args.eval_limit,
        ship_dir=WEIGHTS_DIR if args.ship else None, retrain=args.retrain, log=console.print,
        base_rows=not args.distilled_only,
    )
    for name, by_model in result.metrics.items():
        console.print(_plan_table(f"{name}: plans on held-out questions", by_model))
    console.print(f"adapter: {result.adapter} (sha256 {result.sha256[:12]}...)  ->  "
                  f"--decomposer {result.decomposer}")
    return 0


def _plan_table(title: str, metrics: dict[str, Any]) -> Table:
    table = Table(title=title)
    for column in ("decomposer", "n", "parse rate", "count within ±1", "steps r",
                   "ROUGE-L F1", "mean steps", "hit cap", "repeats"):
        table.add_column(column, justify="left" if column == "decomposer" else "right")
    for label, m in metrics.items():
        table.add_row(label, *m.cells())
    return table


def _run_distill(args: argparse.Namespace, console: Console) -> int:
    from pathlib import Path

    from langgraph_decomp import Prompts
    from langgraph_decomp.distill import TrainConfig, run_distill
    from langgraph_decomp.prompts import DEFAULT_PROMPTS

    if args.recipe:
        return _run_recipe(args, console)
    if not args.data:
        console.print("[red]error:[/red] distill needs --data (or --recipe)")
        return 2

    teacher_context = {k: v for k, v in (("base_url", args.base_url),
                                         ("api_key", args.api_key)) if v}
    result = run_distill(
        data=args.data, teacher=args.teacher, student=args.student, out_dir=Path(args.out),
        holdout=args.holdout, limit=args.limit, seed=args.seed,
        train=TrainConfig(lora=not args.full, max_steps=args.train_steps, seed=args.seed,
                          **{k: v for k, v in (("epochs", args.epochs),
                                               ("learning_rate", args.lr),
                                               ("batch_size", args.batch_size),
                                               ("max_length", args.max_length)) if v is not None}),
        teacher_context=teacher_context, min_steps=args.min_steps,
        max_steps=args.max_steps_plan, evaluate=args.evaluate,
        eval_batch_size=args.eval_batch_size, eval_max_tokens=args.eval_max_tokens,
        eval_backend=args.eval_backend, retrain=args.retrain, log=console.print,
        prompts=Prompts.from_file(args.prompts) if args.prompts else DEFAULT_PROMPTS,
    )
    if result.metrics:
        console.print(_plan_table("Plans on held-out questions (gold: human sub-questions)",
                                  result.metrics))
    console.print(f"student: {result.student_dir}  ->  --decomposer {result.decomposer}")
    if result.fast_decomposer:
        console.print(f"llama.cpp (faster on CPU): --decomposer {result.fast_decomposer}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``langgraph-decomp`` command."""
    args = _parser().parse_args(argv)
    console = Console(stderr=getattr(args, "json", False))
    if args.command in ("eval", "distill"):
        try:
            return (_run_eval if args.command == "eval" else _run_distill)(args, console)
        except DecompError as e:
            console.print(f"[red]error:[/red] {e}")
            return 2
    try:
        result = _run_solve(args, console)
    except DecompError as e:
        console.print(f"[red]error:[/red] {e}")
        return 2
    except KeyboardInterrupt:
        return 130
    if args.json:
        keys = ("answer", "numeric_answer", "subquestions", "usage", "decomposed",
                "fallback_reason", "verified", "repairs", "stopped")
        print(json.dumps({k: result.get(k) for k in keys}, indent=2))
    else:
        _print_result(result, console)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
