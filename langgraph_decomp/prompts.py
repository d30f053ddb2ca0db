"""Prompts used by the graph's nodes.

The decomposition prompt follows Wu et al. (2024), "Divide-or-Conquer? Which Part Should You
Distill Your LLM?": ask for the most relevant and helpful sub-questions, cap their number, and
let the model answer "No decomposition" when the question is simple.

Placeholders are filled with ``str.format``; user text is passed as values, never as format
strings.

The module's constants are the defaults of :class:`Prompts`, the one object that holds every
template and builds every message list the graph sends; pass your own to
``build_graph(prompts=...)`` (and to ``distill``, so a student is served the prompt it was
trained on) to change the words without monkeypatching.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict

NO_DECOMPOSITION = "No decomposition"

DECOMPOSE_SYSTEM = (
    "Your task is to break down a given complex question into the most relevant and helpful "
    "sub-questions, ensuring that no more than {max_subquestions} sub-questions are formulated. "
    "If the question is simple enough to answer directly, reply exactly "
    f'"{NO_DECOMPOSITION}". Otherwise list the sub-questions, one per line, numbered 1., 2., '
    "... A sub-question may use an earlier one's answer, written #1, #2, ... Only write "
    "sub-questions that directly help answer the question; do not answer them."
)

DECOMPOSE_USER = "{context_block}Question: {question}\n\nSub-questions:"

CONTEXT_BLOCK = "Context:\n{context}\n\n"

SOLVE_SYSTEM = (
    "You are solving a problem one sub-question at a time. Answer only the sub-question you are "
    "given, using the problem and the answers found so far. Show the short calculation or "
    "reasoning in plain text (no code), then finish with a line 'Answer: <result>'."
)

SOLVE_STEP_USER = (
    "{context_block}Problem: {question}\n\n{previous_block}{feedback_block}"
    "Sub-question: {subquestion}"
)

PREVIOUS_BLOCK = "Answers so far:\n{previous}\n\n"

ANSWER_FORMAT = (
    "'Final answer: <answer>': only the number for a numeric answer, yes or no for a yes/no "
    "question, else the shortest answer."
)
"""How every solving prompt asks for the answer line (numbers, yes/no and spans alike)."""

FINAL_SYSTEM = (
    "You are solving a problem. Use the sub-questions and answers given with it, if any. "
    "Reason step by step in plain text (no code), one short line per step. Finish with the "
    "line " + ANSWER_FORMAT
)
"""The solver's prompt for the question itself: one-stage chain of thought, the last call
of the ``stepwise`` scheme, and the ``scaffold`` scheme (with :data:`SCAFFOLD_BLOCK`)."""

FINAL_USER = (
    "{context_block}Problem: {question}\n\n{previous_block}{feedback_block}Answer the problem."
)

SCAFFOLD_BLOCK = (
    "These sub-questions may help you plan; use them only where they help:\n{hints}\n\n"
)
"""The plan as hints inside chain of thought (``solve_scheme="scaffold"``)."""

PAPER_SYSTEM = (
    "You are solving a problem with the help of sub-questions. Answer the sub-questions in "
    "order, one short line each, then answer the problem. Plain text, no code. Finish with the "
    "line " + ANSWER_FORMAT
)
"""The paper's two-stage solving prompt, one call (``solve_scheme="paper"``)."""

PAPER_USER = (
    "{context_block}Problem: {question}\n\nSub-questions:\n{hints}\n\n{feedback_block}"
    "Answer the sub-questions in order, then the problem."
)

GUIDED_SYSTEM = (
    "You solve a problem by answering its sub-questions in order. Write one line per "
    "sub-question: its number, then the calculation or fact that answers it and the result, "
    "for example '1. 12 / 3 = 4'. Then write one more numbered line that answers the "
    "problem's own question from the lines before, with any step they leave out. No other "
    "words, no code. Then write the line " + ANSWER_FORMAT
)
"""The plan-guided concise prompt (``solve_scheme="guided"``): the sub-questions are the
reasoning, one short line each, so the solver writes a fraction of chain of thought's
tokens (the two-stage scheme of Wu et al., 2024, with the work shown per line). The extra
last line answers the problem itself: a small decomposer's plan often stops one step short
of the question (it asks for each school's players, not all the people sent), and without
that line the solver's last result was an intermediate one."""

