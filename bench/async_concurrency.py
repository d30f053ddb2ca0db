"""Async concurrency against a hosted API: eval at concurrency 1 vs 64, and the graph's wall
time against the same calls made directly, side by side in one run.

A loopback OpenAI-compatible server (an asyncio HTTP/1.1 server in its own process, in this
file) answers every chat completion after a fixed latency (default 200 ms), like a hosted
API's think time. Both roles are hosted on it (``openai:fake`` with ``base_url``): each
question is two calls, the decomposer's and the solver's (``guided``).

1. ``run_eval`` over N questions (default 256) at ``--concurrency`` 1 and 64. Goal: >= 51x
   faster at 64 (ideal: 64x).
2. The graph (``ainvoke`` per question, at most 64 at once) against the same two calls per
   question made directly on the provider's chat model (``ainvoke``, same client, same
   semaphore): the graph's overhead. Goal: <= 5 %.

    python bench/async_concurrency.py [--questions 256] [--latency 0.2] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPLY = "1. 2 + 3 = 5\nFinal answer: 5"
"""The server's every reply: a plan line for the decomposer, a guided answer for the solver."""


# --- The loopback server (its own process) ------------------------------------------------


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                  latency: float) -> None:
    """HTTP/1.1 keep-alive: read a request (Content-Length body), answer after ``latency``."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = json.loads(await reader.readexactly(length)) if length else {}
            await asyncio.sleep(latency)
            payload = json.dumps({
                "id": "x", "object": "chat.completion", "created": 0,
                "model": body.get("model", "fake"),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": REPLY}}],
                "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
            }).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n"
                         + payload)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def _serve(sock: socket.socket, latency: float) -> None:
    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _handle(r, w, latency), sock=sock, backlog=1024)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_server(latency: float) -> tuple[str, multiprocessing.Process]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    proc = multiprocessing.get_context("fork").Process(target=_serve, args=(sock, latency),
                                                       daemon=True)
    proc.start()
    sock.close()
    return f"http://127.0.0.1:{port}/v1", proc


# --- The runs -------------------------------------------------------------------------------


def questions(n: int) -> list[Any]:
    from langgraph_decomp.data import Example

    return [Example(id=f"q{i}", question=f"Ann has {i} stickers and buys 5 more. How many "
                    "does she have?", gold=str(i + 5)) for i in range(n)]


async def eval_seconds(graph: Any, examples: list[Any], context: dict[str, Any],
                       concurrency: int) -> tuple[float, int]:
    """Wall seconds of ``run_eval`` over ``examples``, and how many records had an error."""
    from langgraph_decomp.eval.harness import run_eval
    from langgraph_decomp.eval.strategies import Strategy

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        records = await run_eval(examples, [Strategy("two-stage")], graph=graph,
                                 base_context=context, out_dir=Path(out),
                                 concurrency=concurrency, show_progress=False)
        elapsed = time.perf_counter() - start
    return elapsed, sum(r.error is not None for r in records)


async def direct_seconds(examples: list[Any], context: dict[str, Any],
                         concurrency: int) -> float:
    """The same two calls per question, made directly on the provider's chat model."""
    from langgraph_decomp.models import load_chat_model
    from langgraph_decomp.prompts import DEFAULT_PROMPTS as P

    decomposer = load_chat_model("openai:fake", max_tokens=192, base_url=context["base_url"])
    solver = load_chat_model("openai:fake", max_tokens=384, base_url=context["base_url"])
    semaphore = asyncio.Semaphore(concurrency)

    async def one(question: str) -> None:
        async with semaphore:
            plan = await decomposer.ainvoke(P.decompose_messages(question))
            lines = [line.split(".", 1)[1].strip() for line in plan.text.splitlines()[:1]]
            await solver.ainvoke(P.final_messages(question, lines, scheme="guided"))

    start = time.perf_counter()
    await asyncio.gather(*(one(e.question) for e in examples))
    return time.perf_counter() - start


