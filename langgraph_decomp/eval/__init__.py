"""Evaluation harness: one-stage vs two-stage strategies, accuracy and hosted cost per role.

Beside the library: it imports ``langgraph_decomp``, never the reverse.
"""

from langgraph_decomp.eval.checking import is_correct
from langgraph_decomp.eval.harness import Record, load_records, run_eval
from langgraph_decomp.eval.report import (
    Summary,
    finished_by_all,
    print_summary,
    summarize,
    write_reports,
)
from langgraph_decomp.eval.strategies import STRATEGY_NAMES, Strategy, make_strategies

__all__ = [
    "STRATEGY_NAMES",
    "Record",
    "Strategy",
    "Summary",
    "finished_by_all",
    "is_correct",
    "load_records",
    "make_strategies",
    "print_summary",
    "run_eval",
    "summarize",
    "write_reports",
]
