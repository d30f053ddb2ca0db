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
