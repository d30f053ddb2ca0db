"""The graph's nodes: decompose, solve, verify, aggregate, and the router between them.

Each node is a small core ``(state, runtime, *, models, prompts) -> Steps[update]``: a
generator that yields the model calls it needs (:class:`~langgraph_decomp.models.ModelCall`)
and returns its update, so :func:`node` gives it a sync body that calls the models and an
async one that awaits them. ``models`` (the graph's default model per role) and ``prompts``
are bound by :func:`langgraph_decomp.build_graph`; the solving schemes are in
:mod:`langgraph_decomp.solving`.

Flow: ``decompose`` plans; ``route`` sends every plan step whose dependencies are answered to
``solve`` (one ``Send`` each, so independent steps run in parallel; by default each step
depends on all earlier ones, the paper's two-stage scheme), then the original question;
``verify`` is the gate after every wave of ``solve`` tasks and, once the question is
answered, checks the answer and may send it back for a bounded repair; ``aggregate`` writes
the output.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, cast

from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from langgraph.runtime import Runtime, get_runtime
from langgraph.types import Overwrite, Send

from langgraph_decomp.answers import (
    asks_yes_or_no,
    extract_answer,
    normalize_number,
    numbered_answers,
    yes_no,
)
from langgraph_decomp.arithmetic import arithmetic_slips
from langgraph_decomp.budget import budget_spent
from langgraph_decomp.context import MAX_SUBQUESTIONS, Context, run_context
from langgraph_decomp.errors import InvalidInputError
from langgraph_decomp.models import ModelCall, RoleModels, Steps, adrive, ask, drive, model_label
from langgraph_decomp.parsing import Plan, parse_plan, parse_verdict, plan_dependencies, plan_stop
from langgraph_decomp.program import run_program
from langgraph_decomp.prompts import DEFAULT_PROMPTS, Prompts, decompose_messages
from langgraph_decomp.solving import answer_question, answer_step
from langgraph_decomp.state import SolveTask, State, StepResult, SubQuestion, add_usage

__all__ = [  # the nodes, and names kept importable from here for older code
    "aggregate", "context_text", "decompose", "decompose_messages", "final_messages",
    "node", "parse_verdict", "route", "run_context", "solve", "validate_input", "verify",
]

Update = dict[str, Any]
"""A node's state update."""


def node(
    core: Callable[..., Steps[Update]], name: str, *, models: RoleModels,
    prompts: Prompts = DEFAULT_PROMPTS,
) -> Runnable[Any, Update]:
    """A node with a sync and an async body over one core (a generator of model calls):
    ``graph.invoke`` calls the models directly, ``graph.ainvoke`` awaits them
    (:func:`~langgraph_decomp.models.acall_model`), so concurrent async runs are not
    limited by LangGraph's thread pool."""
    try:
        from langgraph._internal._runnable import RunnableCallable
    except ImportError:  # pragma: no cover - another langgraph layout
        RunnableCallable = None  # type: ignore[assignment,misc]  # marks it missing: RunnableLambda below  # noqa: N806

    def run(state: Any, runtime: Runtime[Context]) -> Update:
        return drive(core(state, runtime, models=models, prompts=prompts), models)

    async def arun(state: Any, runtime: Runtime[Context]) -> Update:
        return await adrive(core(state, runtime, models=models, prompts=prompts), models)

    run.__name__ = arun.__name__ = name
    if RunnableCallable is None:  # pragma: no cover - a langgraph without it
        from langchain_core.runnables import RunnableLambda

        async def afunc(state: Any) -> Update:
            return await arun(state, get_runtime())

        return RunnableLambda(lambda state: run(state, get_runtime()), afunc=afunc, name=name)
    # As langgraph's prebuilt agent registers its model node: one runnable, both bodies; the
    # runtime is injected into either by name, and no extra trace level is added.
    return RunnableCallable(run, arun, name=name, trace=False)


def validate_input(state: Mapping[str, Any], ctx: Context) -> tuple[str, str]:
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
        texts = [part for part in parts if isinstance(part, str)]
        if len(texts) == len(parts):
            return "\n\n".join(part.strip() for part in texts if part.strip())
    raise InvalidInputError(
        "'context' must be a string or a list of strings or documents (page_content), got "
        f"{type(value).__name__}.", field="context")


