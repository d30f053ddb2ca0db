"""A worker process: runs questions queued in PostgreSQL, checkpointed in the same database.

Start as many as you like, on any machines that reach the database. Each worker claims queued
jobs (``SELECT ... FOR UPDATE SKIP LOCKED``, so no two workers take the same one), runs them on
``build_graph(checkpointer=PostgresSaver(...))`` with ``durability="sync"`` and writes the
answer back. A claim is an open transaction: when a worker dies (even ``kill -9``) its
connection drops, the claim is released and the next worker resumes the thread from its last
checkpoint with ``graph.invoke(None, config)``, so finished sub-questions are not paid again.
With ``--redis-url`` the workers share a node cache: an identical solver task is paid once.

    pip install 'langgraph-decomp[postgres]'
    export DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres
    python examples/worker.py --solver openai:gpt-4o-mini &          # once per worker
    python examples/worker.py submit "Tom has 3 apples ..." --thread q-17
    python examples/worker.py results

The solver key comes from the provider's environment variable (``OPENAI_API_KEY``, ...);
it is never written to the database.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS decomp_jobs (
    id bigserial PRIMARY KEY,
    thread_id text UNIQUE NOT NULL,
    question text NOT NULL,
    status text NOT NULL DEFAULT 'queued',      -- queued | done | failed
    answer text,
    numeric_answer text,
    worker text,
    resumed boolean NOT NULL DEFAULT false,     -- finished from an earlier worker's checkpoint
    error text,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
)"""
CLAIM = ("SELECT thread_id, question FROM decomp_jobs WHERE status = 'queued' "
         "ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1")
SETUP_LOCK = 7_240_424  # pg_advisory_lock key: one worker at a time runs the migrations


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL URL (default: $DATABASE_URL)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"),
                        help="shared node cache (default: $REDIS_URL; none if unset)")
    parser.add_argument("--decomposer", default=None, help="model string (default: local)")
    parser.add_argument("--solver", default=None, help="model string, e.g. openai:gpt-4o-mini")
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL"),
                        help="OpenAI-compatible endpoint (vLLM, ...) for the hosted roles")
    parser.add_argument("--context", default="{}", help="more Context knobs, as JSON")
    parser.add_argument("--concurrency", type=int, default=4, help="jobs run at once")
    parser.add_argument("--drain", action="store_true", help="exit once the queue is empty")
    parser.add_argument("--name", default=f"{socket.gethostname()}:{os.getpid()}")
    parser.add_argument("--db-timeout", type=float, default=30.0,
                        help="seconds to wait for the database (it may be restarting) before"
                             " a run fails and its job is retried")
    sub = parser.add_subparsers(dest="command", title="commands (default: run jobs)")
    submit = sub.add_parser("submit", help="queue questions; prints their thread ids")
    submit.add_argument("questions", nargs="+")
    submit.add_argument("--thread", action="append", default=[],
                        help="thread id per question (default: a new uuid)")
    sub.add_parser("results", help="print every job as one JSON line")
    args = parser.parse_args(argv)
    try:
        args.context = json.loads(args.context)
    except json.JSONDecodeError as e:
        parser.error(f"--context is not JSON: {e}")
    if not isinstance(args.context, dict):
        parser.error("--context must be a JSON object of Context knobs")
    if args.command == "submit" and len(args.thread) > len(args.questions):
        parser.error("more --thread ids than questions")
    if args.concurrency < 1:
        parser.error("--concurrency must be at least 1")
    if args.db_timeout <= 0:
        parser.error("--db-timeout must be positive")
    return args


def connect(url: str, size: int, timeout: float = 30.0) -> Any:
    """A connection pool that survives a database restart (connections checked on loan)."""
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    return ConnectionPool(url, min_size=1, max_size=size, open=True, timeout=timeout,
                          check=ConnectionPool.check_connection,
                          kwargs={"autocommit": True, "prepare_threshold": 0,
                                  "row_factory": dict_row})


