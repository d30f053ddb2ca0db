"""langgraph-decomp: decompose hard questions with a small local model, solve with any model.

Public API:

- :data:`graph`: the compiled graph with the embedded defaults (what ``langgraph.json`` serves).
- :func:`build_graph`: compile it with your own models, checkpointer, cache or store.
- :class:`Context`: per-run models and knobs.
- :class:`Prompts`: every template the graph (and ``distill``) sends, to pass as
  ``build_graph(prompts=...)``.
- :func:`as_tool`: the graph as a LangChain tool for chatbots and agents.
- :func:`messages_node`: a node for parent graphs whose state is ``messages``.
- :mod:`langgraph_decomp.errors`: typed errors, all subclasses of :class:`DecompError`.
"""

from langgraph_decomp.context import DEFAULT_MODEL, Context
from langgraph_decomp.errors import (
    DecompError,
    InvalidInputError,
    ModelCallError,
    ModelConfigError,
)
from langgraph_decomp.graph import build_graph
from langgraph_decomp.messages import messages_node
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts
from langgraph_decomp.state import InputState, OutputState, SubQuestion
from langgraph_decomp.tool import as_tool

graph = build_graph()
"""The decomposition graph with the embedded default models (no key, no network)."""

__all__ = [
    "DEFAULT_MODEL",
    "DEFAULT_PROMPTS",
    "Context",
    "DecompError",
    "InputState",
    "InvalidInputError",
    "ModelCallError",
    "ModelConfigError",
    "OutputState",
    "Prompts",
    "SubQuestion",
    "as_tool",
    "build_graph",
    "graph",
    "messages_node",
]
__version__ = "0.1.0"
