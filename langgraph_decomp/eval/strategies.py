"""Strategies: each one a configuration of the same graph, never a separate code path."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, get_args, get_type_hints

from langgraph_decomp.context import Context
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


def _scalar_fields() -> tuple[dict[str, type], frozenset[str]]:
    """Context fields a ``+field=value`` override may set, by value type, and those of them
    that also take ``none`` (``float | None`` and the like; ``api_key`` is never one)."""
    hints = get_type_hints(Context)
    types: dict[str, type] = {}
    nullable: set[str] = set()
    for f in fields(Context):
        if f.default is MISSING:
            continue
        args = [a for a in get_args(hints[f.name]) if a is not type(None)]
        if f.default is None and len(args) == 1:
            types[f.name] = args[0]
            nullable.add(f.name)
        else:
            types[f.name] = type(f.default)
    return ({k: t for k, t in types.items() if t in (bool, int, float, str)},
            frozenset(nullable))


_FIELD_TYPES, _NULLABLE = _scalar_fields()
_TUNABLE = set(_FIELD_TYPES)


def _coerce(key: str, value: str) -> Any:
    kind = _FIELD_TYPES[key]
    if key in _NULLABLE and value.lower() in ("none", "null"):
        return None
    if kind is bool:
        if value.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise StrategyError(f"{key} takes true/false, got {value!r}")
        return value.lower() in ("true", "1", "yes", "on")
    try:
        return kind(value)
    except ValueError:
        raise StrategyError(f"{key} takes a {kind.__name__}, got {value!r}") from None


def parse_overrides(spec: str) -> tuple[str, dict[str, Any]]:
    """Split ``"two-stage:distilled+solve_scheme=paper+max_subquestions=3"`` into the base
    strategy name and typed :class:`Context` overrides."""
    base, *parts = spec.split("+")
    overrides: dict[str, Any] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep or key not in _TUNABLE:
            raise StrategyError(
                f"Bad override {part!r} in {spec!r}: use +field=value with a Context field "
                f"({', '.join(sorted(_TUNABLE))})"
            )
        overrides[key] = _coerce(key, value)
    try:
        Context(**overrides)
    except DecompError as e:
        raise StrategyError(f"{spec!r}: {e}") from None
    return base, overrides


def make_strategies(
    names: list[str],
    *,
    teacher: str | None = None,
    local: str = "local:smollm2",
    distilled: str | None = None,
) -> list[Strategy]:
    """Build the named strategies.

    - ``one-stage``: the solver answers directly, in chain of thought
      (``one-stage+solve_scheme=program``: it writes a program the graph computes).
    - ``two-stage:teacher`` (alias ``two-stage``): a hosted/teacher decomposer plans;
      default teacher: the solver itself.
    - ``two-stage:local``: the untrained local decomposer plans.
    - ``two-stage:distilled``: a distilled local decomposer plans (``distilled`` string).
    - ``two-stage:oracle``: the data's human-written sub-questions are the plan.

    Any name takes ``+field=value`` :class:`Context` overrides, so knobs are compared as
    strategies: ``two-stage:oracle+solve_scheme=paper``, ``one-stage+temperature=0.7``.
    """
    out: list[Strategy] = []
    for spec in names:
        raw, overrides = parse_overrides(spec)
        name = "two-stage:teacher" if raw == "two-stage" else raw
        before = len(out)
        if name == "one-stage":
            # Chain of thought, whatever the default scheme (every scheme but ``program``
            # answers a question without a plan that way).
            out.append(Strategy(name, {"decompose": False, "solve_scheme": "scaffold"},
                                description="solver answers directly (chain of thought)"))
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
        if overrides and len(out) > before:
            made = out[-1]
            knobs = ", ".join(f"{k}={v}" for k, v in overrides.items())
            out[-1] = Strategy(spec, {**made.context, **overrides}, made.oracle_plan,
                               f"{made.description}; {knobs}")
    return out
