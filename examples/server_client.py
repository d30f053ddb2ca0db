"""Talk to the graph served by LangGraph server (`langgraph dev` in the repo root).

    langgraph dev --no-browser          # serves langgraph.json on http://127.0.0.1:2024
    python examples/server_client.py http://127.0.0.1:2024
"""

import sys

from langgraph_sdk import get_sync_client

client = get_sync_client(url=sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:2024")
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
