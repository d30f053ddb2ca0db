"""Serve the stand-in solver (``../shared/tools/standin-solver.sh serve PORT``) with its weights
in llama.cpp's plain CPU buffers, as the library loads its own models.

On an Intel Xeon with AMX, llama.cpp's AMX weight layout segfaulted at the first decode
(2026-12-06 machine, llama-cpp-python 0.3.36; llama.cpp issue #20824): the shared script's
server then dies on its first request and every eval call fails with a connection error.
This runs the same deterministic server (``standin_server.py``: each request re-reads its
whole prompt) inside :func:`~langgraph_decomp.models.llamacpp.without_amx_weights`.

    python bench/serve_standin.py 8011 &
"""

from __future__ import annotations

import argparse
import os
import runpy
import subprocess
import sys
from pathlib import Path

from langgraph_decomp.models.llamacpp import without_amx_weights

TOOLS = Path(__file__).resolve().parents[2] / "shared" / "tools"


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the stand-in solver, plain CPU buffers.")
    parser.add_argument("port", nargs="?", default="8011", help="127.0.0.1 port (default 8011)")
    port = parser.parse_args().port
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as standin-solver.sh serves it
    gguf = subprocess.run([str(TOOLS / "standin-solver.sh")], check=True, text=True,
                          capture_output=True).stdout.strip()  # builds it once into the cache
    sys.argv = ["standin_server.py", "--model", gguf, "--model_alias", "standin-solver",
                "--host", "127.0.0.1", "--port", port, "--n_ctx", "4096"]
    with without_amx_weights():
        runpy.run_path(str(TOOLS / "standin_server.py"), run_name="__main__")


if __name__ == "__main__":
    main()