async def raw_seconds(examples: list[Any], context: dict[str, Any], concurrency: int) -> float:
    """The same number of calls on the bare ``openai`` async client: the machine's ceiling."""
    from openai import AsyncOpenAI

    client = AsyncOpenAI(base_url=context["base_url"], api_key="sk-local", max_retries=0)
    semaphore = asyncio.Semaphore(concurrency)
    messages: list[Any] = [{"role": "user", "content": "Ann has 3 stickers."}]

    async def one() -> None:
        async with semaphore:
            for _ in range(2):
                await client.chat.completions.create(model="fake", messages=messages,
                                                     max_tokens=192)

    start = time.perf_counter()
    try:
        await asyncio.gather(*(one() for _ in examples))
    finally:
        await client.close()
    return time.perf_counter() - start


async def graph_seconds(graph: Any, examples: list[Any], context: dict[str, Any],
                        concurrency: int) -> float:
    """The graph itself, one ``ainvoke`` per question, at most ``concurrency`` at once."""
    semaphore = asyncio.Semaphore(concurrency)

    async def one(question: str) -> None:
        async with semaphore:
            out = await graph.ainvoke({"question": question}, context=context)
            assert out["answer"] == "5", out

    start = time.perf_counter()
    await asyncio.gather(*(one(e.question) for e in examples))
    return time.perf_counter() - start


async def main(args: argparse.Namespace) -> None:
    from langgraph_decomp import build_graph

    base_url, server = start_server(args.latency)
    try:
        graph = build_graph(decomposer="openai:fake", solver="openai:fake")
        context = {"base_url": base_url, "max_retries": 0}
        examples = questions(args.questions)
        await graph_seconds(graph, examples[:8], context, 8)  # warm the clients
        calls = 2 * len(examples)
        print(f"{len(examples)} questions, {calls} hosted calls of {args.latency * 1000:.0f} ms "
              f"each (decomposer + solver), server in its own process")
        serial, errors_1 = await eval_seconds(graph, examples, context, 1)
        wide, errors_n = await eval_seconds(graph, examples, context, args.concurrency)
        ideal = calls * args.latency / min(args.concurrency, len(examples))
        print("\n| eval | wall s | errors | speedup |\n|---|---|---|---|")
        print(f"| concurrency 1 | {serial:.2f} | {errors_1} | 1.0x |")
        print(f"| concurrency {args.concurrency} | {wide:.2f} | {errors_n} | "
              f"{serial / wide:.1f}x (goal >= 51x; ideal {serial / ideal:.0f}x at "
              f"{ideal:.2f} s) |")
        rows = []
        for concurrency in (1, args.concurrency):
            subset = examples if concurrency > 1 else examples[: args.serial_questions]
            direct = await direct_seconds(subset, context, concurrency)
            through = await graph_seconds(graph, subset, context, concurrency)
            rows.append((concurrency, len(subset), direct, through))
        # Last: the same calls on the bare openai client, the machine's ceiling.
        bare = await raw_seconds(examples, context, args.concurrency)
        print("\n| concurrency | questions | direct calls s | graph s | overhead |"
              "\n|---|---|---|---|---|")
        for concurrency, n, direct, through in rows:
            print(f"| {concurrency} | {n} | {direct:.2f} | {through:.2f} | "
                  f"{(through / direct - 1) * 100:+.1f} % (goal <= 5 %) |")
        print(f"\nThe bare openai async client, the same {calls} calls at concurrency "
              f"{args.concurrency}: {bare:.2f} s ({serial / bare:.1f}x the eval at "
              f"concurrency 1: the most this machine allows any eval here).")
    finally:
        server.terminate()
        server.join(5)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.2, help="server seconds per call")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--serial-questions", type=int, default=64,
                        help="questions of the concurrency-1 overhead row")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args(sys.argv[1:])))
