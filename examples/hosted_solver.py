"""Local decomposer, hosted solver: any init_chat_model string, or an OpenAI-compatible URL.

    OPENAI_API_KEY=... python examples/hosted_solver.py openai:gpt-4o-mini
    python examples/hosted_solver.py openai:my-model http://127.0.0.1:8000/v1   # vLLM, llama.cpp
"""

import sys

from langgraph_decomp import build_graph

solver = sys.argv[1] if len(sys.argv) > 1 else "openai:gpt-4o-mini"
base_url = sys.argv[2] if len(sys.argv) > 2 else None

graph = build_graph(solver=solver)  # decomposer: the embedded local SmolLM2
result = graph.invoke(
    {"question": "Ann has 12 stickers. She gives a third to Ben and buys 5. How many now?"},
    context={"base_url": base_url},
)
for i, sq in enumerate(result["subquestions"], 1):
    print(f"{i}. {sq['question']}\n   -> {sq['answer']}")
print("answer:", result["answer"])
print("tokens per role:", result["usage"])
