"""The graph as a node of your own graph: by its public schema, and in a `messages` chatbot.

    python examples/subgraph.py
"""

from langchain_core.messages import HumanMessage
from langgraph.graph import START, MessagesState, StateGraph
from typing_extensions import TypedDict

from langgraph_decomp import graph, messages_node

QUESTION = "A pen costs 2 dollars. How much do 3 pens cost?"
SMALL = {"max_subquestions": 3, "decomposer_max_tokens": 96, "solver_max_tokens": 96}


# 1. A parent that shares the public keys: it passes `question`, reads `answer`/`subquestions`.
class Homework(TypedDict, total=False):
    question: str
    answer: str
    subquestions: list
    student: str


parent = StateGraph(Homework)
parent.add_node("reason", graph)
parent.add_edge(START, "reason")
out = parent.compile().invoke({"question": QUESTION, "student": "Ann"}, context=SMALL)
print("subgraph answer:", out["answer"], "| sub-questions:", len(out["subquestions"]))

# 2. A chatbot whose state is `messages`: the adapter answers the last human message.
chat = StateGraph(MessagesState)
chat.add_node("reason", messages_node(context=SMALL))
chat.add_edge(START, "reason")
reply = chat.compile().invoke({"messages": [HumanMessage(QUESTION)]})["messages"][-1]
print("chatbot reply:", reply.content)
print("details:", reply.additional_kwargs["decomposition"]["usage"])
