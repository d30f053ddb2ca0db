"""Every example runs as a newcomer runs it: no arguments, no key, no server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
EXAMPLES = Path(__file__).parents[2] / "examples"
NEEDS_MORE = {"hosted_solver.py": "OPENAI_API_KEY", "server_client.py": "langgraph dev",
              "worker.py": "DATABASE_URL"}
OFFLINE = sorted(p.name for p in EXAMPLES.glob("*.py") if p.name not in NEEDS_MORE)


def run_example(name: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_API_KEY") and not k.startswith("LANGSMITH")
           and k not in ("DATABASE_URL", "REDIS_URL")}
    return subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                          text=True, timeout=600, env=env, cwd=EXAMPLES.parent)


@pytest.mark.parametrize("name", OFFLINE)
def test_offline_examples_run_on_the_embedded_default(name):
    done = run_example(name)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.strip()


@pytest.mark.parametrize("name", sorted(NEEDS_MORE))
def test_examples_that_need_more_say_what_in_one_line_and_exit_non_zero(name):
    done = run_example(name)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert NEEDS_MORE[name] in done.stderr + done.stdout
