"""The graph inside a retrieval-style agent: passages in, answer and worked sub-questions out.

    python examples/retrieval_agent.py                      # embedded models, offline
    python examples/retrieval_agent.py "How many more pages did Ann read on Tuesday?"

The parent is a chatbot (`messages`) that retrieves passages into `context: list[Document]`
(the key most retrieval graphs use) and adds this library's compiled graph as a node: the
graph reads `question` and `context` as they are and writes `answer` and `subquestions`.
The retriever here ranks a few in-memory passages by shared words; put your vector store's
retriever in its place.
"""

import re
import sys

from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.graph import START, MessagesState, StateGraph

from langgraph_decomp import graph

PASSAGES = [
    Document(page_content="On Monday Ann read 12 pages of her book.", metadata={"id": 1}),
    Document(page_content="On Tuesday Ann read twice as many pages as on Monday.",
             metadata={"id": 2}),
    Document(page_content="Ann's brother Tom plays football on Tuesdays.", metadata={"id": 3}),
    Document(page_content="The library opens at 9 am.", metadata={"id": 4}),
]
QUESTION = "How many pages did Ann read on Monday and Tuesday together?"
SMALL = {"max_subquestions": 3, "decomposer_max_tokens": 96, "solver_max_tokens": 160}


class RagState(MessagesState, total=False):
    question: str
    context: list[Document]
    answer: str
    subquestions: list


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower())) - {"the", "on", "of", "did", "how", "as"}


def ask(state: RagState) -> dict:
    return {"question": state["messages"][-1].content}


def retrieve(state: RagState) -> dict:
    query = words(state["question"])
    ranked = sorted(PASSAGES, key=lambda d: -len(query & words(d.page_content)))
    return {"context": ranked[:2]}


def reply(state: RagState) -> dict:
    steps = "\n".join(f"{i}. {s['question']} -> {s['answer']}"
                      for i, s in enumerate(state.get("subquestions") or [], 1))
    return {"messages": [AIMessage(f"{steps}\nAnswer: {state['answer']}".strip())]}


builder = StateGraph(RagState)
builder.add_node("ask", ask)
builder.add_node("retrieve", retrieve)
builder.add_node("reason", graph)  # this library's graph, as it is
builder.add_node("reply", reply)
builder.add_edge(START, "ask")
builder.add_edge("ask", "retrieve")
builder.add_edge("retrieve", "reason")
builder.add_edge("reason", "reply")
agent = builder.compile()

if __name__ == "__main__":
    question = sys.argv[1] if len(sys.argv) > 1 else QUESTION
    out = agent.invoke({"messages": [HumanMessage(question)]}, context=SMALL)
    print("passages:", [d.metadata["id"] for d in out["context"]])
    print(out["messages"][-1].content)
