"""Eval harness with fakes: checking rules, strategies, resumable results, reports."""

import asyncio
import csv
import json
import re
from pathlib import Path

import pytest

from langgraph_decomp import build_graph
from langgraph_decomp.data import Example, load_examples
from langgraph_decomp.eval import (
    Price,
    Record,
    conclusion,
    finished_by_all,
    is_correct,
    load_records,
    make_strategies,
    run_eval,
    summarize,
    write_reports,
)
from langgraph_decomp.eval.harness import SpentUsage, from_usage, run_roles
from langgraph_decomp.eval.report import to_markdown, wilson_interval
from langgraph_decomp.eval.strategies import StrategyError
from tests.fakes import FinishChat, RuleChat

FIXTURE = Path(__file__).parents[1] / "fixtures" / "socratic_3q.jsonl"
GOLD = {"Tom has 3 apples": "8", "A pen costs $2": "10", "1,200 stickers": "300"}


@pytest.mark.parametrize(
    ("prediction", "gold", "ok"),
    [
        ("Final answer: 18", "18", True),
        ("Final answer: $18.00", "18", True),          # currency and trailing zeros
        ("Final answer: 1,234", "1234", True),          # thousands separator
        ("Final answer: 18 apples", "18", True),        # units
        ("Final answer: 18.0", "18", True),             # trailing .0
        ("Final answer: 3/4", "0.75", True),            # fractions via math-verify
        ("Final answer: \\boxed{18}", "18", True),      # LaTeX via math-verify
        ("3 + 5 = 8. Then 8 * 2 = 16.\nFinal answer: 16", "16", True),
        ("Final answer: 17", "18", False),
        ("Final answer: 180", "18", False),
        ("", "18", False),
        ("I don't know", "18", False),
    ],
)
def test_answer_checking_rules(prediction, gold, ok):
    assert is_correct(prediction, gold) is ok


def test_wilson_interval():
    low, high = wilson_interval(50, 100)
    assert round(low, 3) == 0.404 and round(high, 3) == 0.596
    assert wilson_interval(0, 0) == (0.0, 0.0)
    assert wilson_interval(10, 10)[1] == 1.0


def test_strategies_are_configurations_of_one_graph():
    s = {x.name: x for x in make_strategies(
        ["one-stage", "two-stage", "two-stage:local", "two-stage:distilled", "two-stage:oracle"],
        teacher="openai:big", distilled="hf:./student",
    )}
    # Chain of thought whatever the default scheme; its program form is an override.
    assert s["one-stage"].context == {"decompose": False, "solve_scheme": "scaffold"}
    (program,) = make_strategies(["one-stage+solve_scheme=program"])
    assert program.context == {"decompose": False, "solve_scheme": "program"}
    assert s["two-stage:teacher"].context == {"decomposer": "openai:big"}
    assert s["two-stage:local"].context == {"decomposer": "local:smollm2"}
    assert s["two-stage:distilled"].context == {"decomposer": "hf:./student"}
    assert s["two-stage:oracle"].oracle_plan
    with pytest.raises(StrategyError, match="distilled"):
        make_strategies(["two-stage:distilled"])
    with pytest.raises(StrategyError, match="Unknown strategy"):
        make_strategies(["three-stage"])


def test_strategy_overrides_are_typed_context_fields():
    (s,) = make_strategies(["two-stage:oracle+solve_scheme=paper+max_subquestions=3+verify=off"])
    assert s.name == "two-stage:oracle+solve_scheme=paper+max_subquestions=3+verify=off"
    assert s.oracle_plan
    assert s.context == {"solve_scheme": "paper", "max_subquestions": 3, "verify": False}
    (t,) = make_strategies(["two-stage+temperature=0.5"], teacher="openai:big")
    assert t.context == {"decomposer": "openai:big", "temperature": 0.5}
    with pytest.raises(StrategyError, match="Bad override"):
        make_strategies(["one-stage+api_key=x"])  # not a tunable knob
    with pytest.raises(StrategyError, match="Bad override"):
        make_strategies(["one-stage+solve_scheme"])
    with pytest.raises(StrategyError, match="int"):
        make_strategies(["one-stage+max_subquestions=many"])
    with pytest.raises(StrategyError, match="solve_scheme"):
        make_strategies(["one-stage+solve_scheme=magic"])
    # Fields that default to None take a value of their type, or none.
    (u,) = make_strategies(["two-stage:distilled+decomposer_repeat_penalty=1.05+max_calls=none"],
                           distilled="local:decomposer")
    assert u.context == {"decomposer": "local:decomposer", "decomposer_repeat_penalty": 1.05,
                         "max_calls": None}
    with pytest.raises(StrategyError, match="decomposer_repeat_penalty"):
        make_strategies(["one-stage+decomposer_repeat_penalty=0"])
    with pytest.raises(StrategyError, match="float"):
        make_strategies(["one-stage+deadline_s=soon"])


