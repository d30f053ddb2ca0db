"""Adapter for chatbot graphs whose state is a list of ``messages``.

    builder = StateGraph(MessagesState)
    builder.add_node("reason", messages_node())     # reads the last human message,
    builder.add_edge(START, "reason")               # appends an AI message with the answer
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph.state import CompiledStateGraph

from langgraph_decomp.errors import InvalidInputError


def last_human_text(messages: list[BaseMessage]) -> str:
    """The text of the last human message.

    Raises:
        InvalidInputError: there is no human message.
    """
    for message in reversed(messages or []):
        if isinstance(message, HumanMessage):
            return message.text
    raise InvalidInputError("No human message to answer in 'messages'.")


def messages_node(
    graph: CompiledStateGraph[Any, Any, Any, Any] | None = None,
    *,
    context: dict[str, Any] | None = None,
) -> Callable[[dict[str, Any], RunnableConfig], dict[str, Any]]:
    """A node for a ``messages`` state: answer the last human message with the graph.

    The AI message's content is the answer; ``additional_kwargs["decomposition"]`` holds the
    sub-questions, usage per role and whether the question was decomposed.
    """
    if graph is None:
        from langgraph_decomp import graph as default_graph

        graph = default_graph
    # Any compiled graph, the caller's too; the run context goes in as a dict.
    run_graph: CompiledStateGraph[Any, Any, Any, Any] = graph

    def reason(state: dict[str, Any], config: RunnableConfig) -> dict[str, Any]:
        out = run_graph.invoke(
            {"question": last_human_text(state["messages"])}, config, context=context
        )
        details = {k: out.get(k) for k in ("subquestions", "usage", "decomposed", "verified")}
        return {
            "messages": [
                AIMessage(content=out["answer"], additional_kwargs={"decomposition": details})
            ]
        }

    return reason
