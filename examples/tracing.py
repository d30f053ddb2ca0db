"""What a trace shows: run names per node and model, role tags, model metadata, tokens.

To send the same runs to LangSmith, set before running:
    LANGSMITH_TRACING=true LANGSMITH_API_KEY=... [LANGSMITH_PROJECT=my-project]

    python examples/tracing.py
"""

from langchain_core.callbacks import BaseCallbackHandler

from langgraph_decomp import graph


class PrintRuns(BaseCallbackHandler):
    def on_chat_model_start(self, serialized, messages, *, tags=None, metadata=None, **kw):
        role = next((t for t in tags or [] if t.startswith("role:")), "")
        print(f"{kw.get('name'):14} {role:16} model={metadata.get('model')}")

    def on_llm_end(self, response, **kw):
        message = response.generations[0][0].message
        print(f"{'':14} tokens: {message.usage_metadata}")


out = graph.invoke(
    {"question": "A pen costs 2 dollars. How much do 3 pens cost?"},
    {"callbacks": [PrintRuns()], "run_name": "pens"},
    context={"max_subquestions": 2, "decomposer_max_tokens": 96, "solver_max_tokens": 64},
)
print("usage per role:", out["usage"])
