"""Evaluation harness: one-stage vs two-stage strategies, accuracy, hosted tokens and US$ per
role, paired tests against a baseline.

Beside the library: it imports ``langgraph_decomp``, never the reverse.
"""

from langgraph_decomp.eval.checking import is_correct, score
from langgraph_decomp.eval.harness import Record, load_records, run_eval
from langgraph_decomp.eval.pricing import Price, PriceError, collect_prices
from langgraph_decomp.eval.report import (
    Summary,
    conclusion,
    finished_by_all,
    print_summary,
    summarize,
    write_reports,
)
from langgraph_decomp.eval.stats import Paired, mcnemar_exact
from langgraph_decomp.eval.strategies import STRATEGY_NAMES, Strategy, make_strategies

__all__ = [
    "STRATEGY_NAMES",
    "Paired",
    "Price",
    "PriceError",
    "Record",
    "Strategy",
    "Summary",
    "collect_prices",
    "conclusion",
    "finished_by_all",
    "is_correct",
    "load_records",
    "make_strategies",
    "mcnemar_exact",
    "print_summary",
    "run_eval",
    "score",
    "summarize",
    "write_reports",
]