GUIDED_USER = (
    "{context_block}Problem: {question}\n\nSub-questions:\n{hints}\n\n{feedback_block}"
    "Answer each sub-question in one line, then the problem in one more line, then give the "
    "final answer."
)

PROGRAM_SYSTEM = (
    "You answer a question by writing a short Python program. You are given the question and "
    "its sub-questions. Write one line per sub-question, in order: a variable named for what "
    "the sub-question asks, then '=', then a Python expression for its value: a calculation "
    "from numbers in the question and earlier variables, or a number, text in quotes or "
    "True/False that you know or read in the context. Then write one last line 'answer = ...' "
    "that answers the question itself. Write only these assignment lines: no comments, no "
    "print, no imports, no other text."
)
"""The plan-guided program prompt (``solve_scheme="program"``): the solver writes each
sub-question's calculation, not its result, and the graph computes the lines locally
(:mod:`langgraph_decomp.program`), so no slip of arithmetic survives; measured against
chain of thought and ``guided`` in the README's "Evaluate" section."""

PROGRAM_USER = (
    "{context_block}Question: {question}\n\nSub-questions:\n{hints}\n\n{feedback_block}"
    "Write the program."
)

PROGRAM_ALONE_SYSTEM = (
    "You answer a question by writing a short Python program: one assignment per step, each "
    "a variable named for what it holds, then '=', then a Python expression for its value: a "
    "calculation from numbers in the question and earlier variables, or a number, text in "
    "quotes or True/False that you know or read in the context. The last line is "
    "'answer = ...' and answers the question itself. Write only assignment lines: no "
    "comments, no print, no imports, no other text."
)
"""The ``program`` scheme without a plan (one-stage, or the decomposer gave none)."""

PROGRAM_ALONE_USER = "{context_block}Question: {question}\n\n{feedback_block}Write the program."

PROGRAM_FEEDBACK = (
    "the program could not be computed ({error}). Write the whole program again, defining "
    "every variable before it is used."
)
"""Repair feedback when the solver's program fails to compute (``solve_scheme="program"``)."""

FEEDBACK_BLOCK = (
    "A reviewer rejected an earlier answer ({rejected}) with this feedback: {feedback}\n\n"
)

VERIFY_SYSTEM = (
    "You check a proposed answer to a problem. Compare it with the problem and with the "
    "answers to the sub-questions. Reply with exactly two lines:\n"
    "VERDICT: CORRECT or VERDICT: INCORRECT\n"
    "FEEDBACK: one sentence on what is wrong (or 'none')."
)

VERIFY_USER = (
    "{context_block}Problem: {question}\n\n{previous_block}Proposed solution:\n{work}\n\n"
    "Proposed answer: {answer}\n\nIs the proposed answer correct?"
)
"""The verifier sees the solver's work (its whole reply), not only the extracted answer."""

ARITHMETIC_FEEDBACK = "these calculations are wrong: {slips}. Redo them and what follows."
"""Repair feedback from the local arithmetic check (``Context.check_arithmetic``)."""

ANSWER_FORM_FEEDBACK = (
    "the question does not ask yes or no, but the answer was '{answer}'. The last line must "
    "answer what the question asks for (a name, a number, a date, ...), not a yes/no "
    "sub-question."
)
"""Repair feedback from the local answer-form check (``Context.check_answer_form``)."""

VERIFY_STEP_USER = (
    "{context_block}Problem: {question}\n\n{previous_block}Sub-question: {subquestion}\n"
    "Proposed answer to the sub-question: {answer}\n\n"
    "Is the proposed answer to the sub-question correct, given the problem?"
)
"""Per-step check (``Context.verify_steps``), with :data:`VERIFY_SYSTEM`."""

STEP_FEEDBACK_BLOCK = (
    "A reviewer rejected an earlier answer to this sub-question ({rejected}) with this "
    "feedback: {feedback}\n\n"
)


