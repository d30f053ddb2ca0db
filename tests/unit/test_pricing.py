"""Prices and dollars: parsing, price files, per-role US$ of a record, unknown prices."""

import json

import pytest

from langgraph_decomp.eval import Record, summarize
from langgraph_decomp.eval.pricing import (
    Price,
    PriceError,
    collect_prices,
    hosted_units,
    load_price_file,
    parse_price,
    role_cost,
)
from langgraph_decomp.eval.report import to_markdown

PRICES = {"openai:big": Price(input=2.50, output=10.00),
          "openai:small": Price(input=0.15, output=0.60)}


def two_role_record(**overrides) -> Record:
    """Decomposer openai:big, solver (and verifier) openai:small, given token counts."""
    fields = dict(
        id="q1", strategy="two-stage:teacher", question="?", gold="1",
        usage={"decomposer": {"calls": 1, "input_tokens": 1000, "output_tokens": 200},
               "solver": {"calls": 2, "input_tokens": 3000, "output_tokens": 500}},
        hosted_roles=["decomposer", "solver", "verifier"],
        models={"decomposer": "openai:big", "solver": "openai:small",
                "verifier": "openai:small"},
    )
    return Record(**{**fields, **overrides})


def test_dollars_of_a_two_role_record_by_hand():
    record = two_role_record()
    # decomposer: 1000 × $2.50/M + 200 × $10/M = $0.0025 + $0.002
    assert role_cost(record, "decomposer", PRICES) == pytest.approx(0.0045)
    # solver: 3000 × $0.15/M + 500 × $0.60/M = $0.00045 + $0.0003
    assert role_cost(record, "solver", PRICES) == pytest.approx(0.00075)
    assert role_cost(record, "verifier", PRICES) == 0.0  # no tokens, no cost
    (s,) = summarize([record], prices=PRICES)
    assert s.cost_per_q == pytest.approx(0.00525)
    assert s.cost_by_role == {"decomposer": pytest.approx(0.0045),
                              "solver": pytest.approx(0.00075), "verifier": 0.0}
    assert (s.hosted_in_per_q, s.hosted_out_per_q) == (4000, 700)
    assert s.hosted_units_per_q == 4000 + 4 * 700
    assert s.solver_calls_per_q == 2
    assert s.cost_basis == "$"
    assert "| $0.00525 | dec $0.00450, sol $0.000750 |" in to_markdown([s])


def test_an_unpriced_hosted_model_shows_a_dash_not_zero():
    only_big = {"openai:big": PRICES["openai:big"]}
    record = two_role_record()
    assert role_cost(record, "solver", only_big) is None
    (s,) = summarize([record], prices=only_big)
    assert s.cost_per_q is None and s.cost_by_role["solver"] is None
    assert s.cost_by_role["decomposer"] == pytest.approx(0.0045)
    assert s.cost_basis == "hosted units"
    header, _, row = to_markdown([s]).splitlines()[:3]
    cells = dict(zip(header.split(" | "), row.split(" | "), strict=True))
    assert cells["$/q"] == "-" and cells["$ by role/q"] == "dec $0.00450, sol -"


def test_local_models_cost_nothing_without_a_price():
    record = two_role_record(
        hosted_roles=["solver", "verifier"],
        models={"decomposer": "llamacpp:smollm2", "solver": "openai:small",
                "verifier": "openai:small"},
    )
    assert role_cost(record, "decomposer", {}) == 0.0
    (s,) = summarize([record], prices={"openai:small": PRICES["openai:small"]})
    assert s.cost_per_q == pytest.approx(0.00075)
    assert s.hosted_in_per_q == 3000  # the local decomposer's tokens are not hosted


def test_a_record_without_model_strings_has_unknown_hosted_cost():
    record = two_role_record(models={})  # written before records kept their models
    assert role_cost(record, "solver", PRICES) is None


def test_parse_price():
    assert parse_price("openai:gpt-4o-mini=0.15/0.60") == (
        "openai:gpt-4o-mini", Price(input=0.15, output=0.60))
    assert parse_price(" openai:x = 1 / 4") == ("openai:x", Price(input=1, output=4))
    assert hosted_units(100, 50) == 300


@pytest.mark.parametrize(
    "text",
    ["openai:x", "openai:x=0.15", "=0.15/0.60", "openai:x=cheap/0.6", "openai:x=0.1/",
     "openai:x=-1/2", "openai:x=nan/1", "openai:x=1/inf", "openai:x=1/2/3"],
)
def test_parse_price_rejects_malformed_values(text):
    with pytest.raises(PriceError, match="Bad --price"):
        parse_price(text)


def test_price_file_and_flags(tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps({"openai:big": {"input": 2.5, "output": 10},
                                "openai:small": {"input": 0.15, "output": 0.6}}))
    assert load_price_file(path) == PRICES
    prices = collect_prices(["openai:small=1/2"], path)  # a flag wins over the file
    assert prices["openai:small"] == Price(input=1, output=2)
    assert prices["openai:big"] == PRICES["openai:big"]

    for bad in ([1, 2], {"openai:x": {"input": 1}}, {"openai:x": {"input": 1, "output": -1}},
                {"openai:x": {"input": 1, "output": 2, "cached": 0.5}}):
        path.write_text(json.dumps(bad))
        with pytest.raises(PriceError):
            load_price_file(path)
    path.write_text("{not json")
    with pytest.raises(PriceError, match="not JSON"):
        load_price_file(path)
    with pytest.raises(PriceError, match="Cannot read"):
        load_price_file(tmp_path / "missing.json")
