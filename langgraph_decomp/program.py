"""The solver's program, run locally: the ``program`` solving scheme's answers.

Under ``solve_scheme="program"`` the solver answers each sub-question with one line of
Python, ``name = expression`` (a calculation from the question's numbers and earlier names,
or a number, quoted text or ``True``/``False`` it knows), and a last line ``answer = ...``.
The solver writes the calculations; this module computes them, free, on the caller's
machine: :func:`run_program` reads the assignment lines in order and evaluates each right-hand
side with :mod:`simpleeval` (names, numbers, strings, arithmetic, comparisons and a few pure
functions; no attribute access, imports, calls of anything else or loops, and its caps on
powers and string lengths). Other lines (code fences, comments, ``print``) are skipped.

:meth:`ProgramRun.render` writes a run back as the solver's draft: every computed line with
its value as a comment, then ``Final answer: <value>``, so the rest of the graph reads the
answer like any other scheme's (:func:`~langgraph_decomp.answers.extract_answer`). A line that
cannot be computed stops the run: :attr:`ProgramRun.error` says which and why, and the
``verify`` node sends it back to the solver once (``Context.max_repairs``). A reply with no
assignment line at all (a solver that answered in prose) is kept in the draft as written, and
once its repair is spent the answer is the one its prose states (``Final answer: ...``,
:attr:`ProgramRun.stated`), else :data:`UNKNOWN`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict
from simpleeval import InvalidExpression, SimpleEval

from langgraph_decomp.answers import stated_answer

MAX_PROGRAM_LINES = 64
"""Assignment lines read from one reply; later ones are ignored."""

ANSWER_NAME = "answer"
"""The variable that holds the answer to the question itself."""

UNKNOWN = "unknown"
"""The answer of a program that computed nothing."""

_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)\s*(.+?)\s*$")
_FENCE = re.compile(r"^\s*```")
_MAX_MAGNITUDE = 1e15
_FUNCTIONS = {"abs": abs, "round": round, "min": min, "max": max, "int": int, "float": float,
              "floor": math.floor, "ceil": math.ceil, "sqrt": math.sqrt}
"""Functions a line may call: pure and bounded."""


class ProgramLine(BaseModel):
    """One computed assignment: ``name = expression`` and the value it gave."""

    model_config = ConfigDict(frozen=True)

    name: str
    expression: str
    value: Any


class ProgramRun(BaseModel):
    """What :func:`run_program` made of a reply."""

    model_config = ConfigDict(frozen=True)

    lines: list[ProgramLine]
    """The assignments computed, in order, up to the first that failed."""
    error: str | None = None
    """``"line 2: age_peter = 100 - age_john: 'age_john' is not defined"``, or ``None``."""
    rest: list[str] = []
    """The reply's lines from the failed one on, as written (kept in the draft); all of them
    when none was an assignment."""
    stated: str = ""
    """When the reply has no assignment line at all: the answer its prose states after an
    answer marker (``Final answer: 6``), else ``""``. Used only in place of :data:`UNKNOWN`:
    a solver that will not write programs still gets its own answer through, once its repair
    has been tried (see :attr:`final`)."""

    @property
    def ok(self) -> bool:
        """Every assignment was computed and there was at least one."""
        return self.error is None and bool(self.lines)

    @property
    def answer(self) -> str:
        """The value of ``answer`` (else of the last line computed) as answer text, or ``""``.

        On a failed run this is the best partial answer: the last value computed.
        """
        values = {line.name: line.value for line in self.lines}
        if ANSWER_NAME in values:
            return format_value(values[ANSWER_NAME])
        return format_value(self.lines[-1].value) if self.lines else ""

    @property
    def final(self) -> str:
        """The answer the run gives: :attr:`answer`, else :attr:`stated`, else ``""``."""
        return self.answer or self.stated

    def step_values(self, n_steps: int) -> dict[int, str]:
        """The sub-questions' answers by 0-based index, when the program has one line per
        sub-question before its ``answer`` line (else none: which line answers which
        sub-question is then unknown)."""
        steps = [line for line in self.lines if line.name != ANSWER_NAME]
        if self.error is not None or len(steps) != n_steps:
            return {}
        return {i: f"{line.name} = {format_value(line.value)}" for i, line in enumerate(steps)}

    def render(self) -> str:
        """The draft text: computed lines with their values, any failed and later lines as
        written, the error, and ``Final answer: <answer>`` (:attr:`final`; :data:`UNKNOWN`
        without one)."""
        out = [f"{line.name} = {line.expression}  # {format_value(line.value)}"
               for line in self.lines]
        out += self.rest
        if self.error:
            out.append(f"# error: {self.error}")
        out.append(f"Final answer: {self.final or UNKNOWN}")
        return "\n".join(out)


def format_value(value: Any) -> str:
    """A computed value as answer text: ``8`` for ``8.0``, at most 6 decimals, ``yes``/``no``
    for booleans, text as it is."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return f"{value:.6f}".rstrip("0").rstrip(".")
    return str(value)


def _describe(error: Exception) -> str:
    if isinstance(error, SyntaxError):
        return "not a Python expression"
    if isinstance(error, ZeroDivisionError):
        return "division by zero"
    if isinstance(error, InvalidExpression):
        return str(error).split(" for expression ")[0]
    return f"{type(error).__name__}: {error}"


def _bad_value(value: Any) -> str | None:
    """Why a computed value cannot stand as an answer, or ``None``."""
    if isinstance(value, (bool, str)):
        return None
    if not isinstance(value, (int, float)):
        return f"its value is a {type(value).__name__}, not a number, text or True/False"
    if isinstance(value, float) and not math.isfinite(value):
        return "its value is not a finite number"
    if abs(value) > _MAX_MAGNITUDE:
        return "its value is too large"
    return None


def run_program(text: str) -> ProgramRun:
    """Compute the assignment lines of a solver's reply in order (see the module's text).

    Never raises: a line that cannot be computed (undefined name, syntax, division by zero,
    a value over :mod:`simpleeval`'s caps) ends the run with :attr:`ProgramRun.error`.
    """
    names: dict[str, Any] = {}
    evaluator = SimpleEval(names=names, functions=_FUNCTIONS)
    lines: list[ProgramLine] = []
    source = [line for line in (text or "").splitlines() if not _FENCE.match(line)]
    for number, raw in enumerate(source):
        code = raw.split("#", 1)[0].rstrip()
        match = _ASSIGNMENT.match(code)
        if not match:
            continue
        if len(lines) >= MAX_PROGRAM_LINES:
            break
        name, expression = match.groups()
        try:
            value = evaluator.eval(expression)
            problem = _bad_value(value)
        except (InvalidExpression, SyntaxError, ArithmeticError, TypeError, ValueError,
                MemoryError, RecursionError) as error:
            problem = _describe(error)
        if problem:
            return ProgramRun(lines=lines, rest=[line for line in source[number:] if line.strip()],
                              error=f"line {len(lines) + 1}: {code.strip()}: {problem}")
        names[name] = value
        lines.append(ProgramLine(name=name, expression=expression, value=value))
    if not lines:  # prose, not a program: keep it, and the answer it states, if any
        return ProgramRun(lines=[], error="no 'name = expression' line",
                          rest=[line for line in source if line.strip()],
                          stated=stated_answer(text))
    return ProgramRun(lines=lines)