def test_hosted_roles_of_a_graph_that_is_not_ours_follow_the_model_strings():
    other = object()  # no `decomp_models`: read from the context's strings
    assert run_roles(other, {"solver": "openai:x"})[1] == ["solver", "verifier"]
    assert run_roles(other, {"solver": "openai:x", "decomposer": "openai:y"})[1] == [
        "decomposer", "solver", "verifier"
    ]
    assert run_roles(other, {"solver": "hf:./m"})[1] == []


def test_the_runs_usage_says_which_roles_were_hosted_over_the_guess_before_it():
    labels = {"decomposer": "local:decomposer", "solver": "llamacpp:smollm2",
              "verifier": "llamacpp:smollm2"}
    usage = {"decomposer": {"input_tokens": 9, "output_tokens": 3, "calls": 1,
                            "model": "local:decomposer", "hosted": False},
             "solver": {"input_tokens": 40, "output_tokens": 10, "calls": 1,
                        "model": "ChatOpenAI:gpt-4o-mini", "hosted": True}}
    models, hosted = from_usage(usage, labels, [])
    assert hosted == ["solver"] and models["solver"] == "ChatOpenAI:gpt-4o-mini"
    # A role the run never called keeps the guess; an old record without flags keeps it too.
    assert from_usage({"solver": {"input_tokens": 1, "output_tokens": 1, "calls": 1}},
                      labels, ["verifier"]) == (labels, ["verifier"])


def oracle_solver():
    def rule(prompt: str) -> str:
        gold = next(v for k, v in GOLD.items() if k in prompt)
        return f"Final answer: {gold}" if "Answer the problem" in prompt else "Answer: 1"

    return RuleChat.by(rule)


async def test_run_eval_records_resumes_and_reports(tmp_path):
    examples = load_examples(str(FIXTURE))
    solver = oracle_solver()
    graph = build_graph(decomposer=RuleChat.by(lambda p: "No decomposition"), solver=solver)
    strategies = make_strategies(["one-stage", "two-stage:oracle+solve_scheme=stepwise"])
    new = await run_eval(examples, strategies, graph=graph, base_context={"verify": False},
                         out_dir=tmp_path, show_progress=False)
    assert len(new) == 6 and all(r.correct and r.error is None for r in new)
    # Example-major: every strategy on a question before the next question.
    assert [r.id for r in new][:2] == [examples[0].id] * 2
    oracle = [r for r in new if r.strategy == "two-stage:oracle+solve_scheme=stepwise"]
    assert [r.n_subquestions for r in oracle] == [1, 2, 1]
    assert [len(r.subquestions) for r in oracle] == [1, 2, 1]
    assert [r.subquestions for r in oracle] == [e.subquestions for e in examples]
    one_stage = [r for r in new if r.strategy == "one-stage"]
    assert {(r.fallback_reason, tuple(r.subquestions)) for r in one_stage} == {("skipped", ())}
    assert all(r.repairs == 0 for r in new)
    calls = len(solver.prompts)
    assert calls == 3 + (2 + 3 + 2)  # one-stage: 1 call each; stepwise oracle: steps + final

    # A rerun skips finished pairs: no new model calls.
    again = await run_eval(examples, strategies, graph=graph, base_context={"verify": False},
                           out_dir=tmp_path, show_progress=False)
    assert again == [] and len(solver.prompts) == calls

    summaries = summarize(load_records(tmp_path / "results.jsonl"), [s.name for s in strategies])
    assert [(s.strategy, s.correct, s.n) for s in summaries] == [
        ("one-stage", 3, 3), ("two-stage:oracle+solve_scheme=stepwise", 3, 3)
    ]
    # A ready chat model that does not say it runs in process is hosted, as the budget
    # counts it: the records read that from the run's usage.
    assert summaries[0].hosted_in_per_q > 0
    assert all("solver" in r.hosted_roles and r.models["solver"] == "RuleChat" for r in new)
    paths = write_reports(summaries, tmp_path)
    assert "two-stage:oracle" in paths["markdown"].read_text()
    assert paths["plot"].stat().st_size > 0
    assert paths["csv"].read_text().startswith("strategy,n,correct")


