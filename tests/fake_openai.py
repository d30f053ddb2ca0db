"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests: fixed replies, counted hits."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("500", "429", "slow", "truncated", "empty", "not-json", "no-choices")
"""What :class:`FakeOpenAIServer` can do instead of answering (one fault per request)."""


class FakeOpenAIServer:
    """Answers ``POST /v1/chat/completions`` with ``reply`` and records each request body.

    ``faults`` scripts misbehaviour: the n-th request gets the n-th fault of the list (see
    :data:`FAULTS`; ``"slow"`` sleeps ``slow_s`` first); once they run out, it answers.
    """

    def __init__(self, reply: str = "Answer: 42", prompt_tokens: int = 11,
                 completion_tokens: int = 3, *, faults: tuple[str, ...] = (),
                 slow_s: float = 3.0) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.faults = list(faults)
        outer = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    outer.requests.append(body)
                    fault = outer.faults.pop(0) if outer.faults else None
                if fault in ("500", "429"):
                    self._send(int(fault), b'{"error": {"message": "injected"}}')
                    return
                if fault == "slow":
                    time.sleep(slow_s)
                if fault == "empty":
                    self._send(200, b"")
                    return
                if fault == "not-json":
                    self._send(200, b"<html>bad gateway</html>", "text/html")
                    return
                payload = {
                    "id": "x", "object": "chat.completion", "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": outer.reply}}],
                    "usage": {"prompt_tokens": prompt_tokens,
                              "completion_tokens": completion_tokens,
                              "total_tokens": prompt_tokens + completion_tokens},
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
                self._send(200, data)

            def _send(self, status: int, data: bytes,
                      content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
