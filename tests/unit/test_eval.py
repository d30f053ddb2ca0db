"""Eval harness with fakes: checking rules, strategies, resumable results, reports."""

import asyncio
import json
import re
from pathlib import Path

import pytest

from langgraph_decomp import build_graph
from langgraph_decomp.data import load_examples
from langgraph_decomp.eval import (
    finished_by_all,
    is_correct,
    load_records,
    make_strategies,
    run_eval,
    summarize,
    write_reports,
)
from langgraph_decomp.eval.harness import hosted_roles
from langgraph_decomp.eval.report import wilson_interval
from langgraph_decomp.eval.strategies import StrategyError
from tests.fakes import RuleChat

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
    assert s["one-stage"].context == {"decompose": False}
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


def test_hosted_roles_follow_the_model_strings():
    assert hosted_roles({"solver": "openai:x"}) == ["solver", "verifier"]
    assert hosted_roles({"solver": "openai:x", "decomposer": "openai:y"}) == [
        "decomposer", "solver", "verifier"
    ]
    assert hosted_roles({"solver": "hf:./m"}) == []


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
    assert summaries[0].hosted_in_per_q == 0  # fakes count as local: no hosted model string
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