TEACHER_SOLUTION_SYSTEM = (
    "You write the plan behind a worked solution. You are given a problem and its solution, "
    "one step per line. For each step, write the sub-question that the step answers: one "
    "sub-question per step, in the same order, numbered 1., 2., ... Each sub-question asks "
    "for what its step computes, in the words of the problem, without the step's numbers or "
    "result; the last one asks what the problem asks. Write only the sub-questions."
)
"""A distillation teacher that turns gold solution steps into sub-questions (GSM8K train
questions have solutions but no human plans)."""

TEACHER_SOLUTION_USER = "Problem: {question}\n\nSolution steps:\n{steps}\n\nSub-questions:"

TEACHER_SOLUTION_SHOTS = (
    (
        "A baker makes 36 muffins in the morning and a third as many in the afternoon. How "
        "many muffins does the baker make in all?",
        ("In the afternoon the baker makes 36 / 3 = 12 muffins.",
         "In all the baker makes 36 + 12 = 48 muffins."),
        ("How many muffins does the baker make in the afternoon?",
         "How many muffins does the baker make in all?"),
    ),
    (
        "A garden has 4 rows of 15 tulips. A storm breaks 9 of them, and the gardener then "
        "plants 12 new ones. How many tulips are in the garden now?",
        ("The garden has 4 * 15 = 60 tulips at first.",
         "After the storm it has 60 - 9 = 51 tulips.",
         "Now it has 51 + 12 = 63 tulips."),
        ("How many tulips does the garden have at first?",
         "How many tulips are left after the storm?",
         "How many tulips are in the garden now?"),
    ),
)
"""Worked examples for :data:`TEACHER_SOLUTION_SYSTEM`: two problems written by hand for this
library, in GSM8K's style, as (problem, solution steps, sub-questions). A distillation recipe
may replace them with data rows read by path (``Recipe.teacher_shots``): the shipped recipe
uses two GSM8K *train* questions and their solutions that way, so no dataset text lives here."""


def numbered(items: Sequence[str]) -> str:
    """Items as the numbered lines ``1. ...``, ``2. ...`` that plans are written in (and that
    :func:`langgraph_decomp.parsing.parse_plan` reads back)."""
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def solution_steps(solution: str | None) -> list[str]:
    """A worked solution's steps: its non-empty lines, stripped (one step per line)."""
    return [line.strip() for line in (solution or "").splitlines() if line.strip()]


