"""LangChain messages as chat-template dicts, and replies cut at stop strings: what both
local backends share."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage

CHAT_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
"""LangChain message types as chat-template roles."""


def chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Messages as ``{"role", "content"}`` dicts for a chat template."""
    return [{"role": CHAT_ROLES.get(m.type, "user"), "content": m.text} for m in messages]


def cut_at(text: str, stop: Sequence[str]) -> str:
    """``text`` up to the first stop string (transformers keeps the stop string itself)."""
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[: min(cuts)] if cuts else text
