"""Streaming: node updates, solver tokens, and custom events per sub-question.

    python examples/streaming.py
"""

from langgraph_decomp import graph

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"
SMALL = {"max_subquestions": 2, "decomposer_max_tokens": 96, "solver_max_tokens": 64}

for mode, chunk in graph.stream(
    {"question": QUESTION}, context=SMALL, stream_mode=["updates", "custom", "messages"]
):
    if mode == "updates":
        print(f"\n[update] {next(iter(chunk))}")
    elif mode == "custom":
        print(f"\n[event] {chunk}")
    else:  # "messages": (token chunk, metadata)
        token, meta = chunk
        if meta.get("langgraph_node") == "solve":
            print(token.content, end="", flush=True)
