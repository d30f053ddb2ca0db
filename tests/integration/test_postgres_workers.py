"""Many workers, one PostgreSQL database: a real server (Debian ``postgresql``), the real
``langgraph-checkpoint-postgres`` saver through ``build_graph(checkpointer=...)``, worker
processes (``examples/worker.py``) over a loopback fake solver that counts requests per prompt.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fake_openai import FakeOpenAIServer
from tests.services import (
    PostgresServer,
    RedisServer,
    free_port,
    postgres_bindir,
    redis_binary,
)

psycopg = pytest.importorskip("psycopg", reason="pip install 'langgraph-decomp[postgres]'")
pytest.importorskip("langgraph.checkpoint.postgres",
                    reason="pip install 'langgraph-decomp[postgres]'")

from langgraph.checkpoint.memory import InMemorySaver  # noqa: E402
from langgraph.checkpoint.postgres import PostgresSaver  # noqa: E402
from psycopg.rows import dict_row  # noqa: E402
from psycopg_pool import ConnectionPool  # noqa: E402

from langgraph_decomp import build_graph  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]
WORKER = ROOT / "examples" / "worker.py"

STEPS = ("What is the sum of the two numbers?", "What is #1 times 2?",
         "What is #2 minus 1?")


def question(a: int, b: int) -> str:
    return f"Thread {a}-{b}: what is ({a} + {b}) * 2 - 1?"


def expected(a: int, b: int) -> str:
    return str((a + b) * 2 - 1)


def solver(prompt: str) -> str:
    """The fake decomposer and solver: plans, step answers and answers computed from the
    question in the prompt, so every thread has its own answer."""
    m = re.search(r"what is \((\d+) \+ (\d+)\) \* 2 - 1\?", prompt)
    assert m, prompt
    a, b = int(m[1]), int(m[2])
    s, d = a + b, (a + b) * 2
    if "break down a given complex question" in prompt:
        return "\n".join(f"{i}. {q}" for i, q in enumerate(STEPS, 1))
    if "Sub-question:" in prompt:
        asked = prompt.rsplit("Sub-question:", 1)[1].strip()
        return {STEPS[0]: f"{a} + {b} = {s}\nAnswer: {s}",
                STEPS[1]: f"{s} * 2 = {d}\nAnswer: {d}",
                STEPS[2]: f"{d} - 1 = {d - 1}\nAnswer: {d - 1}"}[asked]
    if "Python program" in prompt:  # solve_scheme="program" (the default)
        return f"total = {a} + {b}\ndoubled = total * 2\nanswer = doubled - 1"
    return f"1. {a} + {b} = {s}\n2. {s} * 2 = {d}\n3. {d} - 1 = {d - 1}\nFinal answer: {d - 1}"


def step_prompt(i: int) -> str:
    """The end of the prompt that asks plan step ``i`` (0-based)."""
    return f"Sub-question: {STEPS[i]}"


# -- servers ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    if postgres_bindir() is None:
        pytest.skip("PostgreSQL server binaries not installed (apt-get install -y postgresql)")
    with PostgresServer() as server:
        yield server


def new_database(postgres: PostgresServer) -> str:
    """A fresh database on the shared server: its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.dsn.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def database(postgres: PostgresServer) -> str:
    return new_database(postgres)


@pytest.fixture
def redis_url() -> Iterator[str]:
    if redis_binary() is None:
        pytest.skip("redis-server not installed (apt-get install -y redis-server)")
    pytest.importorskip("redis", reason="pip install 'langgraph-decomp[redis]'")
    with RedisServer() as server:
        yield server.url


def pool_for(url: str, **kwargs: Any) -> ConnectionPool:
    return ConnectionPool(url, max_size=4, check=ConnectionPool.check_connection,
                          kwargs={"autocommit": True, "prepare_threshold": 0,
                                  "row_factory": dict_row}, **kwargs)


def query(url: str, sql: str, *args: Any) -> list[dict[str, Any]]:
    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()


# -- workers ------------------------------------------------------------------------------

