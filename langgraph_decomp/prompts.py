"""Prompts used by the graph's nodes.

The decomposition prompt follows Wu et al. (2024), "Divide-or-Conquer? Which Part Should You
Distill Your LLM?": ask for the most relevant and helpful sub-questions, cap their number, and
let the model answer "No decomposition" when the question is simple.

Placeholders are filled with ``str.format``; user text is passed as values, never as format
strings.
"""

from __future__ import annotations

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
    "for example '1. 12 / 3 = 4'. No other words, no code. Then write the line "
    + ANSWER_FORMAT
)
"""The plan-guided concise prompt (``solve_scheme="guided"``): the sub-questions are the
reasoning, one short line each, so the solver writes a fraction of chain of thought's
tokens (the two-stage scheme of Wu et al., 2024, with the work shown per line)."""

GUIDED_USER = (
    "{context_block}Problem: {question}\n\nSub-questions:\n{hints}\n\n{feedback_block}"
    "Answer each sub-question in one line, then give the final answer."
)

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
        "Natalia sold clips to 48 of her friends in April, and then she sold half as many "
        "clips in May. How many clips did Natalia sell altogether in April and May?",
        ("Natalia sold 48/2 = 24 clips in May.",
         "Natalia sold 48+24 = 72 clips altogether in April and May."),
        ("How many clips did Natalia sell in May?",
         "How many clips did Natalia sell altogether in April and May?"),
    ),
    (
        "Betty is saving money for a new wallet which costs $100. Betty has only half of the "
        "money she needs. Her parents decided to give her $15 for that purpose, and her "
        "grandparents twice as much as her parents. How much more money does Betty need to "
        "buy the wallet?",
        ("In the beginning, Betty has only 100 / 2 = $50.",
         "Betty's grandparents gave her 15 * 2 = $30.",
         "This means, Betty needs 100 - 50 - 30 - 15 = $5 more."),
        ("How much money does Betty have in the beginning?",
         "How much money do Betty's grandparents give her?",
         "How much more money does Betty need to buy the wallet?"),
    ),
)
"""Worked examples for :data:`TEACHER_SOLUTION_SYSTEM`, written by hand for two GSM8K
*train* questions: (problem, solution steps, sub-questions)."""
