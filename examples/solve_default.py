"""Ask one question on the embedded default (SmolLM2-135M, no API key, offline).

    python examples/solve_default.py "A pen costs 2 dollars. How much do 3 pens cost?"
"""

import sys

from langgraph_decomp import graph

question = sys.argv[1] if len(sys.argv) > 1 else "A pen costs 2 dollars. How much do 3 pens cost?"
for mode, chunk in graph.stream({"question": question}, stream_mode=["custom", "values"]):
    if mode == "custom":
        print(chunk)
    else:
        result = chunk
print("answer:", result["answer"], "| numeric:", result["numeric_answer"])
print("usage:", result["usage"])