async def test_a_failing_example_is_recorded_and_retried_on_rerun(tmp_path):
    examples = load_examples(str(FIXTURE))
    broken = {"on": True}

    def rule(prompt: str) -> str:
        if broken["on"] and "stickers" in prompt:
            raise RuntimeError("solver exploded")
        return "Final answer: " + next(v for k, v in GOLD.items() if k in prompt)

    graph = build_graph(decomposer=RuleChat.by(lambda p: ""), solver=RuleChat.by(rule))
    strategies = make_strategies(["one-stage"])
    first = await run_eval(examples, strategies, graph=graph, base_context={"verify": False},
                           out_dir=tmp_path, show_progress=False)
    errors = [r for r in first if r.error]
    assert len(first) == 3 and len(errors) == 1
    assert re.search("solver exploded", errors[0].error)
    broken["on"] = False
    second = await run_eval(examples, strategies, graph=graph, base_context={"verify": False},
                            out_dir=tmp_path, show_progress=False)
    assert [r.id for r in second] == ["fx-3"] and second[0].correct
    lines = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert len(lines) == 4
    summary = summarize(load_records(tmp_path / "results.jsonl"))[0]
    assert summary.correct == 3 and summary.errors == 0


async def test_a_reply_cut_at_its_cap_is_counted_wrong_and_still_billed(tmp_path):
    # A reply cut at its token cap fails the run, which returns no state: the record keeps
    # what the run's calls spent (the plan's call and the cut reply's tokens), so the table
    # prices it rather than counting it free.
    examples = load_examples(str(FIXTURE))[:1]
    plan = "1. How many apples does Tom buy?\n2. How many apples does Tom have in all?"
    graph = build_graph(decomposer=RuleChat.by(lambda p: plan),
                        solver=FinishChat(messages=iter(())))
    strategies = make_strategies(["one-stage", "two-stage"])
    records = await run_eval(examples, strategies, graph=graph, base_context={"verify": False},
                             out_dir=tmp_path, show_progress=False)
    one, two = records
    assert all(r.error and "token cap" in r.error and not r.correct for r in records)
    assert {k: one.usage["solver"][k] for k in ("input_tokens", "output_tokens", "calls")} == {
        "input_tokens": 12, "output_tokens": 7, "calls": 1}
    assert one.usage["solver"]["model"] == one.models["solver"] == "FinishChat"
    assert "decomposer" not in one.usage
    assert two.usage["decomposer"]["calls"] == 1 and two.usage["decomposer"]["input_tokens"] > 0
    assert two.usage["decomposer"]["output_tokens"] == len(plan.split())
    assert two.usage["solver"]["output_tokens"] == 7
    assert one.hosted_tokens == (12, 7)
    summaries = summarize(load_records(tmp_path / "results.jsonl"), [s.name for s in strategies],
                          prices={"FinishChat": Price(input=1.0, output=4.0),
                                  "RuleChat": Price(input=1.0, output=4.0)})
    assert [(s.errors, s.correct, s.hosted_out_per_q) for s in summaries][0] == (1, 0, 7)
    assert summaries[0].cost_per_q == pytest.approx((12 * 1.0 + 7 * 4.0) / 1e6)
    assert summaries[0].solver_calls_per_q == 1


