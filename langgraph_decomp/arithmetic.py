"""A local check of the calculations a solver writes out: free, before any paid re-check.

A worked line such as ``2. 12 / 3 = 4`` or ``He pays 3 * $7.50 = $22.50`` states a
calculation and its result; :func:`arithmetic_slips` recomputes each ``expression = number``
it finds (numbers, ``+ - * / x × ÷`` and parentheses only, read with :mod:`ast`, never
``eval``) and reports the ones whose stated result is off. Rounded results pass (``10 / 3 =
3.33``). Lines with words inside the expression are not read.
"""

from __future__ import annotations

import ast
import operator
import re

_TRAILING_EXPR = re.compile(r"[\d.,$€£()+\-*/×÷x\s]+$")
_LEADING_NUMBER = re.compile(r"^\s*[$€£]?\s*(-?\d[\d,]*(?:\.\d+)?|-?\.\d+)")
_HAS_OPERATOR = re.compile(r"\d\s*[)]*\s*[+\-*/]\s*[(]*\s*[\d.]")
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv}
_MAX_MAGNITUDE = 1e15


def _value(node: ast.AST) -> float:
    if (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _value(node.operand)
        return -inner if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _value(node.left), _value(node.right)
        result = _OPS[type(node.op)](left, right)
        if abs(result) > _MAX_MAGNITUDE:
            raise ValueError("too large")
        return result
    raise ValueError("not arithmetic")


def evaluate(expression: str) -> float | None:
    """The value of a plain arithmetic expression (``"3 x $7.50"``), or ``None``."""
    text = re.sub(r"[$€£]", "", expression).replace("×", "*").replace("÷", "/")
    text = re.sub(r"(?<=[\d)])\s*x\s*(?=[\d(.])", "*", text)
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # thousands separators
    if not _HAS_OPERATOR.search(text):
        return None
    try:
        return _value(ast.parse(text.strip(), mode="eval").body)
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError):
        return None


def _close(value: float, stated: str) -> bool:
    """``stated`` is ``value``, or ``value`` rounded to as many decimals as ``stated`` has."""
    number = float(stated)
    if abs(value - number) <= 1e-6 * max(1.0, abs(value)):
        return True
    decimals = len(stated.partition(".")[2])
    return decimals > 0 and abs(round(value, decimals) - number) < 1e-9


def arithmetic_slips(text: str) -> list[str]:
    """Each ``expression = result`` in ``text`` whose result is wrong, as
    ``"3 * 7 = 24 (it is 21)"``; empty when every calculation checks out."""
    slips: list[str] = []
    for line in (text or "").splitlines():
        line = re.sub(r"^\s*\d{1,2}\s*[.):]\s+", "", line)  # a list number is no operand
        parts = line.split("=")
        for left, right in zip(parts, parts[1:], strict=False):
            expr, stated = _TRAILING_EXPR.search(left), _LEADING_NUMBER.match(right)
            if not expr or not stated:
                continue
            value = evaluate(expr.group(0))
            if value is not None and not _close(value, stated.group(1).replace(",", "")):
                shown = f"{value:.4f}".rstrip("0").rstrip(".")
                slips.append(f"{expr.group(0).strip()} = {stated.group(1)} (it is {shown})")
    return slips