def setup(pool: Any, saver: Any) -> None:
    """Create the checkpoint tables and the job table, one worker at a time.

    Waiters poll ``pg_try_advisory_lock`` rather than block in ``pg_advisory_lock``: the
    saver's migrations build indexes ``CONCURRENTLY``, which wait for every open statement.
    """
    with pool.connection() as conn:
        while not conn.execute("SELECT pg_try_advisory_lock(%s) AS ok",
                               (SETUP_LOCK,)).fetchone()["ok"]:
            time.sleep(0.1)
        try:
            saver.setup()
            conn.execute(SCHEMA)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


def warm_up(ctx: Any, models: dict[str, str]) -> None:
    """Load each role's model now (cached per string and options): a bad model string fails
    at start, and the first job does not pay the imports or a local model's load."""
    from langgraph_decomp.context import DEFAULT_DECOMPOSER, DEFAULT_SOLVER
    from langgraph_decomp.models import load_chat_model

    defaults = {"solver": DEFAULT_SOLVER, "decomposer": DEFAULT_DECOMPOSER}  # cheap one first
    for role, default in defaults.items():
        load_chat_model(getattr(ctx, role) or models.get(role, default),
                        max_tokens=getattr(ctx, f"{role}_max_tokens"),
                        temperature=ctx.temperature, base_url=ctx.endpoint(role),
                        timeout=ctx.request_timeout, max_retries=ctx.max_retries)


def run_job(graph: Any, thread_id: str, question: str, context: dict[str, Any]) -> tuple[
        dict[str, Any], bool]:
    """Run one thread to its end: resume it if an earlier worker left a checkpoint."""
    config = {"configurable": {"thread_id": thread_id}}
    state = graph.get_state(config)
    if state.next:  # killed mid-run somewhere: go on from the last finished step
        return graph.invoke(None, config, context=context, durability="sync"), True
    if state.values.get("answer") is not None:  # finished, but never marked done
        return state.values, True
    return graph.invoke({"question": question}, config, context=context,
                        durability="sync"), False


