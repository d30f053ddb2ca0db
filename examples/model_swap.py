"""One compiled graph, models chosen per run by string (context or configurable).

    python examples/model_swap.py                                   # both runs local
    python examples/model_swap.py openai:NAME http://127.0.0.1:8000/v1   # 2nd run: your endpoint
"""

import sys

from langgraph_decomp import graph

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"
SMALL = {"max_subquestions": 3, "decomposer_max_tokens": 96, "solver_max_tokens": 96}

# Through LangGraph 1.x context:
local = graph.invoke({"question": QUESTION}, context={**SMALL, "solver": "local:smollm2"})
print("local solver:", local["answer"], local["usage"]["solver"])

# Through config["configurable"] (what LangGraph server assistants and tools can pass):
solver = sys.argv[1] if len(sys.argv) > 1 else "local:smollm2"
base_url = sys.argv[2] if len(sys.argv) > 2 else None
swapped = graph.invoke(
    {"question": QUESTION},
    {"configurable": {**SMALL, "solver": solver, "base_url": base_url}},
)
print(f"{solver} solver:", swapped["answer"], swapped["usage"]["solver"])
