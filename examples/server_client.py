"""Talk to the graph served by LangGraph server (`langgraph dev` in the repo root).

    langgraph dev --no-browser --port 2025   # serves langgraph.json on http://127.0.0.1:2025
    python examples/server_client.py http://127.0.0.1:2025

With no server at the URL it says how to start one and exits.
"""

import sys

import httpx
from langgraph_sdk import get_sync_client

url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:2025"
try:
    httpx.get(f"{url}/ok", timeout=3).raise_for_status()
except httpx.HTTPError:
    sys.exit(f"No LangGraph server at {url}. Start one in the repo root with\n"
             "    langgraph dev --no-browser --port 2025\nthen run this again (or pass its URL).")

client = get_sync_client(url=url)
thread = client.threads.create()
for event in client.runs.stream(
    thread["thread_id"],
    "decomp",
    input={"question": "A pen costs 2 dollars. How much do 3 pens cost?"},
    context={"max_subquestions": 2, "decomposer_max_tokens": 96},  # or {"solver": "openai:..."}
    stream_mode=["updates", "custom"],
):
    print(event.event, event.data)
print(client.threads.get_state(thread["thread_id"])["values"]["answer"])
