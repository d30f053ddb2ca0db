"""How the solver uses a plan: the solving schemes, self-consistency and the vote.

Every function here is a :data:`~langgraph_decomp.models.Steps` computation: it yields the
model calls it needs and returns what the ``solve`` node writes, so the same words serve the
sync graph (:func:`~langgraph_decomp.models.drive`) and the async one
(:func:`~langgraph_decomp.models.adrive`). The prompts come from a
:class:`~langgraph_decomp.prompts.Prompts`.

Schemes (``Context.solve_scheme``) for the question itself: ``program``, ``guided``,
``scaffold``, ``paper`` and one-stage are one call (:meth:`Prompts.final_messages`;
``program`` replies are computed by :mod:`langgraph_decomp.program`); ``stepwise`` answers
each sub-question first (:func:`answer_step`); ``vote`` asks up to three of them
(:func:`vote_over_schemes`). Any call may be ``n_samples`` samples and their majority
(:func:`sample_and_vote`).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from langgraph_decomp.answers import extract_answer, split_step_answer
from langgraph_decomp.context import Context
from langgraph_decomp.models import ModelCall, Reply, Steps, ask
from langgraph_decomp.program import run_program
from langgraph_decomp.prompts import Prompts
from langgraph_decomp.state import SolveTask, add_usage
from langgraph_decomp.voting import is_decided, vote_key, winner

VOTE_ORDER = ("one-stage", "scaffold", "paper")
"""The ``vote`` scheme's candidates, in call order; a tie goes to the earliest."""


def sample_and_vote(
    ctx: Context,
    messages: Sequence[Any],
    *,
    run_name: str,
    answer_of: Callable[[str], str],
) -> Steps[Reply]:
    """One solver call, or with ``ctx.n_samples > 1`` up to that many samples at
    ``ctx.sample_temperature`` and the majority answer's text (self-consistency).

    Stops once the remaining samples cannot change the winner, so a unanimous start costs
    ``n_samples // 2 + 1`` calls, not ``n_samples``.
    """
    if ctx.n_samples <= 1:
        return (yield from ask(ModelCall("solver", ctx, messages, run_name)))
    sampling = replace(ctx, temperature=ctx.sample_temperature)
    calls = [
        functools.partial(ask, ModelCall("solver", sampling, messages,
                                         f"{run_name}[sample {k + 1}]"))
        for k in range(ctx.n_samples)
    ]
    return (yield from majority(calls, answer_of))


def majority(
    calls: Sequence[Callable[[], Steps[Reply]]],
    answer_of: Callable[[str], str],
) -> Steps[Reply]:
    """Make the calls in order until the remaining ones cannot change the majority answer;
    return the first reply with the winning answer (ties: the earliest) and the summed usage."""
    votes: Counter[str] = Counter()
    first_text: dict[str, str] = {}
    usage: dict[str, Any] = {}
    for k, call in enumerate(calls):
        text, used = yield from call()
        usage = add_usage(usage, used)
        key = vote_key(answer_of(text))
        votes[key] += 1
        first_text.setdefault(key, text)
        if is_decided(votes, len(calls) - k - 1):
            break
    return first_text[winner(votes)], usage


def vote_over_schemes(
    ctx: Context,
    prompts: Prompts,
    question: str,
    plan: list[str],
    *,
    context: str | None = None,
    feedback_block: str = "",
) -> Steps[Reply]:
    """The ``vote`` scheme: chain of thought without the plan, then with it as hints
    (``scaffold``), then the paper's prompt only if those two disagree; majority answer,
    ties to the plain chain of thought. Two solver calls when the first two agree, three
    otherwise."""
    calls = [
        functools.partial(
            sample_and_vote, ctx,
            prompts.final_messages(question, [] if scheme == "one-stage" else plan,
                                   scheme=scheme, context=context,
                                   feedback_block=feedback_block),
            run_name=f"solve[final][{scheme}]", answer_of=extract_answer,
        )
        for scheme in VOTE_ORDER
    ]
    return (yield from majority(calls, extract_answer))


def answer_step(ctx: Context, prompts: Prompts, task: SolveTask) -> Steps[tuple[str, str, Any]]:
    """Answer plan step ``task["index"]`` (``stepwise``): ``(answer, work, usage)``."""
    plan, index = task["plan"], task["index"]
    messages = prompts.step_messages(
        task["question"], plan[index], context=task.get("context"),
        previous_block=prompts.previous_text(plan, task["steps"], task["depends_on"]),
        feedback_block=prompts.feedback_text(task.get("rejected"), task.get("feedback"),
                                             step=True),
    )
    text, usage = yield from sample_and_vote(
        ctx, messages, run_name=f"solve[{index + 1}]",
        answer_of=lambda t: split_step_answer(t)[0],
    )
    answer, work = split_step_answer(text)
    return answer, work, usage


def answer_question(ctx: Context, prompts: Prompts, task: SolveTask) -> Steps[Reply]:
    """Answer the question itself under ``ctx.solve_scheme``: the reply's text and usage."""
    plan = task["plan"]
    feedback_block = prompts.feedback_text(task.get("rejected"), task.get("feedback"))
    if plan and ctx.solve_scheme == "vote":
        return (yield from vote_over_schemes(
            ctx, prompts, task["question"], plan, context=task.get("context"),
            feedback_block=feedback_block,
        ))
    messages = prompts.final_messages(
        task["question"], plan, scheme=ctx.solve_scheme, context=task.get("context"),
        previous_block=prompts.previous_text(plan, task["steps"], task["depends_on"]),
        feedback_block=feedback_block,
    )
    answer_of = program_answer if ctx.solve_scheme == "program" else extract_answer
    return (yield from sample_and_vote(ctx, messages, run_name="solve[final]",
                                       answer_of=answer_of))


def program_answer(text: str) -> str:
    """The answer a ``program`` reply computes to (what its samples vote on; a reply with no
    assignment line, its stated answer)."""
    return run_program(text).final
