"""Throughput of 1, 2 and 4 worker processes over one PostgreSQL database, side by side.

Each row starts N ``examples/worker.py`` processes on a fresh database, waits until they are
ready, queues ``--jobs`` questions per worker and times submit → last job done. The solver (and
decomposer) is a loopback fake with a fixed latency per call (``--latency``), as a remote
endpoint would be, so the ideal is N × the one-worker rate; the goal is >= 0.8 × N. Every job
runs the default ``program`` scheme: one plan call, one solve call, checkpointed with
``durability="sync"``.

    python bench/workers.py [--latency 0.3] [--concurrency 1] [--jobs 12] [--workers 1,2,4]

A temporary PostgreSQL server is started (Debian ``postgresql``) unless ``--database-url``
names one (a fresh database is created on it per row). The core count is printed with the
table: on a small machine the workers' own CPU (LangGraph, psycopg, the OpenAI client) is the
limit, not the solver.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.fake_openai import FakeOpenAIServer  # noqa: E402
from tests.services import PostgresServer  # noqa: E402

WORKER = ROOT / "examples" / "worker.py"
PLAN = "1. How many apples after buying?\n2. How many after eating?"


def fake_model(prompt: str) -> str:
    if "break down a given complex question" in prompt:
        return PLAN
    return "bought = 3 + 5\nleft = bought - 2\nanswer = left"


def fresh_database(server_url: str) -> str:
    name = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def run_row(n: int, server_url: str, fake: FakeOpenAIServer, args: argparse.Namespace,
            logs: Path) -> tuple[int, float, float]:
    """Start ``n`` workers, run ``n * args.jobs`` jobs: (jobs, seconds, worker CPU seconds)."""
    database = fresh_database(server_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LANGSMITH_TRACING": "false",
           "OPENAI_API_KEY": "sk-bench"}
    procs, files = [], []
    for i in range(n):
        log = logs / f"n{n}-w{i}.log"
        files.append(log)
        cmd = [sys.executable, str(WORKER), "--database-url", database, "--name", f"w{i}",
               "--decomposer", "openai:bench", "--solver", "openai:bench",
               "--base-url", fake.base_url, "--concurrency", str(args.concurrency)]
        with log.open("wb") as out:
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out,
                                          stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 120
        while not all(f"worker w{i} ready" in f.read_text() for i, f in enumerate(files)):
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                sys.exit("a worker did not start:\n" + "\n".join(f.read_text() for f in files))
            time.sleep(0.1)
        jobs = n * args.jobs
        cpu0 = sum(_cpu(p.pid) for p in procs)
        with psycopg.connect(database, autocommit=True) as conn:
            start = time.perf_counter()
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO decomp_jobs (thread_id, question) VALUES (%s, %s)",
                                [(f"j{j}", f"Tom has 3 apples and buys 5 more ({j}). He eats 2."
                                  " How many are left?") for j in range(jobs)])
            while True:
                done, failed = conn.execute(
                    "SELECT count(*) FILTER (WHERE status <> 'queued'),"
                    " count(*) FILTER (WHERE status = 'failed') FROM decomp_jobs").fetchone()
                if done >= jobs:
                    break
                time.sleep(0.02)
            seconds = time.perf_counter() - start
        if failed:
            sys.exit(f"{failed} jobs failed: see {logs}")
        cpu = sum(_cpu(p.pid) for p in procs) - cpu0
        return jobs, seconds, cpu
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=20)


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.3, help="seconds per model call")
    parser.add_argument("--concurrency", type=int, default=1, help="jobs at once per worker")
    parser.add_argument("--jobs", type=int, default=12, help="jobs per worker in each row")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--database-url", default=None,
                        help="an existing server (default: start a temporary one)")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",")]
    with contextlib.ExitStack() as stack:
        server_url = args.database_url or stack.enter_context(PostgresServer()).dsn
        fake = stack.enter_context(FakeOpenAIServer(fake_model, latency_s=args.latency))
        logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-workers-")))
        rows = [(n, *run_row(n, server_url, fake, args, logs)) for n in counts]
    ideal = 2 * args.latency / args.concurrency  # seconds per job per worker, two calls
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; fake model "
          f"{args.latency:.2f} s per call, 2 calls per job, {args.concurrency} job(s) at once "
          f"per worker (ideal {1 / ideal:.2f} jobs/s per worker)")
    print("| workers | jobs | seconds | jobs/s | × one worker | × / workers | "
          "worker CPU s per job |")
    print("|---|---|---|---|---|---|---|")
    base = rows[0][1] / rows[0][2] / rows[0][0]  # jobs/s per worker with the first row
    for n, jobs, seconds, cpu in rows:
        rate = jobs / seconds
        print(f"| {n} | {jobs} | {seconds:.2f} | {rate:.2f} | {rate / base:.2f} | "
              f"{rate / base / n:.2f} | {cpu / jobs:.3f} |")


if __name__ == "__main__":
    main()