def serve(args: argparse.Namespace) -> int:
    import logging

    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    from langgraph_decomp import (
        Context,
        DecompError,
        InvalidInputError,
        ModelConfigError,
        build_graph,
    )

    logging.basicConfig(format=f"worker {args.name}: %(name)s: %(message)s",
                        level=logging.WARNING)  # the pool says when it cannot connect
    context = {k: v for k, v in (("base_url", args.base_url),) if v}
    context.update(args.context)
    models = {k: v for k, v in (("decomposer", args.decomposer), ("solver", args.solver)) if v}
    try:
        ctx = Context(**context)  # a bad knob fails here, not on every job
    except InvalidInputError as e:
        print(f"worker.py: {e}", file=sys.stderr)
        return 2
    cache = None
    if args.redis_url:
        import redis
        from langgraph.cache.redis import RedisCache

        cache = RedisCache(redis.Redis.from_url(args.redis_url))
    checkpoints = connect(args.database_url, args.concurrency + 1, args.db_timeout)
    jobs = connect(args.database_url, args.concurrency, args.db_timeout)
    saver = PostgresSaver(checkpoints)
    setup(jobs, saver)
    try:
        warm_up(ctx, models)  # a bad model string fails here, not on every job
    except ModelConfigError as e:
        print(f"worker.py: {e}", file=sys.stderr)
        return 2
    graph = build_graph(**models, checkpointer=saver, cache=cache)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # finish the jobs in hand, then exit
        signal.signal(sig, lambda *_: stop.set())
    print(f"worker {args.name} ready", flush=True)

    def work(conn: Any) -> bool:
        """Claim one job and run it inside the claim's transaction; False if none is queued."""
        job = conn.execute(CLAIM).fetchone()
        if job is None:
            return False
        done: dict[str, Any] = {"thread_id": job["thread_id"], "worker": args.name}
        print(json.dumps({**done, "status": "running"}), flush=True)
        try:
            out, resumed = run_job(graph, job["thread_id"], job["question"], context)
        except DecompError as e:  # bad input, model or endpoint: recorded, not retried
            done.update(status="failed", error=f"{type(e).__name__}: {e}")
        except psycopg.Error:
            raise  # the database: the job stays queued (see loop)
        except Exception as e:  # anything else would be retried forever: recorded
            done.update(status="failed", error=f"{type(e).__name__}: {e}")
        else:
            done.update(status="done", answer=out["answer"],
                        numeric_answer=out.get("numeric_answer"), resumed=resumed)
        conn.execute("UPDATE decomp_jobs SET status=%(status)s, answer=%(answer)s,"
                     " numeric_answer=%(numeric_answer)s, worker=%(worker)s,"
                     " resumed=%(resumed)s, error=%(error)s, finished_at=now()"
                     " WHERE thread_id=%(thread_id)s",
                     {"answer": None, "numeric_answer": None, "resumed": False, "error": None,
                      **done})
        print(json.dumps(done), flush=True)
        return True

    def loop() -> None:
        while not stop.is_set():
            try:
                with jobs.connection() as conn, conn.transaction():
                    found = work(conn)
            except psycopg.Error as e:  # the database went away: the claim is released
                first = str(e).splitlines()[0] if str(e) else ""
                print(f"worker {args.name}: database error ({type(e).__name__}: {first});"
                      " the job stays queued, retrying", file=sys.stderr, flush=True)
                time.sleep(0.5)
                continue
            if not found:
                if args.drain:
                    return
                time.sleep(0.2)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        while t.is_alive():
            t.join(0.2)
    checkpoints.close()
    jobs.close()
    return 0


def submit(args: argparse.Namespace) -> int:
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    pool = connect(args.database_url, 2)  # setup: one holds the lock, one migrates
    setup(pool, PostgresSaver(pool))
    threads = args.thread + [str(uuid.uuid4()) for _ in args.questions[len(args.thread):]]
    with pool.connection() as conn:
        for thread_id, question in zip(threads, args.questions, strict=True):
            try:
                conn.execute("INSERT INTO decomp_jobs (thread_id, question) VALUES (%s, %s)",
                             (thread_id, question))
            except psycopg.errors.UniqueViolation:
                print(f"worker.py: thread {thread_id!r} already has a job (queue it again "
                      "with UPDATE decomp_jobs SET status = 'queued')", file=sys.stderr)
                return 1
            print(thread_id)
    return 0


def results(args: argparse.Namespace) -> int:
    pool = connect(args.database_url, 1)
    with pool.connection() as conn:
        for row in conn.execute("SELECT thread_id, status, answer, numeric_answer, worker,"
                                " resumed, error FROM decomp_jobs ORDER BY id"):
            print(json.dumps(row))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if not args.database_url:
        print("worker.py needs a PostgreSQL database: set DATABASE_URL=postgresql://USER@HOST:"
              "PORT/DB (or --database-url); start one with: docker run -d -p 5432:5432 -e "
              "POSTGRES_HOST_AUTH_METHOD=trust postgres:16", file=sys.stderr)
        return 2
    try:
        import psycopg
        import psycopg_pool  # noqa: F401
        from langgraph.checkpoint.postgres import PostgresSaver  # noqa: F401
    except ImportError as e:
        print(f"worker.py needs the postgres extra ({e.name} is missing): "
              "pip install 'langgraph-decomp[postgres]'", file=sys.stderr)
        return 2
    command = {"submit": submit, "results": results}.get(args.command, serve)
    try:
        return command(args)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as e:
        print(f"worker.py cannot use the database at DATABASE_URL: {type(e).__name__}: "
              f"{str(e).splitlines()[0] if str(e) else ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