class Worker:
    """One ``examples/worker.py`` process; its output goes to a log file."""

    def __init__(self, name: str, database: str, fake: FakeOpenAIServer, log_dir: Path, *,
                 scheme: str = "guided", dependencies: str = "sequential",
                 concurrency: int = 4, redis: str | None = None,
                 extra: tuple[str, ...] = ()) -> None:
        self.name, self.log = name, log_dir / f"{name}.log"
        cmd = [sys.executable, str(WORKER), "--database-url", database, "--name", name,
               "--decomposer", "openai:fake", "--solver", "openai:fake",
               "--base-url", fake.base_url, "--concurrency", str(concurrency),
               "--context", json.dumps({"solve_scheme": scheme, "dependencies": dependencies}),
               *(("--redis-url", redis) if redis else ()), *extra]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "LANGSMITH_TRACING": "false",
               "OPENAI_API_KEY": "sk-fake"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                         env=env)

    def output(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while f"worker {self.name} ready" not in self.output():
            if self.proc.poll() is not None:  # (a --drain worker may be done already)
                assert f"worker {self.name} ready" in self.output(), self.output()[-3000:]
                return
            assert time.monotonic() < deadline, f"{self.name} not ready:\n{self.output()}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()


def start(started: list[Worker], n: int, database: str, fake: FakeOpenAIServer, log_dir: Path,
          *, first: int = 0, **kwargs: Any) -> list[Worker]:
    new = [Worker(f"w{first + i}", database, fake, log_dir, **kwargs) for i in range(n)]
    started.extend(new)
    for w in new:
        w.wait_ready()
    return new


def submit(database: str, jobs: list[tuple[str, str]]) -> None:
    done = subprocess.run(
        [sys.executable, str(WORKER), "--database-url", database, "submit",
         *(q for _, q in jobs), *(a for t, _ in jobs for a in ("--thread", t))],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [t for t, _ in jobs]


def queue(database: str, jobs: list[tuple[str, str]]) -> None:
    """Queue jobs with SQL (the workers created the table), as any application may."""
    with psycopg.connect(database, autocommit=True) as conn:
        for thread_id, q in jobs:
            conn.execute("INSERT INTO decomp_jobs (thread_id, question) VALUES (%s, %s)",
                         (thread_id, q))


def wait_finished(database: str, n: int, workers: list[Worker], timeout: float = 90) -> list[
        dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        rows = query(database, "SELECT * FROM decomp_jobs WHERE status <> 'queued' ORDER BY id")
        if len(rows) >= n:
            return rows
        logs = "\n".join(w.output()[-1500:] for w in workers)
        assert time.monotonic() < deadline, f"{len(rows)}/{n} finished:\n{logs}"
        time.sleep(0.2)


# -- the tests ----------------------------------------------------------------------------

def test_200_threads_over_4_worker_processes_each_get_their_own_answer(
        database, workers, tmp_path):
    jobs = {f"t{i}": (i, 1000 + 7 * i) for i in range(200)}
    with FakeOpenAIServer(solver, latency_s=0.02) as fake:
        start(workers, 4, database, fake, tmp_path)
        submit(database, [(t, question(a, b)) for t, (a, b) in jobs.items()]
               + [("empty", " ")])  # bad input: recorded as failed, never retried
        rows = wait_finished(database, len(jobs) + 1, workers)
        by_thread = {r["thread_id"]: r for r in rows}
        bad = by_thread.pop("empty")
        assert bad["status"] == "failed" and bad["error"].startswith("InvalidInputError")
        rows = [r for r in rows if r["thread_id"] != "empty"]
        assert {t: r["status"] for t, r in by_thread.items()} == dict.fromkeys(jobs, "done")
        assert {t: r["answer"] for t, r in by_thread.items()} == {
            t: expected(a, b) for t, (a, b) in jobs.items()}
        # Every worker took a share, and no thread ran twice: one plan and one solve each.
        assert {r["worker"] for r in rows} == {"w0", "w1", "w2", "w3"}
        assert len(fake.requests) == 2 * len(jobs)
        assert set(fake.counts.values()) == {1}
    # The checkpoints hold each thread's own state (plan, per-step answers, usage).
    with pool_for(database) as pool:
        graph = build_graph(decomposer="openai:fake", solver="openai:fake",
                            checkpointer=PostgresSaver(pool))
        for t, (a, b) in list(jobs.items())[::20]:
            values = graph.get_state({"configurable": {"thread_id": t}}).values
            assert values["answer"] == expected(a, b)
            assert values["plan"] == list(STEPS)
            assert [s["answer"] for s in values["subquestions"]] == [
                f"{a} + {b} = {a + b}", f"{a + b} * 2 = {2 * (a + b)}",
                f"{2 * (a + b)} - 1 = {2 * (a + b) - 1}"]
            assert values["usage"]["solver"]["calls"] == 1
            assert values["usage"]["decomposer"]["calls"] == 1


@pytest.mark.parametrize("dependencies", ["sequential", "independent"])
def test_a_worker_killed_mid_stepwise_plan_is_resumed_by_another_that_pays_only_the_rest(
        dependencies, database, workers, tmp_path):
    a, b = 20, 22
    with FakeOpenAIServer(solver, hold=lambda p: p.endswith(step_prompt(2))) as fake:
        pair = start(workers, 2, database, fake, tmp_path, scheme="stepwise",
                     dependencies=dependencies, concurrency=1)
        queue(database, [("killed", question(a, b))])
        assert fake.held.wait(30), [w.output() for w in pair]
        # The steps that finished before step 3 are in the database (durability="sync").
        deadline = time.monotonic() + 10
        # (solve tasks are Send "push" tasks; decompose writes `steps` too, its reset)
        while len(query(database, "SELECT 1 FROM checkpoint_writes WHERE thread_id = %s AND"
                                  " channel = 'steps' AND task_path LIKE '~__pregel_push%%'",
                        "killed")) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (victim,) = [w for w in pair if '"status": "running"' in w.output()]
        (second,) = [w for w in pair if w is not victim]
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        fake.release()
        # The other worker, polling all along, takes the job over once the claim drops.
        (row,) = wait_finished(database, 1, workers, timeout=30)
        assert (row["status"], row["answer"], row["worker"], row["resumed"]) == (
            "done", expected(a, b), second.name, True)
        # Finished steps were not paid again: only the step in flight at the kill (asked
        # twice) and the question itself.
        assert fake.count("break down a given complex question") == 1
        assert [fake.count(step_prompt(i)) for i in range(3)] == [1, 1, 2]
        assert fake.count("Answer the problem.") == 1
        assert "resumed" in second.output()


def test_a_shared_redis_cache_serves_an_identical_solver_task_once_across_workers(
        postgres, database, redis_url, workers, tmp_path):
    """The same question on two threads, run by two worker processes one after the other:
    with the shared Redis cache every solve task is asked once; the control pair of workers,
    on its own database without the cache, asks each twice."""
    q = question(5, 6)
    control = new_database(postgres)
    with FakeOpenAIServer(solver) as shared, FakeOpenAIServer(solver) as alone:
        pairs = {
            "cache": (database, shared, [Worker(f"c{i}", database, shared, tmp_path,
                                                scheme="stepwise", concurrency=1,
                                                redis=redis_url) for i in range(2)]),
            "control": (control, alone, [Worker(f"n{i}", control, alone, tmp_path,
                                                scheme="stepwise", concurrency=1)
                                         for i in range(2)]),
        }
        for _, _, pair in pairs.values():
            workers.extend(pair)
        for w in workers:
            w.wait_ready()
        for db, _, pair in pairs.values():
            queue(db, [("first", q)])
            (first,) = wait_finished(db, 1, pair)
            took = next(w for w in pair if w.name == first["worker"])
            took.stop()  # the next job must go to the other process
            queue(db, [("second", q)])
            second = wait_finished(db, 2, pair)[1]
            assert second["worker"] != first["worker"]
            assert first["answer"] == second["answer"] == expected(5, 6)
        # The plan is asked twice (decompose is not cached); with the cache every solve
        # task once, without it twice.
        assert shared.count("break down a given complex question") == 2
        assert [shared.count(step_prompt(i)) for i in range(3)] == [1, 1, 1]
        assert shared.count("Answer the problem.") == 1
        assert [alone.count(step_prompt(i)) for i in range(3)] == [2, 2, 2]
        assert alone.count("Answer the problem.") == 2


def test_a_worker_rides_out_a_postgres_restart_and_resumes_its_job(
        postgres, database, redis_url, workers, tmp_path):
    """Down longer than the worker's --db-timeout: the run fails with the driver's error,
    the worker says so and keeps the job queued; once the database is back the job resumes
    from its checkpoint, and the step answered during the outage comes from the cache."""
    a, b = 9, 10
    with FakeOpenAIServer(solver, hold=lambda p: p.endswith(step_prompt(1))) as fake:
        (w,) = start(workers, 1, database, fake, tmp_path, scheme="stepwise", concurrency=1,
                     redis=redis_url, extra=("--db-timeout", "1"))
        queue(database, [("restart", question(a, b))])
        assert fake.held.wait(30), w.output()
        postgres.stop("fast")
        try:
            fake.release()
            deadline = time.monotonic() + 30
            while "database error" not in w.output():
                assert time.monotonic() < deadline, w.output()
                time.sleep(0.1)
        finally:
            postgres.start()
        (row,) = wait_finished(database, 1, workers, timeout=30)
    assert (row["status"], row["answer"], row["resumed"]) == ("done", expected(a, b), True)
    assert "OperationalError" in w.output() or "PoolTimeout" in w.output()
    assert "Traceback" not in w.output()
    assert w.proc.poll() is None  # the worker lived through it
    assert fake.count("break down a given complex question") == 1
    assert [fake.count(step_prompt(i)) for i in range(3)] == [1, 1, 1]
    assert fake.count("Answer the problem.") == 1


def _graph_over(pool: ConnectionPool, cache: Any = None):
    saver = PostgresSaver(pool)
    saver.setup()
    return build_graph(decomposer="openai:fake", solver="openai:fake", checkpointer=saver,
                       cache=cache)


@pytest.mark.parametrize("with_cache", [False, True])
def test_postgres_down_mid_run_raises_a_psycopg_error_then_the_run_resumes(
        with_cache, postgres, database, request):
    """A database down longer than the pool's timeout fails the run with the driver's
    typed error (``psycopg_pool.PoolTimeout``, a ``psycopg.OperationalError``); once it is
    back, ``invoke(None, config)`` finishes the run without re-paying saved steps."""
    cache = None
    if with_cache:
        import redis
        from langgraph.cache.redis import RedisCache

        cache = RedisCache(redis.Redis.from_url(request.getfixturevalue("redis_url")))
    a, b = 3, 4
    config = {"configurable": {"thread_id": "outage"}}
    with (FakeOpenAIServer(solver, hold=lambda p: p.endswith(step_prompt(1))) as fake,
          pool_for(database, timeout=2) as pool):
        graph = _graph_over(pool, cache)
        context = {"base_url": fake.base_url, "solve_scheme": "stepwise"}
        result: dict[str, Any] = {}

        def run() -> None:
            try:
                result["out"] = graph.invoke({"question": question(a, b)}, config,
                                             context=context, durability="sync")
            except Exception as e:  # noqa: BLE001 - the test inspects it
                result["error"] = e

        runner = threading.Thread(target=run)
        runner.start()
        assert fake.held.wait(30)
        postgres.stop("fast")
        try:
            fake.release()  # step 2 is answered while the database is down
            runner.join(60)
            assert not runner.is_alive()
        finally:
            postgres.start()
        error = result.get("error")
        assert isinstance(error, psycopg.OperationalError), result
        out = graph.invoke(None, config, context=context, durability="sync")
    assert out["answer"] == expected(a, b)
    assert fake.count("break down a given complex question") == 1
    assert fake.count(step_prompt(0)) == 1  # saved before the outage: never paid again
    # Step 2's answer came back while nothing could be saved: the cache kept it.
    assert fake.count(step_prompt(1)) == (1 if with_cache else 2)
    assert fake.count(step_prompt(2)) == 1
    assert fake.count("Answer the problem.") == 1


def test_a_short_postgres_restart_is_ridden_out_by_the_pool(postgres, database):
    """Back within the pool's timeout: the run waits for a connection and simply finishes."""
    config = {"configurable": {"thread_id": "blip"}}
    with (FakeOpenAIServer(solver, hold=lambda p: p.endswith(step_prompt(1))) as fake,
          pool_for(database, timeout=30) as pool):
        graph = _graph_over(pool)
        context = {"base_url": fake.base_url, "solve_scheme": "stepwise"}
        result: dict[str, Any] = {}
        runner = threading.Thread(target=lambda: result.update(out=graph.invoke(
            {"question": question(1, 2)}, config, context=context, durability="sync")))
        runner.start()
        assert fake.held.wait(30)
        postgres.stop("fast")
        fake.release()
        time.sleep(1)
        postgres.start()
        runner.join(60)
    assert result["out"]["answer"] == expected(1, 2)
    assert [fake.count(step_prompt(i)) for i in range(3)] == [1, 1, 1]


def test_state_survives_the_postgres_round_trip_as_in_memory(database):
    """Plans, per-step answers, usage sums, ``Overwrite`` resets and the pending ``Send``
    payloads read back from Postgres exactly as from the in-memory saver."""
    with FakeOpenAIServer(solver) as fake, pool_for(database) as pool:
        context = {"base_url": fake.base_url, "solve_scheme": "stepwise",
                   "dependencies": "independent"}
        graphs = {"memory": build_graph(decomposer="openai:fake", solver="openai:fake",
                                        checkpointer=InMemorySaver()),
                  "postgres": _graph_over(pool)}
        seen: dict[str, Any] = {}
        for kind, graph in graphs.items():
            config = {"configurable": {"thread_id": "same"}}
            # Stop before the parallel solve wave: its Send payloads are pending writes.
            graph.invoke({"question": question(8, 9)}, config, context=context,
                         interrupt_before=["solve"])
            saved = graph.checkpointer.get_tuple(config).checkpoint
            sends = saved["channel_values"]["__pregel_tasks"]
            first = graph.invoke(None, config, context=context)
            # The same thread, a new question: per-run state is reset (Overwrite).
            second = graph.invoke({"question": question(1, 1)}, config, context=context)
            history = [({k: v for k, v in s.values.items() if k != "started_at"}, s.next,
                        s.metadata.get("step")) for s in graph.get_state_history(config)]
            seen[kind] = (sends, first, second, history)
        assert seen["postgres"] == seen["memory"]
        sends, first, second, history = seen["postgres"]
        assert [type(s).__name__ for s in sends] == ["Send"] * 3
        assert [s.arg["index"] for s in sends] == [0, 1, 2]
        assert sends[0].arg["plan"] == list(STEPS)
        assert first["answer"] == expected(8, 9) and second["answer"] == expected(1, 1)
        assert second["usage"] == first["usage"]  # summed per run, not across runs
        assert first["usage"]["solver"]["calls"] == 4
        assert len(history) > 10
        latest = history[0][0]
        assert {k: latest[k] for k in second} == second  # read back as it was returned
        assert latest["steps"] == [
            {"index": 0, "answer": "2", "work": "1 + 1 = 2\nAnswer: 2"},
            {"index": 1, "answer": "4", "work": "2 * 2 = 4\nAnswer: 4"},
            {"index": 2, "answer": "3", "work": "4 - 1 = 3\nAnswer: 3"}]


SENTINEL = "sk-proj-SENTINEL-pg-7e1f0a9b3c5d"


@pytest.mark.parametrize("where", ["configurable", "context"])
def test_a_runs_api_key_never_lands_in_the_postgres_database(where, postgres, database):
    """The key reaches the solver, a failed run is resumed, and a dump of the whole
    database (checkpoints, blobs, writes, metadata) and the server's log hold no trace of it."""
    config: dict[str, Any] = {"configurable": {"thread_id": f"key-{where}"}}
    with (FakeOpenAIServer(solver, faults=("500",)) as fake, pool_for(database) as pool):
        graph = _graph_over(pool)
        context: dict[str, Any] = {"base_url": fake.base_url, "solve_scheme": "stepwise",
                                   "max_retries": 0}
        if where == "configurable":
            config["configurable"]["api_key"] = SENTINEL
        else:
            context["api_key"] = SENTINEL
        from langgraph_decomp import ModelCallError

        with pytest.raises(ModelCallError):
            graph.invoke({"question": question(2, 3)}, config, context=context,
                         durability="sync")
        out = graph.invoke(None, config, context=context, durability="sync")
        graph.update_state(config, {"repairs": 0})  # a hand-made checkpoint, same config
        history = list(graph.get_state_history(config))
    assert out["answer"] == expected(2, 3)
    assert {h["authorization"] for h in fake.headers} == {f"Bearer {SENTINEL}"}
    assert len(history) > 5 and any(h.metadata for h in history)
    dump = subprocess.run([str(postgres.bindir / "pg_dump"), "--data-only", database],
                          capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    assert "Thread 2-3" in dump.stdout  # the dump does hold the run's state
    assert "checkpoint_writes" in dump.stdout and "checkpoint_blobs" in dump.stdout
    assert SENTINEL not in dump.stdout
    # Nor in a binary column (bytea is dumped as hex) or the server log.
    assert SENTINEL.encode().hex() not in dump.stdout
    assert SENTINEL not in postgres.log.read_text()


async def test_async_postgres_saver_keeps_50_concurrent_threads_apart_and_resumes_a_failure(
        database):
    import asyncio

    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    from psycopg_pool import AsyncConnectionPool

    from langgraph_decomp import ModelCallError

    jobs = {f"a{i}": (i, 3 * i + 1) for i in range(50)}
    kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    with FakeOpenAIServer(solver, faults=("500",)) as fake:
        async with AsyncConnectionPool(database, max_size=8, kwargs=kwargs) as pool:
            saver = AsyncPostgresSaver(pool)
            await saver.setup()
            graph = build_graph(decomposer="openai:fake", solver="openai:fake",
                                checkpointer=saver)
            context = {"base_url": fake.base_url, "max_retries": 0}

            async def run(thread: str, a: int, b: int) -> Any:
                config = {"configurable": {"thread_id": thread}}
                try:
                    return await graph.ainvoke({"question": question(a, b)}, config,
                                               context=context, durability="sync")
                except ModelCallError as e:
                    return e

            outs = dict(zip(jobs, await asyncio.gather(
                *(run(t, a, b) for t, (a, b) in jobs.items())), strict=True))
            failed = [t for t, o in outs.items() if isinstance(o, ModelCallError)]
            assert len(failed) == 1  # the one request that got the injected 500
            (thread,) = failed
            outs[thread] = await graph.ainvoke(None, {"configurable": {"thread_id": thread}},
                                               context=context)
            assert {t: o["answer"] for t, o in outs.items()} == {
                t: expected(a, b) for t, (a, b) in jobs.items()}
            for t in list(jobs)[::10]:
                state = await graph.aget_state({"configurable": {"thread_id": t}})
                assert state.values["answer"] == expected(*jobs[t]) and not state.next
    assert len(fake.requests) == 2 * len(jobs) + 1  # only the failed call was paid twice


def test_bad_worker_input_is_one_line_and_a_non_zero_exit(database):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def worker(*args: str, url: str = database) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, str(WORKER), "--database-url", url, *args],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)

    def result(proc: subprocess.Popen[str]) -> tuple[int, str]:
        _, err = proc.communicate(timeout=60)
        assert "Traceback" not in err
        return proc.returncode, err

    unreachable = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    running = {  # all at once: each is a Python start
        "knob": worker("--context", '{"solve_scheme": "fastest"}', "--drain"),
        "model": worker("--solver", "nope:model", "--decomposer", "openai:fake"),
        "unreachable": worker("--db-timeout", "2", url=unreachable),
        "first": worker("submit", "Q?", "--thread", "dup"),
    }
    done = {name: result(proc) for name, proc in running.items()}
    assert done["knob"][0] == 2 and "solve_scheme" in done["knob"][1]
    assert done["model"][0] == 2 and "'nope:model'" in done["model"][1]
    assert done["unreachable"][0] == 1 and "cannot use the database" in done["unreachable"][1]
    assert done["first"][0] == 0
    code, err = result(worker("submit", "Q?", "--thread", "dup"))
    assert code == 1 and "'dup' already has a job" in err
    assert len(err.strip().splitlines()) == 1
