"""Strategies: each one a configuration of the same graph, never a separate code path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langgraph_decomp.context import DEFAULT_MODEL
from langgraph_decomp.errors import DecompError


class StrategyError(DecompError, ValueError):
    """An unknown strategy, or one whose model was not given."""


@dataclass(frozen=True)
class Strategy:
    """A named graph configuration: ``Context`` overrides, and whether to pass the data's
    own sub-questions as the plan."""

    name: str
    context: dict[str, Any] = field(default_factory=dict)
    oracle_plan: bool = False
    description: str = ""


STRATEGY_NAMES = (
    "one-stage",
    "two-stage:teacher",
    "two-stage:local",
    "two-stage:distilled",
    "two-stage:oracle",
)


def make_strategies(
    names: list[str],
    *,
    teacher: str | None = None,
    local: str = DEFAULT_MODEL,
    distilled: str | None = None,
) -> list[Strategy]:
    """Build the named strategies.

    - ``one-stage``: the solver answers directly (it may reason step by step).
    - ``two-stage:teacher`` (alias ``two-stage``): a hosted/teacher decomposer plans;
      default teacher: the solver itself.
    - ``two-stage:local``: the untrained local decomposer plans.
    - ``two-stage:distilled``: a distilled local decomposer plans (``distilled`` string).
    - ``two-stage:oracle``: the data's human-written sub-questions are the plan.
    """
    out: list[Strategy] = []
    for raw in names:
        name = "two-stage:teacher" if raw == "two-stage" else raw
        if name == "one-stage":
            out.append(Strategy(name, {"decompose": False}, description="solver answers directly"))
        elif name == "two-stage:teacher":
            ctx = {"decomposer": teacher} if teacher else {}
            out.append(Strategy(name, ctx, description=f"decomposer: {teacher or 'the solver'}"))
        elif name == "two-stage:local":
            out.append(Strategy(name, {"decomposer": local}, description=f"decomposer: {local}"))
        elif name == "two-stage:distilled":
            if not distilled:
                raise StrategyError("two-stage:distilled needs --distilled 'hf:<path>'")
            out.append(
                Strategy(name, {"decomposer": distilled}, description=f"decomposer: {distilled}")
            )
        elif name == "two-stage:oracle":
            out.append(Strategy(name, oracle_plan=True, description="human sub-questions"))
        else:
            raise StrategyError(
                f"Unknown strategy {raw!r}; known: {', '.join(STRATEGY_NAMES)}, two-stage"
            )
    return out
