"""Per-run budget: hosted tokens, model calls and a deadline.

The budget is checked before each wave of solve tasks and before each verifier call; the
calls inside one solve task (self-consistency samples, ``vote`` candidates) finish together.
Once it is spent the graph stops asking models, answers with the best it has (the answer to
the question, else the last rejected answer, else the last sub-answer) and says why in
``stopped``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from langgraph_decomp.context import Context
from langgraph_decomp.models import RoleModels
from langgraph_decomp.state import ROLES, RoleUsage


def hosted_tokens(usage: Mapping[str, RoleUsage], models: RoleModels, ctx: Context) -> int:
    """Input plus output tokens of the roles whose model is hosted in this run, as each
    role's usage says (``hosted``, written by the call that spent them); usage without that
    flag (a checkpoint written by an older version) falls back to :meth:`RoleModels.hosted`
    (a ready local model object counts as local too)."""
    total = 0
    for role, spent in usage.items():
        hosted = spent.get("hosted")
        if hosted is None:
            hosted = role in ROLES and models.hosted(role, ctx)  # type: ignore[arg-type]  # a str checked to be in ROLES: one of the Role literals
        if hosted:
            total += spent["input_tokens"] + spent["output_tokens"]
    return total


def budget_spent(
    usage: Mapping[str, RoleUsage] | None,
    started_at: float | None,
    models: RoleModels,
    ctx: Context,
) -> str | None:
    """Why the run must stop now (``"max_calls=4 reached"``), or ``None`` to go on."""
    usage = usage or {}
    if ctx.max_calls is not None:
        calls = sum(u["calls"] for u in usage.values())
        if calls >= ctx.max_calls:
            return f"max_calls={ctx.max_calls} reached ({calls} calls)"
    if ctx.max_hosted_tokens is not None:
        tokens = hosted_tokens(usage, models, ctx)
        if tokens >= ctx.max_hosted_tokens:
            return f"max_hosted_tokens={ctx.max_hosted_tokens} reached ({tokens} tokens)"
    if ctx.deadline_s is not None and started_at is not None:
        elapsed = time.time() - started_at
        if elapsed >= ctx.deadline_s:
            return f"deadline_s={ctx.deadline_s:g} passed ({elapsed:.1f} s)"
    return None
