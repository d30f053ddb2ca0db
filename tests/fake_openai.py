"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests: fixed replies, counted hits.

It answers ``POST /v1/chat/completions`` (any path, in fact) as JSON, or as a server-sent
event stream when the request asks for ``"stream": true``, and can misbehave on purpose.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("500", "429", "slow", "truncated", "empty", "not-json", "no-choices", "trickle",
          "401-echo", "cut-stream", "length", "retry-after:<seconds>")
"""What :class:`FakeOpenAIServer` can do instead of answering (one fault per request):

- ``"500"``, ``"429"``: that HTTP status; ``"retry-after:<s>"``: a 429 with ``Retry-After``.
- ``"slow"``: sleep ``slow_s``, then answer.
- ``"trickle"``: send the answer one byte every ``trickle_s`` (all of it after
  ``trickle_total_s``): every read gets a byte, so only a deadline on the whole call ends it.
- ``"401-echo"``: a 401 whose body echoes the request's ``Authorization`` header, as some
  proxies do.
- ``"truncated"``: promise the whole JSON body, send half, hang up.
- ``"cut-stream"``: a stream that stops after part of the reply (no finish, no ``[DONE]``).
- ``"empty"``, ``"not-json"``: an empty or HTML body.
- ``"no-choices"``: ``choices: []`` (in every chunk, when streamed).
- ``"length"``: the reply ends with ``finish_reason: "length"`` (its token cap).
"""


def prompt_of(body: dict[str, Any]) -> str:
    """A request's messages as one text (the key of :attr:`FakeOpenAIServer.counts`)."""
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many worker processes connect at once


class FakeOpenAIServer:
    """Answers chat completions with ``reply`` and records each request's body and headers.

    ``reply`` is a text, or a function of the prompt (:func:`prompt_of`) for answers that
    depend on the question. ``latency_s`` delays every answer (a remote solver's fixed
    latency). ``counts`` counts requests per prompt, across every client (worker processes
    included). ``hold(prompt)`` true parks that request until :meth:`release`; :attr:`held`
    is set once one is parked (to kill a client mid-call).

    ``faults`` scripts misbehaviour: the n-th request gets the n-th fault of the list (see
    :data:`FAULTS`); once they run out, it answers. ``latency_s`` delays every answer (a
    hosted API's think time); ``max_in_flight`` is the most requests it held at once.
    """

    def __init__(self, reply: str | Callable[[str], str] = "Answer: 42",
                 prompt_tokens: int = 11, completion_tokens: int = 3, *,
                 faults: tuple[str, ...] = (), slow_s: float = 3.0, trickle_s: float = 0.3,
                 trickle_total_s: float = 10.0, latency_s: float = 0.0,
                 hold: Callable[[str], bool] | None = None) -> None:
        self.reply = reply
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.faults = list(faults)
        self.counts: Counter[str] = Counter()
        self.hold = hold
        self.held = threading.Event()
        self._released = threading.Event()
        outer = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = prompt_of(body)
                with lock:
                    outer.requests.append(body)
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                    outer.counts[prompt] += 1
                    fault = outer.faults.pop(0) if outer.faults else None
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                try:
                    if outer.hold is not None and outer.hold(prompt):
                        outer.held.set()
                        outer._released.wait()
                    if latency_s:
                        time.sleep(latency_s)
                    reply = outer.reply(prompt) if callable(outer.reply) else outer.reply
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        self._answer(body, fault, reply)  # (unless the client gave up)
                finally:
                    with lock:
                        outer.in_flight -= 1

            def _answer(self, body: dict[str, Any], fault: str | None, reply: str) -> None:
                if fault in ("500", "429"):
                    self._send(int(fault), b'{"error": {"message": "injected"}}')
                    return
                if fault and fault.startswith("retry-after:"):
                    self._send(429, b'{"error": {"message": "slow down"}}',
                               headers={"Retry-After": fault.split(":", 1)[1]})
                    return
                if fault == "401-echo":
                    echo = self.headers.get("Authorization", "")
                    data = json.dumps({"error": {"message": f"Invalid credentials: {echo}",
                                                 "type": "invalid_request_error"}}).encode()
                    self._send(401, data)
                    return
                if fault == "slow":
                    time.sleep(slow_s)
                if fault == "empty":
                    self._send(200, b"")
                    return
                if fault == "not-json":
                    self._send(200, b"<html>bad gateway</html>", "text/html")
                    return
                finish = "length" if fault == "length" else "stop"
                if body.get("stream"):
                    self._stream(body, fault, finish, reply)
                    return
                payload = {
                    "id": "x", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": finish,
                                 "message": {"role": "assistant", "content": reply}}],
                    "usage": self._usage(),
                }
                if fault == "no-choices":
                    payload["choices"] = []
                data = json.dumps(payload).encode()
                if fault == "truncated":
                    # Promise the whole body, send half, hang up.
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.close()
                    return
                self._send(200, data, trickle=fault == "trickle")

            def _usage(self) -> dict[str, int]:
                return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                        "total_tokens": prompt_tokens + completion_tokens}

            def _stream(self, body: dict[str, Any], fault: str | None, finish: str,
                        reply: str) -> None:
                def chunk(delta: dict[str, Any] | None, finish_reason: str | None = None,
                          usage: dict[str, int] | None = None) -> dict[str, Any]:
                    choices = [] if delta is None else [
                        {"index": 0, "delta": delta, "finish_reason": finish_reason}
                    ]
                    return {"id": "x", "object": "chat.completion.chunk", "created": 0,
                            "model": body.get("model", "fake"), "choices": choices,
                            **({"usage": usage} if usage else {})}

                words = reply.split(" ")
                pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
                if fault == "no-choices":
                    events = [chunk(None), chunk(None)]
                else:
                    events = [chunk({"role": "assistant", "content": ""})]
                    events += [chunk({"content": p}) for p in pieces]
                    events.append(chunk({}, finish))
                if fault == "cut-stream":
                    events = events[: 1 + max(1, len(pieces) // 2)]  # part of the reply
                elif (body.get("stream_options") or {}).get("include_usage"):
                    events.append(chunk(None, usage=self._usage()))
                data = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
                if fault != "cut-stream":
                    data += b"data: [DONE]\n\n"
                # HTTP/1.0 and no Content-Length: the body ends when the connection closes.
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self._write(data, trickle=fault == "trickle")

            def _send(self, status: int, data: bytes, content_type: str = "application/json",
                      *, headers: dict[str, str] | None = None, trickle: bool = False) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self._write(data, trickle=trickle)

            def _write(self, data: bytes, *, trickle: bool) -> None:
                if not trickle:
                    self.wfile.write(data)
                    return
                start = time.monotonic()
                for i in range(len(data)):
                    if time.monotonic() - start >= trickle_total_s:
                        self.wfile.write(data[i:])
                        break
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(trickle_s)
                self.wfile.flush()

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def release(self) -> None:
        """Let every parked request (see ``hold``) go on, and park no more."""
        self.hold = None
        self._released.set()

    def count(self, fragment: str) -> int:
        """Requests so far whose prompt contains ``fragment``."""
        return sum(n for prompt, n in list(self.counts.items()) if fragment in prompt)

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
