"""Local decomposer, hosted solver: any init_chat_model string, or an OpenAI-compatible URL.

    OPENAI_API_KEY=... python examples/hosted_solver.py openai:gpt-4o-mini
    python examples/hosted_solver.py openai:my-model http://127.0.0.1:8000/v1   # vLLM, llama.cpp

With no argument and no OPENAI_API_KEY it says what to pass and exits.
"""

import os
import sys

from langgraph_decomp import DecompError, build_graph

if len(sys.argv) < 2 and not os.environ.get("OPENAI_API_KEY"):
    sys.exit(__doc__.split("\n\n", 1)[1].rstrip())
solver = sys.argv[1] if len(sys.argv) > 1 else "openai:gpt-4o-mini"
base_url = sys.argv[2] if len(sys.argv) > 2 else None

graph = build_graph(solver=solver)  # decomposer: the shipped distilled local one
try:
    result = graph.invoke(
        {"question": "Ann has 12 stickers. She gives a third to Ben and buys 5. How many now?"},
        context={"base_url": base_url},
    )
except DecompError as e:  # no key, unknown provider, unreachable endpoint: a typed error
    sys.exit(f"error: {e}")
for i, sq in enumerate(result["subquestions"], 1):
    print(f"{i}. {sq['question']}\n   -> {sq['answer']}")
print("answer:", result["answer"])
print("tokens per role:", result["usage"])