def test_spent_usage_counts_a_finished_run_as_the_graphs_own_usage():
    # The same basis for records that failed and records that finished.
    plan = "1. How many apples does Tom buy?\n2. How many apples does Tom have in all?"
    graph = build_graph(decomposer=RuleChat.by(lambda p: plan), solver=oracle_solver())
    spent = SpentUsage()
    out = graph.invoke({"question": load_examples(str(FIXTURE))[0].question},
                       context={"verify": False, "solve_scheme": "stepwise"},
                       config={"callbacks": [spent]})
    keys = ("input_tokens", "output_tokens", "calls", "model")
    assert out["usage"]["solver"]["calls"] == 3
    assert {role: {k: u[k] for k in keys} for role, u in spent.usage.items()} == {
        role: {k: u[k] for k in keys} for role, u in out["usage"].items()}


STOPPED_NAMES = ["one-stage", "two-stage:oracle+solve_scheme=stepwise"]


def _stopped_run(out_dir: Path) -> Path:
    """Both strategies on the 3-question fixture, stopped inside the last question."""
    graph = build_graph(decomposer=RuleChat.by(lambda p: "No decomposition"),
                        solver=oracle_solver())
    asyncio.run(run_eval(load_examples(str(FIXTURE)), make_strategies(STOPPED_NAMES),
                         graph=graph, base_context={"verify": False}, out_dir=out_dir,
                         show_progress=False))
    results = out_dir / "results.jsonl"
    lines = results.read_text().splitlines()
    results.write_text("\n".join(lines[:-1]) + "\n")
    return results


def _eval_cli(out_dir: Path, *extra: str) -> int:
    from langgraph_decomp.cli import main

    return main(["eval", "--data", str(FIXTURE), "--strategies", ",".join(STOPPED_NAMES),
                 "--solver", "openai:never-called", "--out", str(out_dir), *extra])


def _table_counts(out_dir: Path) -> list[list[str]]:
    rows = (out_dir / "summary.csv").read_text().splitlines()[1:]
    return [row.split(",")[:3] for row in rows]


def test_a_stopped_run_reports_only_questions_every_strategy_finished(tmp_path):
    results = _stopped_run(tmp_path)

    assert {r.id for r in finished_by_all(load_records(results), STOPPED_NAMES)} == {"fx-1", "fx-2"}
    assert _eval_cli(tmp_path, "--report-only") == 0
    assert _table_counts(tmp_path) == [[n, "2", "2"] for n in STOPPED_NAMES]


def test_ctrl_c_during_eval_exits_130_and_still_writes_the_table(tmp_path, monkeypatch):
    import langgraph_decomp.eval as eval_pkg

    _stopped_run(tmp_path)

    async def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(eval_pkg, "run_eval", interrupted)
    assert _eval_cli(tmp_path) == 130
    assert _table_counts(tmp_path) == [[n, "2", "2"] for n in STOPPED_NAMES]


def _synthetic(strategy: str, right: str, solver_tokens: tuple[int, int]) -> list[Record]:
    """Questions q0, q1, ... right where ``right`` has a 1; a priced hosted solver."""
    n_in, n_out = solver_tokens
    return [
        Record(id=f"q{i}", strategy=strategy, question="?", gold="1", correct=bit == "1",
               usage={"solver": {"calls": 1, "input_tokens": n_in, "output_tokens": n_out}},
               hosted_roles=["solver", "verifier"],
               models={"decomposer": "local:smollm2", "solver": "openai:s",
                       "verifier": "openai:s"})
        for i, bit in enumerate(right)
    ]


SYNTHETIC = (
    _synthetic("A", "11111111110000000000", (100, 50))
    + _synthetic("B", "01111111111111111110", (200, 100))  # b = 1, c = 9
    + _synthetic("C", "00111111111100000000", (50, 25))  # b = 2, c = 2
    + _synthetic("D", "00011111111000000000", (100, 50))  # b = 3, c = 1
)


