"""The graph's nodes: decompose, solve, verify, aggregate, and the router between them.

Each node is a small function ``(state, runtime, *, models) -> update``; ``models`` (the
graph's default model per role) is bound by :func:`langgraph_decomp.build_graph`.

Flow: ``decompose`` plans; ``route`` sends every plan step whose dependencies are answered to
``solve`` (one ``Send`` each, so independent steps run in parallel; by default each step
depends on all earlier ones, the paper's two-stage scheme), then the original question;
``verify`` is the gate after every wave of ``solve`` tasks and, once the question is
answered, checks the answer and may send it back for a bounded repair; ``aggregate`` writes
the output.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Literal

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from langgraph.config import get_config
from langgraph.runtime import Runtime, get_runtime
from langgraph.types import Overwrite, Send

from langgraph_decomp import prompts
from langgraph_decomp.answers import (
    extract_answer,
    normalize_number,
    numbered_answers,
    split_step_answer,
)
from langgraph_decomp.arithmetic import arithmetic_slips
from langgraph_decomp.budget import budget_spent
from langgraph_decomp.context import MAX_SUBQUESTIONS, Context, resolve_context
from langgraph_decomp.errors import InvalidInputError
from langgraph_decomp.models import RoleModels, call_model, model_label
from langgraph_decomp.parsing import (
    Plan,
    numbered,
    parse_plan,
    plan_dependencies,
    plan_stop,
)
from langgraph_decomp.state import SolveTask, State, StepResult, SubQuestion, add_usage
from langgraph_decomp.voting import is_decided, vote_key, winner

_VERDICT = re.compile(r"VERDICT\W*(INCORRECT|CORRECT|WRONG|RIGHT|YES|NO)\b", re.IGNORECASE)
_LEADING_VERDICT = re.compile(r"^\W*(incorrect|correct|wrong|right|yes|no)\b", re.IGNORECASE)
_FEEDBACK = re.compile(r"FEEDBACK\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)


def run_context(runtime: Runtime[Context] | None) -> Context:
    """The effective :class:`Context` of the current run (context, configurable, defaults)."""
    try:
        configurable = get_config().get("configurable", {})
    except RuntimeError:  # called outside a graph run
        configurable = {}
    return resolve_context(runtime.context if runtime else None, configurable)


def validate_input(state: dict[str, Any], ctx: Context) -> tuple[str, str]:
    """Check the graph input; return the stripped question and context text.

    Raises:
        InvalidInputError: the question is missing, not a string, blank, too long or holds
            NUL bytes; ``context`` is not text (:func:`context_text`) or too long; or
            ``subquestions_given`` is
            not a list of strings, has more than :data:`MAX_SUBQUESTIONS` items, or an item
            that is longer than ``max_question_chars`` or holds NUL bytes.
    """
    question = state.get("question")
    if not isinstance(question, str):
        raise InvalidInputError(
            f"'question' must be a string, got {type(question).__name__}.", field="question"
        )
    question = question.strip()
    if not question:
        raise InvalidInputError("'question' is empty.", field="question")
    if "\x00" in question:
        raise InvalidInputError("'question' contains NUL bytes; pass text, not binary data.",
                                field="question")
    if len(question) > ctx.max_question_chars:
        raise InvalidInputError(
            f"'question' has {len(question):,} characters; the limit is "
            f"{ctx.max_question_chars:,} (Context.max_question_chars).",
            field="question",
        )
    context = context_text(state.get("context"))
    if len(context) > ctx.max_context_chars:
        raise InvalidInputError(
            f"'context' has {len(context):,} characters; the limit is "
            f"{ctx.max_context_chars:,} (Context.max_context_chars).",
            field="context",
        )
    _validate_given_plan(state.get("subquestions_given"), ctx)
    return question, context.strip()


def context_text(value: Any) -> str:
    """The ``context`` input as one text: a string as it is, or a list of strings and
    documents (anything with ``page_content``, as a retriever returns) joined by blank lines,
    so a retrieval parent's ``context: list[Document]`` state feeds the graph directly.

    Raises:
        InvalidInputError: anything else.
    """
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, (list, tuple)):
        parts = [item if isinstance(item, str) else getattr(item, "page_content", None)
                 for item in value]
        if all(isinstance(part, str) for part in parts):
            return "\n\n".join(part.strip() for part in parts if part.strip())  # type: ignore[union-attr]
    raise InvalidInputError(
        "'context' must be a string or a list of strings or documents (page_content), got "
        f"{type(value).__name__}.", field="context")


def _validate_given_plan(given: Any, ctx: Context) -> None:
    """A caller's plan is bounded like the question: at most :data:`MAX_SUBQUESTIONS`
    items (the first ``max_subquestions`` are used, as with a decomposer's plan), each a
    string of at most ``max_question_chars`` characters without NUL bytes."""
    if given is None:
        return
    if not isinstance(given, list) or not all(isinstance(q, str) for q in given):
        raise InvalidInputError("'subquestions_given' must be a list of strings.",
                                field="subquestions_given")
    if len(given) > MAX_SUBQUESTIONS:
        raise InvalidInputError(
            f"'subquestions_given' has {len(given):,} items; the limit is {MAX_SUBQUESTIONS}.",
            field="subquestions_given",
        )
    for i, item in enumerate(given):
        if "\x00" in item:
            raise InvalidInputError(f"'subquestions_given' item {i + 1} contains NUL bytes.",
                                    field="subquestions_given")
        if len(item.strip()) > ctx.max_question_chars:
            raise InvalidInputError(
                f"'subquestions_given' item {i + 1} has {len(item.strip()):,} characters; the "
                f"limit is {ctx.max_question_chars:,} (Context.max_question_chars).",
                field="subquestions_given",
            )


def _context_block(context: str | None) -> str:
    return prompts.CONTEXT_BLOCK.format(context=context) if context else ""


def _previous_block(plan: list[str], steps: list[StepResult], needed: list[int]) -> str:
    answered = {s["index"]: s for s in steps}
    lines = [
        f"{i + 1}. {plan[i]}\n   {answered[i].get('work') or answered[i]['answer']}"
        for i in needed
        if i in answered and i < len(plan)
    ]
    return prompts.PREVIOUS_BLOCK.format(previous="\n".join(lines)) if lines else ""


def decompose_messages(
    question: str, context: str | None = None, *, max_subquestions: int = 5
) -> list[BaseMessage]:
    """The decomposer's prompt (shared with the distillation pipeline)."""
    return [
        SystemMessage(prompts.DECOMPOSE_SYSTEM.format(max_subquestions=max_subquestions)),
        HumanMessage(
            prompts.DECOMPOSE_USER.format(context_block=_context_block(context), question=question)
        ),
    ]


def _plan(
    state: State, ctx: Context, models: RoleModels, question: str, context: str
) -> tuple[Plan, dict[str, Any]]:
    """The plan for this run: none (one-stage), the caller's, or the decomposer's."""
    if not ctx.decompose:
        return Plan(status="skipped"), {}
    given = state.get("subquestions_given")
    if given is not None:
        _validate_given_plan(given, ctx)
        return parse_plan(json.dumps(given), ctx.max_subquestions), {}
    messages = decompose_messages(question, context, max_subquestions=ctx.max_subquestions)
    # The run's clock starts in `decompose`, just before this call (state.started_at is
    # written when the node returns), so the decomposer's deadline counts from now.
    text, usage = call_model("decomposer", models, ctx, messages, run_name="decompose",
                             local_stop=plan_stop(ctx.max_subquestions),
                             started_at=time.time())
    return parse_plan(text, ctx.max_subquestions), usage


def decompose(state: State, runtime: Runtime[Context], *, models: RoleModels) -> dict[str, Any]:
    """Validate the input, then plan: ask the decomposer (or take the given plan)."""
    ctx = run_context(runtime)
    started_at = time.time()
    question, context = validate_input(state, ctx)  # before any model is loaded
    plan, usage = _plan(state, ctx, models, question, context)
    if 0 < len(plan.subquestions) < ctx.min_subquestions:
        plan = Plan(status="too_short")  # adaptive skip: answer one-stage
    runtime.stream_writer(
        {"event": "plan", "subquestions": plan.subquestions, "status": plan.status}
    )
    return {
        "question": question,
        "context": context,
        "plan": plan.subquestions,
        "depends_on": plan_dependencies(plan.subquestions, ctx.dependencies),  # type: ignore[arg-type]
        "decomposed": bool(plan.subquestions),
        "fallback_reason": None if plan.subquestions else plan.status,
        # A thread may be reused for a new question: start this run's bookkeeping afresh.
        "steps": Overwrite([]),
        "usage": Overwrite(usage),
        "draft": None,
        "feedback": None,
        "rejected": None,
        "verified": None,
        "repairs": 0,
        "stopped": None,
        "step_checks": {},
        "redo": {},
        "started_at": started_at,
    }


def route(state: State, *, models: RoleModels) -> list[Send] | Literal["aggregate"]:
    """Send the next ready steps to ``solve``, or go to ``aggregate`` once an answer stands
    or the run's budget is spent.

    Only the ``stepwise`` scheme solves plan steps one by one; the one-call schemes
    (``scaffold``, ``paper``) send the question straight away, with the plan in its prompt.
    """
    if state.get("draft") is not None:
        return "aggregate"
    plan = state.get("plan") or []
    steps = state.get("steps") or []
    depends_on = state.get("depends_on") or [list(range(i)) for i in range(len(plan))]
    redo = state.get("redo") or {}
    answered = {s["index"]: s["answer"] for s in steps}
    solved = set(answered) - {int(k) for k in redo}  # rejected steps are solved again
    ctx = run_context(get_runtime())
    if budget_spent(state.get("usage"), state.get("started_at"), models, ctx):
        return "aggregate"
    settings = repr((
        model_label(models.pick("solver", ctx)), ctx.endpoint("solver"), ctx.solve_scheme,
        ctx.temperature, ctx.n_samples, ctx.sample_temperature, ctx.solver_max_tokens,
    ))
    stepwise = ctx.solve_scheme == "stepwise"
    pending = [i for i in range(len(plan)) if i not in solved] if stepwise else []
    # Every pending step whose dependencies are answered runs now, in parallel; the question
    # itself comes last and sees every answer.
    # (The first pending step is always ready: dependencies only point to earlier steps.)
    ready = (
        [i for i in pending if solved.issuperset(depends_on[i])] if pending else [len(plan)]
    )
    return [
        Send(
            "solve",
            SolveTask(
                question=state["question"],
                context=state.get("context") or "",
                plan=plan,
                steps=steps,
                index=i,
                depends_on=depends_on[i] if i < len(plan) else list(range(len(plan))),
                feedback=redo[str(i)] if str(i) in redo else state.get("feedback"),
                rejected=answered[i] if str(i) in redo else state.get("rejected"),
                settings=settings,
            ),
        )
        for i in ready
    ]


def final_messages(
    question: str,
    plan: list[str],
    *,
    scheme: str,
    context: str | None = None,
    previous_block: str = "",
    feedback_block: str = "",
) -> list[BaseMessage]:
    """The solver's prompt for the question itself under a ``Context.solve_scheme``.

    Without a plan every scheme asks the same thing: chain of thought on the question
    (one-stage). ``scaffold`` adds the plan as hints to that same prompt; ``paper`` asks for
    the sub-questions' answers in order, then the question's; ``stepwise`` shows the answers
    already found (``previous_block``).
    """
    hints = numbered(plan)
    context_block = _context_block(context)
    if plan and scheme in ("paper", "guided"):
        system, user = ((prompts.PAPER_SYSTEM, prompts.PAPER_USER) if scheme == "paper"
                        else (prompts.GUIDED_SYSTEM, prompts.GUIDED_USER))
        return [
            SystemMessage(system),
            HumanMessage(user.format(
                context_block=context_block, question=question, hints=hints,
                feedback_block=feedback_block,
            )),
        ]
    if plan and scheme == "scaffold":
        previous_block = prompts.SCAFFOLD_BLOCK.format(hints=hints)
    return [
        SystemMessage(prompts.FINAL_SYSTEM),
        HumanMessage(prompts.FINAL_USER.format(
            context_block=context_block, question=question, previous_block=previous_block,
            feedback_block=feedback_block,
        )),
    ]


def sample_and_vote(
    models: RoleModels,
    ctx: Context,
    messages: list[BaseMessage],
    *,
    run_name: str,
    answer_of: Callable[[str], str],
) -> tuple[str, dict[str, Any]]:
    """One solver call, or with ``ctx.n_samples > 1`` up to that many samples at
    ``ctx.sample_temperature`` and the majority answer's text (self-consistency).

    Stops once the remaining samples cannot change the winner, so a unanimous start costs
    ``n_samples // 2 + 1`` calls, not ``n_samples``.
    """
    if ctx.n_samples <= 1:
        return call_model("solver", models, ctx, messages, run_name=run_name)
    sampling = replace(ctx, temperature=ctx.sample_temperature)
    calls = [
        functools.partial(call_model, "solver", models, sampling, messages,
                          run_name=f"{run_name}[sample {k + 1}]")
        for k in range(ctx.n_samples)
    ]
    return _majority(calls, answer_of)


def _majority(
    calls: Sequence[Callable[[], tuple[str, dict[str, Any]]]],
    answer_of: Callable[[str], str],
) -> tuple[str, dict[str, Any]]:
    """Make the calls in order until the remaining ones cannot change the majority answer;
    return the first reply with the winning answer (ties: the earliest) and the summed usage."""
    votes: Counter[str] = Counter()
    first_text: dict[str, str] = {}
    usage: dict[str, Any] = {}
    for k, call in enumerate(calls):
        text, used = call()
        usage = add_usage(usage, used)  # type: ignore[arg-type]
        key = vote_key(answer_of(text))
        votes[key] += 1
        first_text.setdefault(key, text)
        if is_decided(votes, len(calls) - k - 1):
            break
    return first_text[winner(votes)], usage


VOTE_ORDER = ("one-stage", "scaffold", "paper")
"""The ``vote`` scheme's candidates, in call order; a tie goes to the earliest."""


def vote_over_schemes(
    models: RoleModels,
    ctx: Context,
    question: str,
    plan: list[str],
    *,
    context: str | None = None,
    feedback_block: str = "",
) -> tuple[str, dict[str, Any]]:
    """The ``vote`` scheme: chain of thought without the plan, then with it as hints
    (``scaffold``), then the paper's prompt only if those two disagree; majority answer,
    ties to the plain chain of thought. Two solver calls when the first two agree, three
    otherwise."""
    calls = [
        functools.partial(
            sample_and_vote, models, ctx,
            final_messages(question, [] if scheme == "one-stage" else plan, scheme=scheme,
                           context=context, feedback_block=feedback_block),
            run_name=f"solve[final][{scheme}]", answer_of=extract_answer,
        )
        for scheme in VOTE_ORDER
    ]
    return _majority(calls, extract_answer)


def solve(task: SolveTask, runtime: Runtime[Context], *, models: RoleModels) -> dict[str, Any]:
    """Answer one sub-question (``index < len(plan)``) or the question itself."""
    ctx = run_context(runtime)
    plan, index = task["plan"], task["index"]
    context_block = _context_block(task.get("context"))
    previous_block = _previous_block(plan, task["steps"], task["depends_on"])
    feedback = task.get("feedback")
    if index < len(plan):
        step_feedback = (
            prompts.STEP_FEEDBACK_BLOCK.format(rejected=task.get("rejected"), feedback=feedback)
            if feedback
            else ""
        )
        messages = [
            SystemMessage(prompts.SOLVE_SYSTEM),
            HumanMessage(
                prompts.SOLVE_STEP_USER.format(
                    context_block=context_block,
                    question=task["question"],
                    previous_block=previous_block,
                    feedback_block=step_feedback,
                    subquestion=plan[index],
                )
            ),
        ]
        text, usage = sample_and_vote(
            models, ctx, messages, run_name=f"solve[{index + 1}]",
            answer_of=lambda t: split_step_answer(t)[0],
        )
        answer, work = split_step_answer(text)
        runtime.stream_writer(
            {"event": "answer", "index": index, "question": plan[index], "answer": answer}
        )
        step: StepResult = {"index": index, "answer": answer, "work": work}
        return {"steps": [step], "usage": usage}
    feedback_block = (
        prompts.FEEDBACK_BLOCK.format(rejected=task.get("rejected"), feedback=feedback)
        if feedback
        else ""
    )
    if plan and ctx.solve_scheme == "vote":
        text, usage = vote_over_schemes(
            models, ctx, task["question"], plan, context=task.get("context"),
            feedback_block=feedback_block,
        )
    else:
        messages = final_messages(
            task["question"], plan, scheme=ctx.solve_scheme, context=task.get("context"),
            previous_block=previous_block, feedback_block=feedback_block,
        )
        text, usage = sample_and_vote(
            models, ctx, messages, run_name="solve[final]", answer_of=extract_answer
        )
    runtime.stream_writer({"event": "draft", "answer": extract_answer(text)})
    update: dict[str, Any] = {"draft": text.strip(), "usage": usage}
    if plan and ctx.solve_scheme == "guided":  # the reply's numbered lines answer the plan
        worked = numbered_answers(text, len(plan))
        update["steps"] = [StepResult(index=i, answer=line) for i, line in worked.items()]
    return update


def parse_verdict(text: str) -> tuple[bool | None, str]:
    """Read a verifier's reply: ``(True | False | None, feedback)``; ``None`` = no verdict.

    A ``VERDICT: CORRECT|INCORRECT`` line decides; without one, only a reply that starts with
    yes/correct or no/incorrect counts. Anything else ("The correct answer is 8") is no
    verdict, so a rambling verifier cannot trigger repairs.
    """
    feedback = ""
    if m := _FEEDBACK.search(text):
        feedback = m.group(1).strip()
    if m := _VERDICT.search(text):
        return m.group(1).upper() in ("CORRECT", "RIGHT", "YES"), feedback or text.strip()
    if m := _LEADING_VERDICT.match(text):
        return m.group(1).lower() in ("correct", "right", "yes"), feedback or text.strip()
    return None, feedback or text.strip()


def verify_steps(state: State, ctx: Context, models: RoleModels) -> dict[str, Any]:
    """Check each sub-answer not yet checked (or just re-solved); reject into ``redo``.

    A step is re-solved at most ``ctx.max_repairs`` times; after that its answer stands.
    """
    plan = state.get("plan") or []
    steps = state.get("steps") or []
    checks = dict(state.get("step_checks") or {})
    redo = dict(state.get("redo") or {})
    usage: dict[str, Any] = {}
    for step in steps:
        i, key = step["index"], str(step["index"])
        if key in checks and key not in redo:
            continue
        if budget_spent(add_usage(state.get("usage"), usage), state.get("started_at"),
                        models, ctx):
            break
        messages = [
            SystemMessage(prompts.VERIFY_SYSTEM),
            HumanMessage(prompts.VERIFY_STEP_USER.format(
                context_block=_context_block(state.get("context")),
                question=state["question"],
                previous_block=_previous_block(plan, steps, list(range(i))),
                subquestion=plan[i],
                answer=step["answer"],
            )),
        ]
        text, used = call_model("verifier", models, ctx, messages, run_name=f"verify[{i + 1}]")
        usage = add_usage(usage, used)  # type: ignore[arg-type]
        verdict, feedback = parse_verdict(text)
        checks[key] = checks.get(key, 0) + 1
        if verdict is False and checks[key] <= ctx.max_repairs:
            redo[key] = feedback
        else:
            redo.pop(key, None)
        get_runtime().stream_writer(
            {"event": "step_verdict", "index": i, "verified": verdict, "repair": key in redo}
        )
    return {"step_checks": checks, "redo": redo, "usage": usage}


def verify(state: State, runtime: Runtime[Context], *, models: RoleModels) -> dict[str, Any]:
    """Gate after each wave of ``solve`` tasks; check the answer once there is one.

    A rejected answer goes back to ``solve`` with the verifier's feedback, at most
    ``Context.max_repairs`` times; an unreadable verdict counts as no verdict and never
    triggers a repair.
    """
    draft = state.get("draft")
    ctx = run_context(runtime)
    if draft is None and ctx.verify_steps:
        return verify_steps(state, ctx, models)
    repairs = state.get("repairs") or 0
    checked = draft is not None and ctx.check_arithmetic and repairs < ctx.max_repairs
    if checked and (slips := arithmetic_slips(draft or "")):  # free, local: no model call
        runtime.stream_writer({"event": "verdict", "verified": False, "repair": True,
                               "source": "arithmetic", "slips": slips})
        return {"draft": None, "rejected": extract_answer(draft or ""), "repairs": repairs + 1,
                "feedback": prompts.ARITHMETIC_FEEDBACK.format(slips="; ".join(slips))}
    if draft is None or not ctx.verify:
        return {}
    if stopped := budget_spent(state.get("usage"), state.get("started_at"), models, ctx):
        return {"stopped": f"{stopped}; answer not verified"}
    plan = state.get("plan") or []
    messages = [
        SystemMessage(prompts.VERIFY_SYSTEM),
        HumanMessage(
            prompts.VERIFY_USER.format(
                context_block=_context_block(state.get("context")),
                question=state["question"],
                previous_block=_previous_block(
                    plan, state.get("steps") or [], list(range(len(plan)))
                ) if ctx.solve_scheme == "stepwise" else "",
                work=draft,
                answer=extract_answer(draft),
            )
        ),
    ]
    text, usage = call_model("verifier", models, ctx, messages, run_name="verify")
    verdict, feedback = parse_verdict(text)
    repair = verdict is False and repairs < ctx.max_repairs
    runtime.stream_writer({"event": "verdict", "verified": verdict, "repair": repair})
    update: dict[str, Any] = {"verified": verdict, "usage": usage}
    if repair:
        update.update(draft=None, rejected=extract_answer(draft), feedback=feedback,
                      repairs=repairs + 1)
    return update


def aggregate(state: State, runtime: Runtime[Context], *, models: RoleModels) -> dict[str, Any]:
    """Write the final answer, its numeric form and the answered sub-questions.

    Without an answer to the question the budget was spent: the best partial answer is the
    last rejected answer, else the last sub-answer, and ``stopped`` says which budget.
    """
    plan = state.get("plan") or []
    answered = {s["index"]: s["answer"] for s in state.get("steps") or []}
    draft = state.get("draft")
    stopped = state.get("stopped")
    if draft is not None:
        answer = extract_answer(draft)
    else:
        answer = state.get("rejected") or (answered[max(answered)] if answered else "")
        stopped = budget_spent(
            state.get("usage"), state.get("started_at"), models, run_context(runtime)
        ) or "budget spent"
    subquestions: list[SubQuestion] = [
        {"question": q, "answer": answered.get(i) or ""} for i, q in enumerate(plan)
    ]
    return {
        "answer": answer,
        "numeric_answer": normalize_number(answer),
        "subquestions": subquestions,
        "verified": state.get("verified"),
        "repairs": state.get("repairs") or 0,
        "stopped": stopped,
        # Per-run inputs must not leak into the next run on the same thread.
        "context": "",
        "subquestions_given": None,
    }
