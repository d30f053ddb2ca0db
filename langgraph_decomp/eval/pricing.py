"""Prices of hosted models and what a record cost, in US$ and in hosted units.

A price is US$ per million input and output tokens of one model string, from
``--price MODEL=IN/OUT`` or a JSON price file ``{"MODEL": {"input": IN, "output": OUT}}``.
Local models (:func:`~langgraph_decomp.models.is_local`) cost $0; a hosted model with no
price has an unknown cost (``None``), never a silent 0. Hosted units (input + 4 × output
tokens) are the cost proxy without prices: output tokens cost about 4× input tokens on the
common hosted models.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from langgraph_decomp.errors import DecompError
from langgraph_decomp.eval.harness import Record

OUTPUT_WEIGHT = 4
"""Hosted units count an output token as this many input tokens."""


class PriceError(DecompError, ValueError):
    """A malformed ``--price`` value or price file."""


class Price(BaseModel):
    """US$ per million input and output tokens of one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float
    output: float

    @field_validator("input", "output")
    @classmethod
    def _finite_non_negative(cls, value: float) -> float:
        if not math.isfinite(value) or value < 0:
            raise ValueError("a price is a finite number >= 0")
        return value

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """US$ for these token counts."""
        return (input_tokens * self.input + output_tokens * self.output) / 1e6


Prices = Mapping[str, Price]
"""Price per model string."""


def parse_price(text: str) -> tuple[str, Price]:
    """``"openai:gpt-4o-mini=0.15/0.60"`` → ``("openai:gpt-4o-mini", Price(0.15, 0.60))``."""
    model, sep, amounts = text.rpartition("=")
    given_in, slash, given_out = amounts.partition("/")
    if not sep or not model.strip() or not slash:
        raise PriceError(f"Bad --price {text!r}: use MODEL=IN/OUT, US$ per million input/"
                         "output tokens (openai:gpt-4o-mini=0.15/0.60)")
    try:
        return model.strip(), Price(input=float(given_in), output=float(given_out))
    except (ValueError, ValidationError):
        raise PriceError(f"Bad --price {text!r}: IN and OUT are numbers >= 0 "
                         "(US$ per million tokens)") from None


def load_price_file(path: Path) -> dict[str, Price]:
    """Prices from a JSON file ``{"MODEL": {"input": IN, "output": OUT}, ...}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise PriceError(f"Cannot read the price file {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise PriceError(f"{path}: not JSON ({e})") from None
    if not isinstance(data, dict):
        raise PriceError(f'{path}: expected {{"MODEL": {{"input": IN, "output": OUT}}, ...}}')
    prices = {}
    for model, price in data.items():
        try:
            prices[model] = Price.model_validate(price)
        except ValidationError:
            raise PriceError(f'{path}: {model!r} needs {{"input": IN, "output": OUT}}, US$ per '
                             f"million tokens, numbers >= 0; got {price!r}") from None
    return prices


def collect_prices(flags: Iterable[str] = (), file: Path | None = None) -> dict[str, Price]:
    """The prices of a price file, then of ``--price`` flags (a flag wins)."""
    prices = load_price_file(file) if file else {}
    prices.update(parse_price(flag) for flag in flags)
    return prices


def hosted_units(input_tokens: float, output_tokens: float) -> float:
    """The cost proxy without prices: input + 4 × output tokens."""
    return input_tokens + OUTPUT_WEIGHT * output_tokens


def role_cost(record: Record, role: str, prices: Prices) -> float | None:
    """US$ that ``role`` cost in ``record``: 0 for a local role or no tokens, ``None`` for a
    hosted model with no price (or a record that does not say which model served)."""
    used = record.usage.get(role, {})
    n_in, n_out = used.get("input_tokens", 0), used.get("output_tokens", 0)
    if role not in record.hosted_roles or not (n_in or n_out):
        return 0.0
    price = prices.get(record.models.get(role, ""))
    return price.cost(n_in, n_out) if price else None