def test_conclusion_sentence_for_a_synthetic_case():
    summaries = summarize(SYNTHETIC, prices={"openai:s": Price(input=1, output=2)})
    assert conclusion(summaries) == (
        "Against A (n = 20): "
        "B is significantly higher (p < 0.05), by 40.0 points (1 vs 9 discordant, exact "
        "McNemar p = 0.021), at 2.00× its $ per question; "
        "C has the same accuracy (2 vs 2 discordant, exact McNemar p = 1), at 0.50× its $ per "
        "question; "
        "D is 10.0 points lower, not significantly different (3 vs 1 discordant, exact "
        "McNemar p = 0.62), at 1.00× its $ per question."
    )
    # Unpriced: the cost ratio is in hosted units (input + 4 × output).
    unpriced = summarize(SYNTHETIC)
    assert unpriced[1].cost_ratio == pytest.approx((200 + 4 * 100) / (100 + 4 * 50))
    assert "at 2.00× its hosted units per question" in conclusion(unpriced)
    assert conclusion(summarize(_synthetic("A", "10", (1, 1)))) is None


def test_the_table_has_cost_calls_and_paired_columns(tmp_path):
    summaries = summarize(SYNTHETIC, prices={"openai:s": Price(input=1, output=2)})
    md = to_markdown(summaries)
    header, _, base_row, b_row = md.splitlines()[:4]
    cells = dict(zip(header.split(" | "), b_row.split(" | "), strict=True))
    assert cells["$/q"] == "$0.000400" and cells["hosted units/q"] == "600"
    assert cells["hosted in/out per q"] == "200 / 100" and cells["solver calls/q"] == "1.00"
    assert cells["b / c vs baseline"] == "1 / 9" and cells["McNemar p"] == "0.021"
    assert cells["Δ points"] == "+40.0" and cells["cost × baseline ($)"] == "2.00×"
    assert "| baseline |" in base_row
    assert md.rstrip().endswith("at 1.00× its $ per question.")

    paths = write_reports(summaries, tmp_path)
    assert paths["plot"].name == "accuracy_vs_cost.png" and paths["plot"].stat().st_size
    assert (tmp_path / "accuracy_vs_hosted_tokens.png").stat().st_size
    rows = list(csv.DictReader(paths["csv"].open()))
    assert rows[0]["baseline"] == "" and rows[0]["is_baseline"] == "True"
    assert rows[1]["baseline"] == "A" and (rows[1]["b"], rows[1]["c"]) == ("1", "9")
    assert float(rows[1]["mcnemar_p"]) == 0.021484375
    assert float(rows[1]["cost_per_q"]) == pytest.approx(0.0004)
    assert float(rows[1]["cost_ratio"]) == pytest.approx(2.0) and rows[1]["cost_basis"] == "$"
    assert rows[1]["cost_decomposer_per_q"] == "0.0"


def test_span_answers_get_f1_with_a_bootstrap_interval(tmp_path):
    examples = [
        Example(id="s1", question="Who is the mayor?", gold="Tom Ames", answer_type="span",
                golds=["Tom Ames"], context="Mayor Tom Ames spoke."),
        Example(id="s2", question="Is he the mayor?", gold="yes", answer_type="yes_no"),
    ]
    replies = {"Who is": "Final answer: Mayor Tom Ames", "Is he": "Final answer: Yes."}
    graph = build_graph(decomposer=RuleChat.by(lambda p: ""), solver=RuleChat.by(
        lambda p: next(v for k, v in replies.items() if k in p)))
    new = await_run(run_eval(examples, make_strategies(["one-stage"]), graph=graph,
                             base_context={"verify": False}, out_dir=tmp_path,
                             show_progress=False))
    by_id = {r.id: r for r in new}
    assert by_id["s1"].correct is False and by_id["s1"].f1 == pytest.approx(0.8)
    assert by_id["s2"].correct is True and by_id["s2"].f1 is None
    # Ready chat models are labelled by their class (and model name, where they have one).
    assert by_id["s1"].models == {"decomposer": "RuleChat", "solver": "RuleChat",
                                  "verifier": "RuleChat"}
    (s,) = summarize(load_records(tmp_path / "results.jsonl"))
    assert s.f1 == pytest.approx(0.9)  # the yes/no answer counts 1 (right)
    assert s.f1_low <= s.f1 <= s.f1_high
    md = to_markdown([s])
    assert "exact match (95% CI)" in md and "| 0.900 [" in md


def await_run(coro):
    return asyncio.run(coro)