def _stored_context(state: State) -> str | None:
    """The run's ``context`` after ``decompose``: the text :func:`validate_input` made of it
    (the input may be a list; the state ``decompose`` writes holds the string)."""
    return cast("str | None", state.get("context"))


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


def _plan(
    state: State, ctx: Context, prompts: Prompts, question: str, context: str
) -> Steps[tuple[Plan, dict[str, Any]]]:
    """The plan for this run: none (one-stage), the caller's, or the decomposer's."""
    if not ctx.decompose:
        return Plan(status="skipped"), {}
    given = state.get("subquestions_given")
    if given is not None:
        _validate_given_plan(given, ctx)
        return parse_plan(json.dumps(given), ctx.max_subquestions), {}
    messages = prompts.decompose_messages(question, context,
                                          max_subquestions=ctx.max_subquestions)
    # The run's clock starts in `decompose`, just before this call (state.started_at is
    # written when the node returns), so the decomposer's deadline counts from now.
    text, usage = yield from ask(ModelCall("decomposer", ctx, messages, "decompose",
                                           local_stop=plan_stop(ctx.max_subquestions),
                                           started_at=time.time()))
    return parse_plan(text, ctx.max_subquestions), usage


def decompose_core(state: State, runtime: Runtime[Context], *, models: RoleModels,
                   prompts: Prompts) -> Steps[Update]:
    """Validate the input, then plan: ask the decomposer (or take the given plan)."""
    ctx = run_context(runtime)
    started_at = time.time()
    question, context = validate_input(state, ctx)  # before any model is loaded
    plan, usage = yield from _plan(state, ctx, prompts, question, context)
    if 0 < len(plan.subquestions) < ctx.min_subquestions:
        plan = Plan(status="too_short")  # adaptive skip: answer one-stage
    runtime.stream_writer(
        {"event": "plan", "subquestions": plan.subquestions, "status": plan.status}
    )
    return {
        "question": question,
        "context": context,
        "plan": plan.subquestions,
        "depends_on": plan_dependencies(plan.subquestions, ctx.dependencies),
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


def route(state: State, *, models: RoleModels,
          prompts: Prompts = DEFAULT_PROMPTS) -> list[Send] | Literal["aggregate"]:
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
        prompts.digest,
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
                context=_stored_context(state) or "",
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
    prompts: Prompts = DEFAULT_PROMPTS,
) -> list[BaseMessage]:
    """The solver's prompt for the question itself: :meth:`Prompts.final_messages`."""
    return prompts.final_messages(question, plan, scheme=scheme, context=context,
                                  previous_block=previous_block, feedback_block=feedback_block)


def solve_core(task: SolveTask, runtime: Runtime[Context], *, models: RoleModels,
               prompts: Prompts) -> Steps[Update]:
    """Answer one sub-question (``index < len(plan)``) or the question itself
    (:mod:`langgraph_decomp.solving`)."""
    ctx = run_context(runtime)
    plan, index = task["plan"], task["index"]
    if index < len(plan):
        answer, work, usage = yield from answer_step(ctx, prompts, task)
        runtime.stream_writer(
            {"event": "answer", "index": index, "question": plan[index], "answer": answer}
        )
        step: StepResult = {"index": index, "answer": answer, "work": work}
        return {"steps": [step], "usage": usage}
    text, usage = yield from answer_question(ctx, prompts, task)
    worked: dict[int, str] = {}
    if plan and ctx.solve_scheme == "guided":  # the reply's numbered lines answer the plan
        worked = numbered_answers(text, len(plan))
    elif ctx.solve_scheme == "program":  # computed here; the draft shows the values
        run = run_program(text)
        text, worked = run.render(), run.step_values(len(plan))
    runtime.stream_writer({"event": "draft", "answer": extract_answer(text)})
    update: Update = {"draft": text.strip(), "usage": usage}
    if worked:
        update["steps"] = [StepResult(index=i, answer=line) for i, line in worked.items()]
    return update


def _verify_steps(state: State, ctx: Context, models: RoleModels,
                  prompts: Prompts) -> Steps[Update]:
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
        messages = prompts.verify_step_messages(
            state["question"], plan[i], step["answer"], context=_stored_context(state),
            previous_block=prompts.previous_text(plan, steps, list(range(i))),
        )
        text, used = yield from ask(ModelCall("verifier", ctx, messages, f"verify[{i + 1}]"))
        usage = add_usage(usage, used)
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


