"""The benchmark scripts still run against the current library (no timing is asserted)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("script", sorted(p.name for p in BENCH.glob("*.py")))
def test_every_bench_script_imports_and_parses_its_arguments(script):
    done = subprocess.run([sys.executable, str(BENCH / script), "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


def load_parallel_bench():
    spec = importlib.util.spec_from_file_location("bench_parallel", BENCH / "parallel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("depth", "mode"), [(1, "sequential"), (1, "independent"),
                                             (2, "sequential"), (2, "inferred")])
def test_parallel_bench_sees_every_sub_answer_of_its_plans(depth, mode):
    bench = load_parallel_bench()
    k = 4
    graph = bench.build_graph(
        decomposer=bench.PlanChat(messages=iter(()), k=k, depth=depth),
        solver=bench.LatencyChat(messages=iter(()), latency=0.0),
    )
    # phase_time asserts that the plan's k sub-answers all arrived (it broke once when the
    # default scheme stopped solving sub-questions one by one).
    assert bench.phase_time(graph, mode, k) >= 0.0


def load_bench(name):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generalisation_bench_scores_strategyqa_on_its_hold_out_with_the_human_plans(tmp_path):
    bench = load_bench("generalisation")
    argv = bench.eval_argv("strategyqa", Path("data"), tmp_path, ["--limit", "5"])
    assert argv[argv.index("--holdout") + 1] == "290"
    assert argv[argv.index("--strategies") + 1].split(",") == [
        bench.COT, "two-stage:distilled", "two-stage:local", "two-stage:oracle"]
    assert argv[argv.index("--baseline") + 1] == bench.COT
    drop = bench.eval_argv("drop", Path("data"), tmp_path, [])
    assert "--holdout" not in drop and "two-stage:oracle" not in " ".join(drop)
    assert drop[drop.index("--out") + 1] == str(tmp_path / "drop")


def test_generalisation_table_reads_each_sets_summary_and_pairs_against_cot(tmp_path):
    import csv

    from langgraph_decomp.eval.report import Summary, to_csv_rows
    from langgraph_decomp.eval.stats import Paired

    bench = load_bench("generalisation")
    common = dict(errors=0, hosted_in_per_q=100, hosted_out_per_q=50, hosted_units_per_q=300,
                  hosted_by_role={}, cost_by_role={}, solver_calls_per_q=1,
                  local_tokens_per_q=0, decomposed_rate=1, mean_latency_s=1)
    cot = Summary(strategy=bench.COT, n=10, correct=6, accuracy=0.6, ci_low=0.31,
                  ci_high=0.83, f1=0.7, f1_low=0.5, f1_high=0.9, cost_per_q=0.0002,
                  is_baseline=True, **common)
    two = Summary(strategy="two-stage:distilled", n=10, correct=3, accuracy=0.3, ci_low=0.1,
                  ci_high=0.6, f1=0.4, f1_low=0.2, f1_high=0.6, cost_per_q=0.0001,
                  vs_baseline=Paired(baseline=bench.COT, n=10, b=4, c=1, p_value=0.375,
                                     accuracy_diff=-30.0), **common)
    (tmp_path / "drop").mkdir()
    with (tmp_path / "drop" / "summary.csv").open("w", newline="") as f:
        csv.writer(f).writerows(to_csv_rows([cot, two]))
    rows = bench.table(tmp_path, ["svamp", "drop"]).splitlines()[2:]  # svamp: not run
    assert len(rows) == 2
    assert rows[0].startswith("| drop | one-stage (chain of thought) | 10 | 6/10 = 60.0 % "
                              "[31.0, 83.0] | 70.0 [50.0, 90.0] | $0.0002000 | 1.00× | "
                              "baseline |")
    assert rows[1].endswith("| 3/10 = 30.0 % [10.0, 60.0] | 40.0 [20.0, 60.0] | $0.0001000 "
                            "| 0.50× | 4 / 1, p = 0.375 |")


def test_pilot_sample_never_draws_a_question_the_scored_sample_holds(tmp_path):
    import json

    from langgraph_decomp.data import load_examples, sample_examples

    data = tmp_path / "dev.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} + 1?",
                                        "answer": f"{i} + 1 = {i + 1}\n#### {i + 1}"}) + "\n"
                            for i in range(40)))
    out = tmp_path / "pilot.jsonl"
    subprocess.run([sys.executable, str(BENCH / "pilot_sample.py"), "--data", str(data),
                    "--n", "10", "--avoid", "25", "--out", str(out)], check=True, timeout=60)
    scored = {e.id for e in sample_examples(load_examples(str(data)), 25, seed=0)}
    pilot = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(set(pilot)) == 10 and not scored & set(pilot)
    # A second pilot leaves out the first one's questions as well.
    second = tmp_path / "pilot2.jsonl"
    subprocess.run([sys.executable, str(BENCH / "pilot_sample.py"), "--data", str(data),
                    "--n", "5", "--seed", "7", "--avoid", "25", "--exclude", str(out),
                    "--out", str(second)], check=True, timeout=60)
    again = {json.loads(line)["id"] for line in second.read_text().splitlines()}
    assert len(again) == 5 and not again & (scored | set(pilot))


def test_stripped_results_keep_the_table_and_lose_the_data_sets_text(tmp_path):
    from langgraph_decomp.eval import Record, load_records, summarize

    usage = {"solver": {"input_tokens": 90, "output_tokens": 12, "calls": 1,
                        "model": "openai:s", "hosted": True}}
    records = [
        Record(id=f"q{i}", strategy=name, question=f"Which river flows through town {i}?",
               gold=f"River {i}", prediction=f"River {i + ok}", correct=not ok,
               f1=0.5 if ok else 1.0, subquestions=[f"Where is town {i}?"], n_subquestions=1,
               usage=usage, hosted_roles=["solver"], models={"solver": "openai:s"},
               error="ModelCallError: cut" if (i, ok) == (2, 1) else None)
        for i in range(4) for ok, name in enumerate(["one-stage", "two-stage"])
    ]
    results, out = tmp_path / "results.jsonl", tmp_path / "kept" / "records.jsonl"
    results.write_text("".join(r.model_dump_json() + "\n" for r in records))
    subprocess.run([sys.executable, str(BENCH / "strip_results.py"), str(results), str(out)],
                   check=True, timeout=60)
    text = out.read_text()
    assert "town" not in text and "River" not in text
    kept = load_records(out)
    assert [(r.id, r.strategy, r.correct, r.f1, r.error) for r in kept] == [
        (r.id, r.strategy, r.correct, r.f1, r.error) for r in records]
    assert [s.model_dump() for s in summarize(kept)] == [
        s.model_dump() for s in summarize(load_records(results))]


def test_cascade_answers_with_the_fallback_only_where_a_signal_fires_and_bills_both():
    from langgraph_decomp.eval import Record

    bench = load_bench("cascade")

    def rec(qid, strategy, prediction, correct, tokens, *, repairs=0, steps=0):
        return Record(id=qid, strategy=strategy, question="Tom has 3 apples and 5 pears.",
                      gold="8", prediction=prediction, numeric_prediction=prediction,
                      correct=correct, repairs=repairs, n_subquestions=steps,
                      usage={"solver": {"input_tokens": tokens, "output_tokens": tokens,
                                        "calls": 1, "hosted": True}},
                      hosted_roles=["solver"])

    records = [
        rec("calm", "first", "8", True, 10, steps=2),       # no signal: first's answer
        rec("calm", "cot", "9", False, 100),
        rec("slip", "first", "2.5", False, 10, steps=2),    # fraction fires: cascade
        rec("slip", "cot", "8", True, 100),
        rec("echo", "first", "5", False, 10, steps=2),      # echoes the question's 5
        rec("echo", "cot", "8", True, 100),
        rec("long", "first", "8", True, 10, steps=4),       # routed by its plan: cot alone
        rec("long", "cot", "7", False, 100),
        rec("lost", "first", "unknown", False, 10, repairs=1),  # first only: not compared
    ]
    rows = {r.id: r for r in bench.cascade_rows(records, "first", "cot", "first",
                                                 [["fraction", "plan>=3"]])}
    assert set(rows) == {"calm", "slip", "echo", "long"}
    assert {r.strategy for r in rows.values()} == {"first -> cot if fraction, plan>=3"}
    assert (rows["calm"].prediction, rows["calm"].usage["solver"]["calls"]) == ("8", 1)
    assert (rows["slip"].prediction, rows["slip"].correct) == ("8", True)
    assert rows["slip"].usage["solver"] == {"input_tokens": 110, "output_tokens": 110,
                                            "calls": 2, "hosted": True}
    assert rows["echo"].prediction == "5"  # 'echo' is not in this signal set
    assert (rows["long"].prediction, rows["long"].usage["solver"]["calls"]) == ("7", 1)
    echo = bench.cascade_rows(records, "first", "cot", "first", [["echo", "unknown"]])
    assert [r.prediction for r in echo] == ["8", "2.5", "8", "8"]


def test_steps_baseline_counts_stated_numbers_and_scores_a_fitted_line_per_fold():
    bench = load_bench("steps_baseline")
    assert bench.numbers_stated("Tom has 3 apples, buys twice as many and 2.5 kg of pears.") == 3
    exact = [(x, x + 1) for x in range(1, 6)] * 4  # steps = numbers + 1, learnable
    assert bench.within_1((1.0, 1.0), exact) == len(exact)
    assert bench.cross_validated(exact) == 1.0
    # Steps unrelated to the numbers: no line beats the data's own spread.
    noise = [(x, (7 * x) % 5 * 3) for x in range(40)]
    assert bench.cross_validated(noise) < 0.6


def test_cascade_names_the_known_signals_when_given_an_unknown_one():
    bench = load_bench("cascade")
    assert bench.check_signal("plan>=3") == "plan>=3"
    for wrong in ("plan>=x", "fractions"):
        with pytest.raises(SystemExit, match="known: unknown, repair"):
            bench.check_signal(wrong)