OLD_LINE = {  # a results.jsonl line written before records kept models and F1
    "id": "fx-1", "strategy": "one-stage", "question": "?", "gold": "8",
    "prediction": "Final answer: 8", "numeric_prediction": "8", "correct": True,
    "decomposed": False, "n_subquestions": 0,
    "usage": {"solver": {"calls": 1, "input_tokens": 100, "output_tokens": 20}},
    "hosted_roles": ["solver", "verifier"], "wall_s": 1.0, "error": None,
}


def test_results_from_before_models_and_f1_still_load_and_summarize(tmp_path):
    lines = [{**OLD_LINE, "id": i, "strategy": s, "correct": s == "one-stage" or i != "fx-2"}
             for i in ("fx-1", "fx-2", "fx-3") for s in STOPPED_NAMES]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    records = load_records(tmp_path / "results.jsonl")
    assert len(records) == 6 and records[0].models == {} and records[0].f1 is None
    base, other = summarize(records, STOPPED_NAMES, prices={"openai:x": Price(input=1, output=1)})
    assert base.cost_per_q is None  # which hosted model served is unknown: no $
    assert base.hosted_units_per_q == 100 + 4 * 20 and base.solver_calls_per_q == 1
    assert (other.vs_baseline.b, other.vs_baseline.c) == (1, 0)
    assert _eval_cli(tmp_path, "--report-only", "--price", "openai:never-called=1/2") == 0
    assert _table_counts(tmp_path) == [[STOPPED_NAMES[0], "3", "3"], [STOPPED_NAMES[1], "3", "2"]]
    md = (tmp_path / "summary.md").read_text()
    assert "1 vs 0 discordant" in md and "its hosted units per question" in md


def _priced_results(out_dir: Path) -> None:
    """Both strategies on the fixture's questions, the solver openai:never-called."""
    lines = [{**OLD_LINE, "id": i, "strategy": s, "correct": s == "one-stage",
              "models": {"decomposer": "local:smollm2", "solver": "openai:never-called",
                         "verifier": "openai:never-called"}}
             for i in ("fx-1", "fx-2", "fx-3") for s in STOPPED_NAMES]
    (out_dir / "results.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_report_only_prices_the_records(tmp_path, capsys):
    _priced_results(tmp_path)
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"openai:never-called": {"input": 1.0, "output": 2.0}}))
    assert _eval_cli(tmp_path, "--report-only", "--price-file", str(prices)) == 0
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [float(r["cost_per_q"]) for r in rows] == [pytest.approx(140e-6)] * 2
    assert rows[1]["cost_basis"] == "$" and float(rows[1]["cost_ratio"]) == 1.0
    out = capsys.readouterr().out
    assert "Against one-stage (n = 3): two-stage:oracle+solve_scheme=stepwise is significantly" \
        not in out  # 3 vs 0 discordant: p = 0.25
    assert "3 vs 0 discordant, exact McNemar p = 0.25" in " ".join(out.split())

    # --baseline picks the other strategy.
    assert _eval_cli(tmp_path, "--report-only", "--baseline", STOPPED_NAMES[1]) == 0
    assert (tmp_path / "summary.md").read_text().splitlines()[-1].startswith(
        f"Against {STOPPED_NAMES[1]} (n = 3): one-stage is 100.0 points higher")


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--price", "openai:x=cheap"], "Bad --price"),
     (["--price", "openai:x"], "MODEL=IN/OUT"),
     (["--price-file", "missing.json"], "Cannot read the price file"),
     (["--baseline", "two-stage:local"], "--baseline"),
     ],
)
def test_eval_cli_rejects_bad_prices_and_baselines(tmp_path, capsys, flags, message):
    _priced_results(tmp_path)
    assert _eval_cli(tmp_path, "--report-only", *flags) == 2
    out = capsys.readouterr()
    assert message in " ".join(out.out.split()) and "Traceback" not in out.out + out.err
    assert not (tmp_path / "summary.md").exists()


def test_p_values_read_the_same_side_of_005_as_they_are():
    from langgraph_decomp.eval.report import _p

    assert [_p(x) for x in (0.021484375, 0.0496, 1.0, 0.0004)] == [
        "= 0.021", "= 0.0496", "= 1", "< 0.001"]


