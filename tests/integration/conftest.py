"""Integration fixtures: the embedded SmolLM2 GGUF and a real OpenAI-compatible server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from langgraph_decomp.models import embedded_gguf_path

SERVE_PLAIN_BUFFERS = (
    "import llama_cpp\n"
    "from llama_cpp.server.__main__ import main\n"
    "from langgraph_decomp.models.llamacpp import without_amx_weights\n"
    "_generate = llama_cpp.Llama.generate\n"
    "def _from_scratch(self, tokens, *args, **kwargs):\n"
    "    self.reset()\n"
    "    return _generate(self, tokens, *args, **kwargs)\n"
    "llama_cpp.Llama.generate = _from_scratch\n"
    "with without_amx_weights():\n"
    "    main()\n"
)
"""``python -m llama_cpp.server``, its model in plain CPU buffers as the library loads its own
(llama.cpp's AMX weight layout segfaults at the first decode on some Xeons), each request
read from an empty cache: llama.cpp reuses the KV cache of the prefix a request shares with
the one before, which moves the logits, so a test's reply would depend on which tests ran
before it (a CLI test passed in the full run and hit its token cap when run alone)."""

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    return embedded_gguf_path()


@contextlib.contextmanager
def serve(cmd: list[str], ready_url: str, log: Path, cwd: Path | None = None) -> Iterator[None]:
    """Run ``cmd`` until ``ready_url`` answers; stop it afterwards. Fails with its log."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "LANGGRAPH_CLI_NO_ANALYTICS": "1",
           "LANGSMITH_TRACING": "false"}
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 120
        try:
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"{cmd[0]} exited:\n{log.read_text()[-3000:]}")
                try:
                    with urllib.request.urlopen(ready_url, timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"{cmd[0]} did not start:\n{log.read_text()[-3000:]}")
                    time.sleep(0.5)
            yield
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path, tmp_path_factory) -> Iterator[str]:
    """Serve the embedded GGUF with llama-cpp-python's OpenAI-compatible server.

    Yields the base URL (``http://127.0.0.1:PORT/v1``); the model alias is ``smollm2``.
    """
    port = free_port()
    cmd = [
        sys.executable, "-c", SERVE_PLAIN_BUFFERS, "--model", str(smollm2_gguf),
        "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048",
    ]
    base_url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path_factory.mktemp("server") / "llama_server.log"
    with serve(cmd, f"{base_url}/models", log):
        yield base_url
