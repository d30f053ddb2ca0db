"""A process killed mid-run resumes from its SQLite checkpoint without re-paying finished
sub-questions."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

PLAN = "1. How many apples after buying?\n2. How many after eating?\n3. How many boxes?"
QUESTION = "Tom has 3 apples and buys 5 more. He eats 2, then packs 3 per box. How many boxes?"

RUN = textwrap.dedent('''
    import os, sys
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langgraph_decomp import build_graph
    from tests.fakes import RuleChat, ScriptedChat

    db, log, kill, plan, question = sys.argv[1:]
    kill = kill == "kill"

    ANSWERS = {"How many apples after buying?": "Answer: 8",
               "How many after eating?": "Answer: 6", "How many boxes?": "Answer: 2"}

    def solve(prompt):
        asked = (prompt.split("Sub-question:")[1].strip().splitlines()[0]
                 if "Sub-question:" in prompt else "the question")
        if kill and asked == "How many boxes?":
            os._exit(9)  # the process dies mid-run, with no cleanup
        with open(log, "a") as f:
            f.write(asked + "\\n")
        return ANSWERS.get(asked, "Final answer: 2")

    with SqliteSaver.from_conn_string(db) as saver:
        graph = build_graph(decomposer=ScriptedChat.of(plan), solver=RuleChat.by(solve),
                            checkpointer=saver)
        config = {"configurable": {"thread_id": "t1"}}
        inputs = {"question": question} if kill else None
        out = graph.invoke(inputs, config, context={"solve_scheme": "stepwise",
                           "verify": False}, durability="sync")
        print("ANSWER", out["answer"])
''')


def test_a_killed_process_resumes_on_its_thread_and_pays_only_unfinished_steps(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RUN)
    db, log = tmp_path / "checkpoints.sqlite", tmp_path / "solver.log"

    def run(mode: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(script), str(db), str(log), mode,
                               PLAN, QUESTION],
                              cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})

    killed = run("kill")
    assert killed.returncode == 9, killed.stderr
    assert log.read_text().splitlines() == [
        "How many apples after buying?", "How many after eating?"
    ]
    resumed = run("resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "ANSWER 2" in resumed.stdout
    # Steps 1 and 2 were not paid again: only step 3 and the question itself.
    calls = log.read_text().splitlines()
    assert calls[2:] == ["How many boxes?", "the question"]