def verify_core(state: State, runtime: Runtime[Context], *, models: RoleModels,
                prompts: Prompts) -> Steps[Update]:
    """Gate after each wave of ``solve`` tasks; check the answer once there is one.

    A rejected answer goes back to ``solve`` with the verifier's feedback, at most
    ``Context.max_repairs`` times; an unreadable verdict counts as no verdict and never
    triggers a repair.
    """
    draft = state.get("draft")
    ctx = run_context(runtime)
    if draft is None and ctx.verify_steps:
        return (yield from _verify_steps(state, ctx, models, prompts))
    repairs = state.get("repairs") or 0
    program = ctx.solve_scheme == "program"
    if (draft is not None and program and repairs < ctx.max_repairs
            and (error := run_program(draft).error)):  # free, local: no model call
        runtime.stream_writer({"event": "verdict", "verified": False, "repair": True,
                               "source": "program", "error": error})
        return {"draft": None, "rejected": extract_answer(draft),
                "repairs": repairs + 1, "feedback": prompts.program_feedback.format(error=error)}
    answer = extract_answer(draft) if draft is not None else ""
    if (draft is not None and ctx.check_answer_form and repairs < ctx.max_repairs
            and yes_no(answer) and not asks_yes_or_no(state["question"])):  # free, local
        runtime.stream_writer({"event": "verdict", "verified": False, "repair": True,
                               "source": "answer_form", "answer": answer})
        return {"draft": None, "rejected": answer, "repairs": repairs + 1,
                "feedback": prompts.answer_form_feedback.format(answer=answer)}
    checked = (draft is not None and ctx.check_arithmetic and not program
               and repairs < ctx.max_repairs)
    if checked and (slips := arithmetic_slips(draft or "")):  # free, local: no model call
        runtime.stream_writer({"event": "verdict", "verified": False, "repair": True,
                               "source": "arithmetic", "slips": slips})
        return {"draft": None, "rejected": extract_answer(draft or ""), "repairs": repairs + 1,
                "feedback": prompts.arithmetic_feedback.format(slips="; ".join(slips))}
    if draft is None or not ctx.verify:
        return {}
    if stopped := budget_spent(state.get("usage"), state.get("started_at"), models, ctx):
        return {"stopped": f"{stopped}; answer not verified"}
    plan = state.get("plan") or []
    messages = prompts.verify_messages(
        state["question"], draft, extract_answer(draft), context=_stored_context(state),
        previous_block=prompts.previous_text(plan, state.get("steps") or [],
                                             list(range(len(plan))))
        if ctx.solve_scheme == "stepwise" else "",
    )
    text, usage = yield from ask(ModelCall("verifier", ctx, messages, "verify"))
    verdict, feedback = parse_verdict(text)
    repair = verdict is False and repairs < ctx.max_repairs
    runtime.stream_writer({"event": "verdict", "verified": verdict, "repair": repair})
    update: Update = {"verified": verdict, "usage": usage}
    if repair:
        update.update(draft=None, rejected=extract_answer(draft), feedback=feedback,
                      repairs=repairs + 1)
    return update


def aggregate_core(state: State, runtime: Runtime[Context], *, models: RoleModels,
                   prompts: Prompts) -> Steps[Update]:
    """Write the final answer, its numeric form and the answered sub-questions (no model
    call).

    Without an answer to the question the budget was spent: the best partial answer is the
    last rejected answer, else the last sub-answer, and ``stopped`` says which budget.
    """
    yield from ()  # a core like the others, though it calls no model
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


def _called_directly(core: Callable[..., Steps[Update]]) -> Callable[..., Update]:
    """A node core as a plain sync function ``(state, runtime, *, models, prompts)``, for
    code that calls a node directly (the graph itself uses :func:`node`)."""
    def run(state: Any, runtime: Runtime[Context], *, models: RoleModels,
            prompts: Prompts = DEFAULT_PROMPTS) -> Update:
        return drive(core(state, runtime, models=models, prompts=prompts), models)

    run.__name__ = run.__qualname__ = core.__name__.removesuffix("_core")
    run.__doc__ = f"The ``{run.__name__}`` node called directly (sync): :func:`{core.__name__}`."
    return run


decompose = _called_directly(decompose_core)
solve = _called_directly(solve_core)
verify = _called_directly(verify_core)
aggregate = _called_directly(aggregate_core)
