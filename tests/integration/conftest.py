"""Integration fixtures: the embedded SmolLM2 GGUF and a real OpenAI-compatible server."""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    return embedded_gguf_path()


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path, tmp_path_factory) -> Iterator[str]:
    """Serve the embedded GGUF with llama-cpp-python's OpenAI-compatible server.

    Yields the base URL (``http://127.0.0.1:PORT/v1``); the model alias is ``smollm2``.
    """
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "llama_server.log"
    cmd = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf),
        "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", "2048",
    ]
    with log.open("wb") as out:
        env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        base_url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 120
        try:
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"llama_cpp.server exited:\n{log.read_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
                    time.sleep(0.5)
            yield base_url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