def test_eval_reads_each_roles_model_from_the_graphs_defaults_and_the_run():
    from langgraph_decomp.eval.harness import run_roles

    graph = build_graph(decomposer="local:smollm2", solver="openai:gpt-4o-mini")
    assert run_roles(graph, {}) == (
        {"decomposer": "local:smollm2", "solver": "openai:gpt-4o-mini",
         "verifier": "openai:gpt-4o-mini"}, ["solver", "verifier"])
    # The run's context still wins over the graph's defaults.
    labels, hosted = run_roles(graph, {"solver": "hf:./m", "decomposer": "openai:t"})
    assert labels["solver"] == "hf:./m" and hosted == ["decomposer"]


def test_eval_cli_runs_the_graph_with_the_given_prompts(tmp_path, monkeypatch):
    import langgraph_decomp.eval as eval_pkg
    from langgraph_decomp import Prompts

    custom = Prompts(name="cli", guided_system="ONE LINE EACH.")
    path = custom.to_file(tmp_path / "prompts.json")
    seen = {}

    async def capture(*args, graph, **kwargs):
        seen["prompts"] = graph.decomp_prompts
        return []

    monkeypatch.setattr(eval_pkg, "run_eval", capture)
    assert _eval_cli(tmp_path / "out", "--prompts", str(path)) == 0
    assert seen["prompts"] == custom


async def test_a_record_keeps_the_repairs_its_run_spent(tmp_path):
    """A program that fails to compute is repaired once; the record says so, so a table's
    losses can be traced to their runs."""
    examples = load_examples(str(FIXTURE))[:1]

    def rule(prompt: str) -> str:
        return "answer = 3 + 5" if "could not be computed" in prompt else "It is eight."

    graph = build_graph(decomposer=RuleChat.by(lambda p: "No decomposition"),
                        solver=RuleChat.by(rule))
    [record] = await run_eval(examples, make_strategies(["one-stage+solve_scheme=program"]),
                              graph=graph, base_context={"verify": False}, out_dir=tmp_path,
                              show_progress=False)
    assert record.correct and record.repairs == 1
    assert load_records(tmp_path / "results.jsonl")[0].repairs == 1


def test_eval_cli_passes_the_request_timeout_to_every_run(tmp_path, monkeypatch):
    import langgraph_decomp.eval as eval_pkg

    seen = {}

    async def capture(*args, base_context, **kwargs):
        seen.update(base_context)
        return []

    monkeypatch.setattr(eval_pkg, "run_eval", capture)
    assert _eval_cli(tmp_path / "out", "--request-timeout", "900") == 0
    assert seen["request_timeout"] == 900.0
    seen.clear()
    assert _eval_cli(tmp_path / "out2") == 0
    assert "request_timeout" not in seen  # the Context default


def test_the_plot_leaves_room_right_of_the_costliest_marker(tmp_path, monkeypatch):
    """Autoscaling pads by a share of the spread between markers: the costliest must not sit
    on the axis edge."""
    import matplotlib.pyplot as plt

    from langgraph_decomp.eval.report import plot

    kept = []
    monkeypatch.setattr(plt, "close", kept.append)
    summaries = summarize(SYNTHETIC, prices={"openai:s": Price(input=1, output=2)})
    plot(summaries, tmp_path / "p.png")
    costs = [s.cost_per_q for s in summaries]
    left, right = kept[0].axes[0].get_xlim()
    assert left == 0 and right >= 1.09 * max(costs)
    monkeypatch.undo()
    plt.close(kept[0])


@pytest.mark.parametrize("priced", [True, False])
def test_a_baseline_after_other_rows_prices_every_row_against_it(priced):
    """The cost ratio of a row listed before the baseline is read in the same basis ($ or
    hosted units) as the baseline's cost, not against a basis not yet set."""
    prices = {"openai:s": Price(input=1, output=2)} if priced else None
    summaries = summarize(SYNTHETIC, ["A", "B", "C", "D"], prices=prices, baseline="B")
    ratios = {s.strategy: s.cost_ratio for s in summaries}
    # A spends (100, 50) a question against B's (200, 100): half, in $ and in units alike.
    assert ratios == {"A": pytest.approx(0.5), "B": None, "C": pytest.approx(0.25),
                      "D": pytest.approx(0.5)}
