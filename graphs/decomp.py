"""Entry point for `langgraph dev` / LangGraph server (see langgraph.json)."""

from langgraph_decomp import graph

__all__ = ["graph"]