class Prompts(BaseModel):
    """Every template the graph and the distillation pipeline use, and the message lists
    built from them.

    The defaults are this module's constants. Change any of them with
    ``Prompts(guided_system="...")`` or ``DEFAULT_PROMPTS.model_copy(update={...})`` and pass
    the object to :func:`langgraph_decomp.build_graph` (``prompts=``) and to ``distill``;
    :attr:`label` (``name@hash``) names the exact words, and is written into a distilled
    student's model card. Templates are filled with ``str.format``: keep their placeholders.

    Example:
        >>> from langgraph_decomp import Prompts, build_graph
        >>> terse = Prompts(name="terse", guided_system="Answer each sub-question in one "
        ...                 "line, then 'Final answer: <answer>'.")
        >>> graph = build_graph(prompts=terse)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "default"
    """A short name for this set of prompts (shown with its hash in :attr:`label`)."""
    decompose_system: str = DECOMPOSE_SYSTEM
    decompose_user: str = DECOMPOSE_USER
    context_block: str = CONTEXT_BLOCK
    solve_system: str = SOLVE_SYSTEM
    solve_step_user: str = SOLVE_STEP_USER
    previous_block: str = PREVIOUS_BLOCK
    final_system: str = FINAL_SYSTEM
    final_user: str = FINAL_USER
    scaffold_block: str = SCAFFOLD_BLOCK
    paper_system: str = PAPER_SYSTEM
    paper_user: str = PAPER_USER
    guided_system: str = GUIDED_SYSTEM
    guided_user: str = GUIDED_USER
    program_system: str = PROGRAM_SYSTEM
    program_user: str = PROGRAM_USER
    program_alone_system: str = PROGRAM_ALONE_SYSTEM
    program_alone_user: str = PROGRAM_ALONE_USER
    program_feedback: str = PROGRAM_FEEDBACK
    feedback_block: str = FEEDBACK_BLOCK
    step_feedback_block: str = STEP_FEEDBACK_BLOCK
    verify_system: str = VERIFY_SYSTEM
    verify_user: str = VERIFY_USER
    verify_step_user: str = VERIFY_STEP_USER
    arithmetic_feedback: str = ARITHMETIC_FEEDBACK
    answer_form_feedback: str = ANSWER_FORM_FEEDBACK
    teacher_solution_system: str = TEACHER_SOLUTION_SYSTEM
    teacher_solution_user: str = TEACHER_SOLUTION_USER
    teacher_solution_shots: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
        TEACHER_SOLUTION_SHOTS
    )

    # --- identity --------------------------------------------------------------------------

    @property
    def digest(self) -> str:
        """sha256 of the templates (not the name): equal words, equal digest."""
        words = self.model_dump(exclude={"name"}, mode="json")
        return hashlib.sha256(json.dumps(words, sort_keys=True).encode()).hexdigest()

    @property
    def label(self) -> str:
        """``name@<first 12 hex digits of digest>``, e.g. ``default@3f2a...``."""
        return f"{self.name}@{self.digest[:12]}"

    # --- files -----------------------------------------------------------------------------

    FILE_NAME: ClassVar[str] = "prompts.json"
    """What ``distill`` writes beside a student: the prompts it was trained with."""

    def to_file(self, path: str | Path) -> Path:
        """Write these prompts as JSON (``Prompts.from_file`` reads them back)."""
        path = Path(path)
        path.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        return path

    @classmethod
    def from_file(cls, path: str | Path) -> Prompts:
        """Prompts from a JSON file, or from a student directory's ``prompts.json``:
        serve a distilled decomposer with ``build_graph(prompts=Prompts.from_file(dir))``."""
        path = Path(path)
        if path.is_dir():
            path = path / cls.FILE_NAME
        return cls.model_validate_json(path.read_text(encoding="utf-8"))

    # --- blocks ----------------------------------------------------------------------------

    def context_text(self, context: str | None) -> str:
        """The supporting text block, or ``""`` without one."""
        return self.context_block.format(context=context) if context else ""

    def previous_text(self, plan: Sequence[str], steps: Sequence[Mapping[str, Any]],
                      needed: Sequence[int]) -> str:
        """The answers of the ``needed`` plan steps found so far (their work when kept)."""
        answered = {s["index"]: s for s in steps}
        lines = [
            f"{i + 1}. {plan[i]}\n   {answered[i].get('work') or answered[i]['answer']}"
            for i in needed
            if i in answered and i < len(plan)
        ]
        return self.previous_block.format(previous="\n".join(lines)) if lines else ""

    def feedback_text(self, rejected: str | None, feedback: str | None, *,
                      step: bool = False) -> str:
        """A rejected answer and the reviewer's feedback, or ``""`` without feedback."""
        if not feedback:
            return ""
        template = self.step_feedback_block if step else self.feedback_block
        return template.format(rejected=rejected, feedback=feedback)

    # --- message lists ---------------------------------------------------------------------

    def decompose_messages(self, question: str, context: str | None = None, *,
                           max_subquestions: int = 5) -> list[BaseMessage]:
        """The decomposer's prompt (also what a distilled student is trained on)."""
        return [
            SystemMessage(self.decompose_system.format(max_subquestions=max_subquestions)),
            HumanMessage(self.decompose_user.format(context_block=self.context_text(context),
                                                    question=question)),
        ]

    def step_messages(self, question: str, subquestion: str, *, context: str | None = None,
                      previous_block: str = "", feedback_block: str = "") -> list[BaseMessage]:
        """The solver's prompt for one sub-question (``stepwise``)."""
        return [
            SystemMessage(self.solve_system),
            HumanMessage(self.solve_step_user.format(
                context_block=self.context_text(context), question=question,
                previous_block=previous_block, feedback_block=feedback_block,
                subquestion=subquestion,
            )),
        ]

    def final_messages(self, question: str, plan: Sequence[str], *, scheme: str,
                       context: str | None = None, previous_block: str = "",
                       feedback_block: str = "") -> list[BaseMessage]:
        """The solver's prompt for the question itself under a ``Context.solve_scheme``.

        Without a plan every scheme but ``program`` asks the same thing: chain of thought on
        the question (one-stage); ``program`` asks for the program alone. ``scaffold`` adds
        the plan as hints to that same prompt; ``paper`` asks for the sub-questions' answers
        in order, then the question's; ``guided`` one line per sub-question; ``program`` one
        line of Python per sub-question (computed by :mod:`langgraph_decomp.program`);
        ``stepwise`` shows the answers already found (``previous_block``).
        """
        hints = numbered(plan)
        context_block = self.context_text(context)
        if not plan and scheme == "program":
            return [
                SystemMessage(self.program_alone_system),
                HumanMessage(self.program_alone_user.format(
                    context_block=context_block, question=question,
                    feedback_block=feedback_block)),
            ]
        if plan and scheme in ("paper", "guided", "program"):
            system, user = {"paper": (self.paper_system, self.paper_user),
                            "guided": (self.guided_system, self.guided_user),
                            "program": (self.program_system, self.program_user)}[scheme]
            return [
                SystemMessage(system),
                HumanMessage(user.format(context_block=context_block, question=question,
                                         hints=hints, feedback_block=feedback_block)),
            ]
        if plan and scheme == "scaffold":
            previous_block = self.scaffold_block.format(hints=hints)
        return [
            SystemMessage(self.final_system),
            HumanMessage(self.final_user.format(
                context_block=context_block, question=question, previous_block=previous_block,
                feedback_block=feedback_block,
            )),
        ]

    def verify_messages(self, question: str, work: str, answer: str, *,
                        context: str | None = None,
                        previous_block: str = "") -> list[BaseMessage]:
        """The verifier's prompt for the answer (it sees the solver's whole reply)."""
        return [
            SystemMessage(self.verify_system),
            HumanMessage(self.verify_user.format(
                context_block=self.context_text(context), question=question,
                previous_block=previous_block, work=work, answer=answer,
            )),
        ]

    def verify_step_messages(self, question: str, subquestion: str, answer: str, *,
                             context: str | None = None,
                             previous_block: str = "") -> list[BaseMessage]:
        """The verifier's prompt for one sub-answer (``Context.verify_steps``)."""
        return [
            SystemMessage(self.verify_system),
            HumanMessage(self.verify_step_user.format(
                context_block=self.context_text(context), question=question,
                previous_block=previous_block, subquestion=subquestion, answer=answer,
            )),
        ]

    def solution_messages(self, question: str, solution: str) -> list[BaseMessage]:
        """A distillation teacher's prompt that turns a gold solution (one step per line)
        into sub-questions, with :attr:`teacher_solution_shots` as worked examples."""
        def user(q: str, steps: Sequence[str]) -> HumanMessage:
            return HumanMessage(self.teacher_solution_user.format(question=q,
                                                                  steps=numbered(steps)))

        turns: list[BaseMessage] = [SystemMessage(self.teacher_solution_system)]
        for shot_question, shot_steps, shot_plan in self.teacher_solution_shots:
            turns += [user(shot_question, shot_steps), AIMessage(numbered(shot_plan))]
        return [*turns, user(question, solution_steps(solution))]


DEFAULT_PROMPTS = Prompts()
"""The prompts the graph uses unless given others."""


def decompose_messages(question: str, context: str | None = None, *,
                       max_subquestions: int = 5,
                       prompts: Prompts = DEFAULT_PROMPTS) -> list[BaseMessage]:
    """The decomposer's prompt: :meth:`Prompts.decompose_messages` of ``prompts``."""
    return prompts.decompose_messages(question, context, max_subquestions=max_subquestions)
