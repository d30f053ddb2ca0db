"""`langgraph dev` serves langgraph.json; langgraph-sdk creates a thread and streams a run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAIServer
from tests.integration.conftest import free_port, serve

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory):
    port = free_port()
    cmd = [str(Path(sys.executable).parent / "langgraph"), "dev", "--host", "127.0.0.1",
           "--port", str(port), "--no-browser", "--no-reload"]
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("langgraph") / "dev.log"
    with serve(cmd, f"{url}/ok", log, cwd=ROOT):
        yield url


def test_server_streams_a_run_and_returns_the_answer(dev_server):
    from langgraph_sdk import get_sync_client

    client = get_sync_client(url=dev_server)
    assert any(a["graph_id"] == "decomp" for a in client.assistants.search())
    with FakeOpenAIServer("1. What is 2 times 3?\nFinal answer: 6") as llm:
        thread = client.threads.create()
        events = list(
            client.runs.stream(
                thread["thread_id"], "decomp",
                input={"question": "What is 2 times 3?"},
                context={"decomposer": "openai:fake", "solver": "openai:fake",
                         "base_url": llm.base_url, "verify": False,
                         "solve_scheme": "scaffold"},
                stream_mode=["updates", "custom"],
            )
        )
    updated = [next(iter(e.data)) for e in events if e.event == "updates"]
    assert updated[0] == "decompose" and updated[-1] == "aggregate" and "solve" in updated
    custom = [e.data["event"] for e in events if e.event == "custom"]
    assert custom == ["plan", "draft"]  # scaffold: the plan rides in one solver call
    state = client.threads.get_state(thread["thread_id"])["values"]
    assert state["answer"] == "6"
    assert state["subquestions"] == [{"question": "What is 2 times 3?", "answer": ""}]
    assert state["usage"]["solver"] == {"input_tokens": 11, "output_tokens": 3, "calls": 1,
                                       "model": "openai:fake", "hosted": True}
