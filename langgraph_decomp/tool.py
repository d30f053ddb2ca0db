"""The graph as a tool a chatbot or agent can call.

    from langchain.agents import create_agent
    from langgraph_decomp import as_tool

    agent = create_agent("openai:gpt-4o-mini", tools=[as_tool()])
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

DEFAULT_TOOL_NAME = "decompose_and_solve"
DEFAULT_TOOL_DESCRIPTION = (
    "Solve a multi-step reasoning or math word problem by splitting it into simpler "
    "sub-questions and answering them in order. Pass the full problem text as `question` "
    "(and any passage it refers to as `context`). Returns the final answer and the worked "
    "sub-questions."
)


class DecompToolInput(BaseModel):
    """Arguments of the decompose-and-solve tool."""

    question: str = Field(description="The complete problem to solve, with all its numbers.")
    context: str | None = Field(
        default=None, description="Optional passage the question refers to."
    )


def _format(out: dict[str, Any]) -> str:
    """Numbered sub-questions with their answers (``-> answer`` only where there is one),
    then the final answer."""
    lines = [f"{i}. {sq['question']}" + (f" -> {sq['answer']}" if sq.get("answer") else "")
             for i, sq in enumerate(out.get("subquestions") or [], 1)]
    lines.append(f"Final answer: {out.get('answer', '')}")
    return "\n".join(lines)


def as_tool(
    graph: CompiledStateGraph[Any, Any, Any, Any] | None = None,
    *,
    name: str = DEFAULT_TOOL_NAME,
    description: str = DEFAULT_TOOL_DESCRIPTION,
    context: dict[str, Any] | None = None,
) -> BaseTool:
    """Wrap the decomposition graph as a LangChain tool.

    The tool's content is the worked sub-questions and the final answer (what the calling
    model reads); its artifact is the graph's full output (answer, sub-questions, usage per
    role). The caller's config (callbacks, tracing, ``configurable`` model strings) flows into
    the graph run.

    Args:
        graph: A compiled graph from :func:`build_graph`; default: ``langgraph_decomp.graph``.
        name: Tool name shown to the model.
        description: Tool description shown to the model.
        context: Per-run :class:`~langgraph_decomp.Context` values, e.g. ``{"solver": ...}``.
    """
    if graph is None:
        from langgraph_decomp import graph as default_graph

        graph = default_graph
    # Any compiled graph, the caller's too; the run context goes in as a dict.
    run_graph: CompiledStateGraph[Any, Any, Any, Any] = graph

    run_context = context

    def _inputs(question: str, text: str | None) -> dict[str, Any]:
        return {"question": question, **({"context": text} if text else {})}

    def solve(
        question: str, config: RunnableConfig, context: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        out = run_graph.invoke(_inputs(question, context), config, context=run_context)
        return _format(out), out

    async def asolve(
        question: str, config: RunnableConfig, context: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        out = await run_graph.ainvoke(_inputs(question, context), config, context=run_context)
        return _format(out), out

    return StructuredTool.from_function(
        func=solve,
        coroutine=asolve,
        name=name,
        description=description,
        args_schema=DecompToolInput,
        response_format="content_and_artifact",
    )
