"""The whole graph with scripted fake models: flow, fallback, repair bounds, usage."""

import pytest
from langchain_core.messages import AIMessage
from langgraph.checkpoint.memory import InMemorySaver

from langgraph_decomp import DEFAULT_PROMPTS, build_graph
from tests.fakes import ScriptedChat

STEPWISE = {"solve_scheme": "stepwise", "verify": True}  # a call per sub-question, checked
QUESTION = "Tom has 3 apples and buys 5 more. He eats 2. How many apples are left?"
PLAN = "1. How many apples after buying?\n2. How many after eating?"


def two_stage_solver(*extra: str) -> ScriptedChat:
    steps = ("3 + 5 = 8\nAnswer: 8", "8 - 2 = 6\nAnswer: 6", "Final answer: 6")
    return ScriptedChat.of(*steps, *extra)


def test_two_stage_answers_each_subquestion_in_order_then_the_question():
    solver = two_stage_solver("VERDICT: CORRECT\nFEEDBACK: none")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context=STEPWISE
    )
    assert out["decomposed"] is True and out["fallback_reason"] is None
    assert out["subquestions"] == [
        {"question": "How many apples after buying?", "answer": "8"},
        {"question": "How many after eating?", "answer": "6"},
    ]
    assert out["answer"] == "6" and out["numeric_answer"] == "6"
    assert out["verified"] is True and out["repairs"] == 0
    # The second step sees the question and the first answer; the final step sees both.
    step2 = solver.prompts[1][-1].content
    assert QUESTION in step2 and "3 + 5 = 8" in step2 and "How many after eating?" in step2
    final = solver.prompts[2][-1].content
    assert "8 - 2 = 6" in final and "How many apples after buying?" in final
    assert set(out) == {
        "answer", "numeric_answer", "subquestions", "usage", "decomposed", "fallback_reason",
        "verified", "repairs", "stopped",
    }


def test_usage_is_summed_per_role():
    decomposer = ScriptedChat.of(PLAN)
    solver = two_stage_solver()
    verifier = ScriptedChat.of("VERDICT: CORRECT")
    out = build_graph(decomposer=decomposer, solver=solver, verifier=verifier).invoke(
        {"question": QUESTION}, context=STEPWISE
    )

    def expected(fake):
        usages = [
            ScriptedChat.usage_for(p, r)
            for p, r in zip(fake.prompts, [m.content for m in fake.replies], strict=True)
        ]
        return {
            "input_tokens": sum(u["input_tokens"] for u in usages),
            "output_tokens": sum(u["output_tokens"] for u in usages),
            "calls": len(usages),
            "model": "ScriptedChat",
            "hosted": True,  # a ready chat model that does not run in process
        }

    assert out["usage"]["decomposer"] == expected(decomposer)
    assert out["usage"]["solver"] == expected(solver)
    assert out["usage"]["verifier"] == expected(verifier)
    assert out["usage"]["solver"]["calls"] == 3


@pytest.mark.parametrize(
    ("plan", "reason"),
    [("No decomposition", "no_decomposition"), ("", "empty"), ("%%% ??? ###", "unparsable")],
)
def test_unusable_plan_falls_back_to_answering_directly(plan, reason):
    solver = ScriptedChat.of("3+5-2 = 6. Final answer: 6", "VERDICT: CORRECT")
    out = build_graph(decomposer=ScriptedChat.of(plan), solver=solver).invoke(
        {"question": QUESTION}, context=STEPWISE
    )
    assert out["decomposed"] is False and out["fallback_reason"] == reason
    assert out["subquestions"] == [] and out["answer"] == "6"
    assert out["usage"]["solver"]["calls"] == 1  # one direct answer, no sub-questions
    assert "Answers so far" not in solver.prompts[0][-1].content


@pytest.mark.parametrize("max_repairs", [0, 1, 3])
def test_repair_is_bounded_by_max_repairs(max_repairs):
    finals = [f"Final answer: {n}" for n in range(max_repairs + 1)]
    solver = ScriptedChat.of("Answer: 8", "Answer: 6", *finals)
    verifier = ScriptedChat.of(*["VERDICT: INCORRECT\nFEEDBACK: recount"] * (max_repairs + 1))
    graph = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier)
    out = graph.invoke({"question": QUESTION}, context={**STEPWISE, "max_repairs": max_repairs})
    assert out["repairs"] == max_repairs
    assert out["verified"] is False
    assert out["usage"]["verifier"]["calls"] == max_repairs + 1
    assert out["usage"]["solver"]["calls"] == 2 + max_repairs + 1
    assert out["answer"] == str(max_repairs)
    if max_repairs:
        repair_prompt = solver.prompts[3][-1].content
        assert "recount" in repair_prompt and "rejected" in repair_prompt


def test_repair_that_passes_stops_early():
    solver = ScriptedChat.of("Answer: 8", "Answer: 6", "Final answer: 7", "Final answer: 6")
    verifier = ScriptedChat.of("VERDICT: INCORRECT\nFEEDBACK: 8-2 is 6", "VERDICT: CORRECT")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION}, context={**STEPWISE, "max_repairs": 5}
    )
    assert out["answer"] == "6" and out["verified"] is True and out["repairs"] == 1


def test_unreadable_verdict_never_triggers_a_repair():
    solver = two_stage_solver()
    verifier = ScriptedChat.of("hmm, let me think about apples")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION}, context=STEPWISE
    )
    assert out["verified"] is None and out["repairs"] == 0


def test_verification_can_be_turned_off():
    verifier = ScriptedChat.of()
    out = build_graph(
        decomposer=ScriptedChat.of(PLAN), solver=two_stage_solver(), verifier=verifier
    ).invoke({"question": QUESTION}, context={**STEPWISE, "verify": False})
    assert "verifier" not in out["usage"] and verifier.prompts == []


def test_huge_plan_is_capped():
    plan = "\n".join(f"{i}. Sub-question number {i}?" for i in range(1, 201))
    solver = ScriptedChat.of(*[f"Answer: {i}" for i in range(3)], "Final answer: 2")
    out = build_graph(decomposer=ScriptedChat.of(plan), solver=solver).invoke(
        {"question": QUESTION}, context={**STEPWISE, "max_subquestions": 3, "verify": False}
    )
    assert len(out["subquestions"]) == 3
    assert out["usage"]["solver"]["calls"] == 4


def test_a_reused_thread_starts_each_question_afresh():
    graph = build_graph(
        decomposer=ScriptedChat.of(PLAN, "No decomposition"),
        solver=ScriptedChat.of("Answer: 8", "Answer: 6", "Final answer: 6", "Final answer: 4"),
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "t1"}}
    first = graph.invoke({"question": QUESTION}, config, context={**STEPWISE, "verify": False})
    second = graph.invoke(
        {"question": "What is 2 + 2?"}, config, context={**STEPWISE, "verify": False}
    )
    assert first["usage"]["solver"]["calls"] == 3
    assert second["usage"]["solver"]["calls"] == 1
    assert second["subquestions"] == [] and second["answer"] == "4"


def test_progress_events_are_streamed():
    graph = build_graph(decomposer=ScriptedChat.of(PLAN), solver=two_stage_solver())
    events = [
        chunk["event"]
        for chunk in graph.stream(
            {"question": QUESTION}, context={**STEPWISE, "verify": False}, stream_mode="custom"
        )
    ]
    assert events == ["plan", "answer", "answer", "draft"]


def test_the_graph_accepts_a_context_text():
    solver = two_stage_solver()
    build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION, "context": "Apples cost $1."}, context={**STEPWISE, "verify": False}
    )
    assert all("Apples cost $1." in p[-1].content for p in solver.prompts)


async def test_async_invocation_works():
    out = await build_graph(decomposer=ScriptedChat.of(PLAN), solver=two_stage_solver()).ainvoke(
        {"question": QUESTION}, context={**STEPWISE, "verify": False}
    )
    assert out["answer"] == "6"


def test_fake_replies_are_what_the_fakes_returned():
    # Guards the helper used above: the scripted replies are recorded in order.
    fake = ScriptedChat.of("a", "b")
    assert fake.invoke("x").content == "a" and fake.invoke("y").content == "b"
    assert [m.content for m in fake.replies] == ["a", "b"]
    assert isinstance(fake.replies[0], AIMessage)


def test_one_stage_skips_the_decomposer():
    decomposer = ScriptedChat.of()
    solver = ScriptedChat.of("3 + 5 - 2 = 6\nFinal answer: 6")
    out = build_graph(decomposer=decomposer, solver=solver).invoke(
        {"question": QUESTION}, context={**STEPWISE, "decompose": False, "verify": False}
    )
    assert decomposer.prompts == [] and "decomposer" not in out["usage"]
    assert out["decomposed"] is False and out["fallback_reason"] == "skipped"
    assert out["answer"] == "6"


def test_a_given_plan_replaces_the_decomposer():
    decomposer = ScriptedChat.of()
    out = build_graph(decomposer=decomposer, solver=two_stage_solver()).invoke(
        {"question": QUESTION,
         "subquestions_given": ["How many after buying?", "And after eating?"]},
        context={**STEPWISE, "verify": False},
    )
    assert decomposer.prompts == []
    assert [s["question"] for s in out["subquestions"]] == [
        "How many after buying?", "And after eating?"
    ]
    assert out["usage"]["solver"]["calls"] == 3


def test_a_given_plan_must_be_a_list_of_strings():
    from langgraph_decomp import InvalidInputError

    with pytest.raises(InvalidInputError, match="subquestions_given"):
        build_graph(decomposer=ScriptedChat.of(), solver=ScriptedChat.of()).invoke(
            {"question": QUESTION, "subquestions_given": "1. a?"}
        )


def test_per_run_inputs_do_not_leak_into_the_next_run_on_a_thread():
    solver = ScriptedChat.of("Answer: 1", "Final answer: 1", "Final answer: 2")
    graph = build_graph(
        decomposer=ScriptedChat.of("No decomposition"), solver=solver,
        checkpointer=InMemorySaver(),
    )
    config = {"configurable": {"thread_id": "t2"}}
    graph.invoke(
        {"question": QUESTION, "context": "Apples cost $1.", "subquestions_given": ["How many?"]},
        config, context={**STEPWISE, "verify": False},
    )
    second = graph.invoke(
        {"question": "What is 1 + 1?"}, config, context={**STEPWISE, "verify": False}
    )
    assert "Apples cost $1." not in solver.prompts[-1][-1].content
    assert second["decomposed"] is False and second["fallback_reason"] == "no_decomposition"


def test_a_failed_run_resumes_from_its_checkpoint_without_repaying_finished_steps():
    from langgraph_decomp import ModelCallError
    from tests.fakes import RuleChat

    failing = {"on": True}
    solver_calls: list[str] = []

    def solve_rule(prompt: str) -> str:
        solver_calls.append(prompt)
        if failing["on"] and "Sub-question: How many after eating?" in prompt:
            raise ConnectionError("solver endpoint went away")
        return "Final answer: 6" if "Answer the problem" in prompt else "Answer: 8"

    decomposer = ScriptedChat.of(PLAN)
    graph = build_graph(decomposer=decomposer, solver=RuleChat.by(solve_rule),
                        checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "resume"}}
    with pytest.raises(ModelCallError, match="solver endpoint went away"):
        graph.invoke({"question": QUESTION}, config, context={**STEPWISE, "verify": False})
    assert len(solver_calls) == 2  # step 1 done, step 2 failed

    failing["on"] = False
    # Resume on the same thread.
    out = graph.invoke(None, config, context={**STEPWISE, "verify": False})
    assert out["answer"] == "6"
    assert len(decomposer.prompts) == 1  # the plan was not paid for again
    assert len(solver_calls) == 4  # only step 2 (again) and the final answer
    assert "How many apples after buying?" not in solver_calls[2].split("Sub-question:")[1]


@pytest.mark.parametrize("scheme", ["scaffold", "paper"])
def test_one_call_schemes_put_the_plan_in_a_single_solver_prompt(scheme):
    solver = ScriptedChat.of("3 + 5 = 8\n8 - 2 = 6\nFinal answer: 6")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={"solve_scheme": scheme, "verify": False}
    )
    assert out["answer"] == "6" and out["decomposed"] is True
    assert out["usage"]["solver"]["calls"] == 1
    assert [s["question"] for s in out["subquestions"]] == [
        "How many apples after buying?", "How many after eating?"
    ]
    prompt = solver.prompts[0][-1].content
    assert "1. How many apples after buying?\n2. How many after eating?" in prompt
    system = solver.prompts[0][0].content
    assert ("in order" in system) is (scheme == "paper")


def test_scaffold_is_one_stage_chain_of_thought_plus_the_hints():
    one = ScriptedChat.of("Final answer: 6")
    two = ScriptedChat.of("Final answer: 6")
    build_graph(decomposer=ScriptedChat.of(PLAN), solver=one).invoke(
        {"question": QUESTION},
        context={"decompose": False, "solve_scheme": "scaffold", "verify": False}
    )
    build_graph(decomposer=ScriptedChat.of(PLAN), solver=two).invoke(
        {"question": QUESTION}, context={"solve_scheme": "scaffold", "verify": False}
    )
    plain, hinted = one.prompts[0], two.prompts[0]
    assert plain[0].content == hinted[0].content  # same system prompt
    assert "may help" in hinted[-1].content and "may help" not in plain[-1].content
    assert hinted[-1].content.replace(
        "These sub-questions may help you plan; use them only where they help:\n"
        "1. How many apples after buying?\n2. How many after eating?\n\n", ""
    ) == plain[-1].content


def test_a_repair_in_a_one_call_scheme_re_asks_with_the_plan_and_the_feedback():
    solver = ScriptedChat.of("Final answer: 7", "Final answer: 6")
    verifier = ScriptedChat.of("VERDICT: INCORRECT\nFEEDBACK: 8-2 is 6", "VERDICT: CORRECT")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION}, context={"solve_scheme": "scaffold", "verify": True}
    )
    assert out["answer"] == "6" and out["repairs"] == 1 and out["verified"] is True
    repair = solver.prompts[1][-1].content
    assert "8-2 is 6" in repair and "How many after eating?" in repair


def test_unknown_solve_scheme_is_a_typed_error():
    from langgraph_decomp import InvalidInputError

    with pytest.raises(InvalidInputError, match="solve_scheme"):
        build_graph(decomposer=ScriptedChat.of(PLAN), solver=ScriptedChat.of()).invoke(
            {"question": QUESTION}, context={"solve_scheme": "magic"}
        )


def test_vote_scheme_stops_after_two_calls_when_with_and_without_hints_agree():
    solver = ScriptedChat.of("Final answer: 6", "6 it is\nFinal answer: 6.00")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={"solve_scheme": "vote", "verify": False}
    )
    assert out["answer"] == "6" and out["usage"]["solver"]["calls"] == 2
    plain, hinted = (p[-1].content for p in solver.prompts)
    assert "may help" not in plain and "may help" in hinted


@pytest.mark.parametrize(
    ("paper_reply", "expected"),
    [("Final answer: 8", "8"), ("Final answer: 9", "7")],  # majority; else plain CoT wins
)
def test_vote_scheme_breaks_a_disagreement_with_the_paper_prompt(paper_reply, expected):
    solver = ScriptedChat.of("Final answer: 7", "Final answer: 8", paper_reply)
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={"solve_scheme": "vote", "verify": False}
    )
    assert out["answer"] == expected and out["usage"]["solver"]["calls"] == 3
    assert "in order" in solver.prompts[2][0].content  # the third call is the paper's prompt


@pytest.mark.parametrize(("plan", "decomposed"), [("1. What is 3 + 5 - 2?", False), (PLAN, True)])
def test_adaptive_skip_answers_short_plans_directly_and_says_so(plan, decomposed):
    solver = ScriptedChat.of("Final answer: 6")
    out = build_graph(decomposer=ScriptedChat.of(plan), solver=solver).invoke(
        {"question": QUESTION},
        context={"min_subquestions": 2, "verify": False, "solve_scheme": "scaffold"},
    )
    assert out["answer"] == "6" and out["decomposed"] is decomposed
    assert out["fallback_reason"] == (None if decomposed else "too_short")
    assert ("may help" in solver.prompts[0][-1].content) is decomposed
    assert out["usage"]["solver"]["calls"] == 1


def test_min_subquestions_is_bounded_by_the_cap():
    from langgraph_decomp import InvalidInputError

    with pytest.raises(InvalidInputError, match="min_subquestions"):
        build_graph(decomposer=ScriptedChat.of(PLAN), solver=ScriptedChat.of()).invoke(
            {"question": QUESTION}, context={"min_subquestions": 9}
        )


def test_a_node_cache_serves_repeated_solver_tasks_but_not_other_settings():
    from langgraph.cache.memory import InMemoryCache

    solver = ScriptedChat.of("Final answer: 6", "Final answer: 6", "Final answer: 6")
    graph = build_graph(
        decomposer=ScriptedChat.of(PLAN, PLAN, PLAN), solver=solver, cache=InMemoryCache()
    )
    knobs = {"verify": False, "solve_scheme": "scaffold"}
    outs = [graph.invoke({"question": QUESTION}, context=knobs) for _ in range(2)]
    assert [o["answer"] for o in outs] == ["6", "6"]
    assert len(solver.prompts) == 1  # the second run's solve task came from the cache
    graph.invoke({"question": QUESTION}, context={**knobs, "solve_scheme": "paper"})
    assert len(solver.prompts) == 2  # another scheme is another task


def test_a_node_cache_serves_every_step_of_a_repeated_stepwise_run():
    """Later steps carry earlier answers; one read back from the cache is a new string
    object, which changed LangGraph's pickled default key: only step 1 was ever served."""
    from langgraph.cache.memory import InMemoryCache

    from tests.fakes import RuleChat

    solver = RuleChat.by(lambda p: "Final answer: 6" if "Answer the problem" in p
                         else "3 + 5 = 8\nAnswer: 8")
    graph = build_graph(decomposer=RuleChat.by(lambda _: PLAN), solver=solver,
                        cache=InMemoryCache())
    outs = [graph.invoke({"question": QUESTION}, context={**STEPWISE, "verify": False})
            for _ in range(2)]
    assert outs[0] == outs[1]
    assert len(solver.prompts) == 3  # two steps and the question, once


def test_the_solve_cache_key_is_canonical_json_of_the_task():
    from langgraph_decomp.graph import solve_cache_key

    shared = "x" * 40
    a = {"question": "q", "plan": [shared], "steps": [{"index": 0, "answer": shared,
                                                        "work": shared}], "index": 1}
    b = {"index": 1, "steps": [{"work": "x" * 40, "answer": "".join(["x"] * 40), "index": 0}],
         "plan": ["x" * 40], "question": "q"}
    assert solve_cache_key(a) == solve_cache_key(b)
    assert solve_cache_key({**a, "index": 2}) != solve_cache_key(a)


def test_verify_steps_re_solves_only_the_rejected_step_with_its_feedback():
    from tests.fakes import RuleChat

    def solve_rule(prompt: str) -> str:
        if "Sub-question: How many apples after buying?" in prompt:
            return "Answer: 8" if "rejected an earlier answer" in prompt else "Answer: 9"
        if "Sub-question: How many after eating?" in prompt:
            return "8 - 2 = 6\nAnswer: 6"
        return "Final answer: 6"

    def verify_rule(prompt: str) -> str:
        if "Proposed answer to the sub-question: 9" in prompt:
            return "VERDICT: INCORRECT\nFEEDBACK: 3 + 5 is 8"
        return "VERDICT: CORRECT\nFEEDBACK: none"

    solver, verifier = RuleChat.by(solve_rule), RuleChat.by(verify_rule)
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION}, context={**STEPWISE, "verify_steps": True, "verify": False}
    )
    assert [s["answer"] for s in out["subquestions"]] == ["8", "6"] and out["answer"] == "6"
    asked = [p[-1].content.split("Sub-question:")[-1].strip() for p in solver.prompts]
    assert asked.count("How many apples after buying?") == 2  # rejected once, re-solved
    assert asked.count("How many after eating?") == 1  # accepted: not paid again
    retry = solver.prompts[1][-1].content
    assert "rejected an earlier answer to this sub-question (9)" in retry and "3 + 5 is 8" in retry
    step2 = next(p[-1].content for p in solver.prompts if "after eating?" in p[-1].content)
    assert "Answer: 8" in step2 and "Answer: 9" not in step2  # later steps see the fix
    assert out["usage"]["verifier"]["calls"] == 3


def test_verify_steps_repairs_are_bounded_per_step():
    from tests.fakes import RuleChat

    solver = RuleChat.by(lambda p: "Final answer: 6" if "Answer the problem" in p else "Answer: 1")
    verifier = RuleChat.by(lambda p: "VERDICT: INCORRECT\nFEEDBACK: wrong")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION},
        context={**STEPWISE, "verify_steps": True, "verify": False, "max_repairs": 2},
    )
    assert out["answer"] == "6"
    # Each of the 2 steps: solved once plus at most 2 repairs, checked each time; then the question.
    assert out["usage"]["solver"]["calls"] == 2 * 3 + 1
    assert out["usage"]["verifier"]["calls"] == 2 * 3


def test_guided_scheme_is_one_call_whose_lines_answer_the_subquestions():
    # The extra third line answers the problem itself; it is not a sub-question's answer.
    solver = ScriptedChat.of("1. 3 + 5 = 8\n2. 8 - 2 = 6\n3. 6 apples\nFinal answer: 6")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={"solve_scheme": "guided", "verify": False}
    )
    assert out["answer"] == "6" and out["usage"]["solver"]["calls"] == 1
    assert out["subquestions"] == [
        {"question": "How many apples after buying?", "answer": "3 + 5 = 8"},
        {"question": "How many after eating?", "answer": "8 - 2 = 6"},
    ]
    from langgraph_decomp import prompts

    system, user = solver.prompts[0]
    assert system.content == prompts.GUIDED_SYSTEM
    assert user.content == (
        f"Problem: {QUESTION}\n\nSub-questions:\n1. How many apples after buying?\n"
        "2. How many after eating?\n\nAnswer each sub-question in one line, then the problem "
        "in one more line, then give the final answer."
    )


def test_guided_scheme_without_a_plan_is_plain_chain_of_thought():
    solver = ScriptedChat.of("Final answer: 6")
    out = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver=solver).invoke(
        {"question": QUESTION}, context={"solve_scheme": "guided", "verify": False}
    )
    from langgraph_decomp import prompts

    assert out["answer"] == "6" and out["subquestions"] == []
    assert solver.prompts[0][0].content == prompts.FINAL_SYSTEM


def test_arithmetic_slips_send_the_answer_back_once_without_a_verifier_call():
    solver = ScriptedChat.of("1. 3 + 5 = 8\n2. 8 - 2 = 5\nFinal answer: 5",
                             "1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: 6")
    verifier = ScriptedChat.of()  # never asked
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION},
        context={"solve_scheme": "guided", "verify": False, "check_arithmetic": True},
    )
    assert out["answer"] == "6" and out["repairs"] == 1
    assert out["usage"]["solver"]["calls"] == 2 and "verifier" not in out["usage"]
    repair = solver.prompts[1][-1].content
    assert "8 - 2 = 5 (it is 6)" in repair and "rejected an earlier answer (5)" in repair


def test_arithmetic_repairs_are_bounded_by_max_repairs():
    wrong = "1. 3 + 5 = 9\nFinal answer: 9"
    solver = ScriptedChat.of(wrong, wrong, wrong)
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={"solve_scheme": "guided", "verify": False,
                                         "check_arithmetic": True, "max_repairs": 1})
    assert out["repairs"] == 1 and out["usage"]["solver"]["calls"] == 2 and out["answer"] == "9"


def test_the_verifier_sees_the_solvers_work():
    solver = ScriptedChat.of("1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: 6")
    verifier = ScriptedChat.of("VERDICT: CORRECT")
    build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver, verifier=verifier).invoke(
        {"question": QUESTION}, context={"solve_scheme": "guided", "verify": True})
    prompt = verifier.prompts[0][-1].content
    assert "Proposed solution:\n1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: 6" in prompt
    assert "Proposed answer: 6" in prompt


def test_the_tool_shows_each_subquestion_with_its_answer_and_no_empty_arrow():
    from langgraph_decomp.tool import _format

    out = {"subquestions": [{"question": "How many after buying?", "answer": "3 + 5 = 8"},
                            {"question": "How many after eating?", "answer": ""}],
           "answer": "6"}
    assert _format(out) == ("1. How many after buying? -> 3 + 5 = 8\n2. How many after eating?"
                            "\nFinal answer: 6")


def test_the_default_run_is_one_plan_and_one_program_call_with_no_verifier():
    solver = ScriptedChat.of("bought = 3 + 5\nleft = bought - 2\nanswer = left")
    verifier = ScriptedChat.of()
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver,
                      verifier=verifier).invoke({"question": QUESTION})
    assert out["answer"] == "6" and out["verified"] is None
    assert [s["answer"] for s in out["subquestions"]] == ["bought = 8", "left = 6"]
    assert out["usage"]["solver"]["calls"] == 1 and verifier.prompts == []
    assert solver.prompts[0][0].content == DEFAULT_PROMPTS.program_system


def test_with_guided_an_arithmetic_slip_is_re_solved_once_without_a_model_check():
    solver = ScriptedChat.of("1. 3 + 5 = 9\n2. 9 - 2 = 7\nFinal answer: 7",
                             "1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: 6")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver,
                      verifier=ScriptedChat.of()).invoke({"question": QUESTION},
                                                         context={"solve_scheme": "guided"})
    assert out["answer"] == "6" and out["repairs"] == 1
    assert out["usage"]["solver"]["calls"] == 2
    assert "3 + 5 = 9" in solver.prompts[1][-1].content


@pytest.mark.parametrize("arg", ["checkpointer", "cache", "store"])
def test_a_database_url_instead_of_a_saver_is_a_typed_error_naming_the_argument(arg):
    from langgraph_decomp import InvalidInputError

    with pytest.raises(InvalidInputError, match=f"^{arg} must be") as info:
        build_graph(decomposer=ScriptedChat.of(PLAN), solver=ScriptedChat.of(),
                    **{arg: "postgresql://postgres@127.0.0.1:5432/postgres"})
    assert info.value.field == arg
    assert "for a URL: " in str(info.value) and "not str" in str(info.value)


PROGRAM = {"solve_scheme": "program", "verify": False}


def test_program_scheme_is_one_call_whose_lines_the_graph_computes():
    solver = ScriptedChat.of("```python\nbought = 3 + 5\nleft = bought - 2\nanswer = left\n```")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context=PROGRAM)
    assert out["answer"] == "6" and out["numeric_answer"] == "6"
    assert out["usage"]["solver"]["calls"] == 1 and out["repairs"] == 0
    assert out["subquestions"] == [
        {"question": "How many apples after buying?", "answer": "bought = 8"},
        {"question": "How many after eating?", "answer": "left = 6"},
    ]
    from langgraph_decomp import prompts

    system, user = solver.prompts[0]
    assert system.content == prompts.PROGRAM_SYSTEM
    assert user.content == (
        f"Question: {QUESTION}\n\nSub-questions:\n1. How many apples after buying?\n"
        "2. How many after eating?\n\nWrite the program.")


WH_QUESTION = "Which band formed first, the Red Kites or the Blue Owls?"  # made up
YES_NO_PLAN = ("1. When were the Red Kites formed?\n2. When were the Blue Owls formed?\n"
               "3. Is #1 before #2?")


def test_a_yes_no_answer_to_a_wh_question_goes_back_once_without_a_model_check():
    solver = ScriptedChat.of("formed_r = 2009\nformed_b = 1994\nanswer = formed_r < formed_b",
                             "answer = 'the Blue Owls'")
    out = build_graph(decomposer=ScriptedChat.of(YES_NO_PLAN), solver=solver,
                      verifier=ScriptedChat.of()).invoke(
        {"question": WH_QUESTION}, context=PROGRAM)
    assert out["answer"] == "the Blue Owls" and out["repairs"] == 1
    assert out["usage"]["solver"]["calls"] == 2 and "verifier" not in out["usage"]
    repair = solver.prompts[1][-1].content
    assert "rejected an earlier answer (no)" in repair and "does not ask yes or no" in repair


@pytest.mark.parametrize(("question", "context"), [
    ("Were the Red Kites formed before the Blue Owls?", PROGRAM),
    (WH_QUESTION, {**PROGRAM, "check_answer_form": False}),
    (WH_QUESTION, {**PROGRAM, "max_repairs": 0}),
], ids=["yes-no-question", "check-off", "no-repairs"])
def test_a_yes_no_answer_stands_for_a_yes_no_question_or_with_the_check_off(question, context):
    solver = ScriptedChat.of("formed_r = 2009\nformed_b = 1994\nanswer = formed_r < formed_b")
    out = build_graph(decomposer=ScriptedChat.of(YES_NO_PLAN), solver=solver).invoke(
        {"question": question}, context=context)
    assert out["answer"] == "no" and out["repairs"] == 0
    assert out["usage"]["solver"]["calls"] == 1


def test_program_scheme_trusts_the_computed_value_not_a_stated_one():
    # The solver states a wrong result in a comment; the graph computes its own.
    solver = ScriptedChat.of("bought = 3 + 5  # 9\nanswer = bought - 2  # 7")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={**PROGRAM, "check_arithmetic": True})
    assert out["answer"] == "6" and out["repairs"] == 0
    assert out["usage"]["solver"]["calls"] == 1


@pytest.mark.parametrize("context", [None, PROGRAM], ids=["default", "program"])
def test_a_program_that_fails_is_sent_back_once_with_the_error_and_no_verifier_call(context):
    solver = ScriptedChat.of("left = bought - 2\nanswer = left",
                             "bought = 3 + 5\nleft = bought - 2\nanswer = left")
    verifier = ScriptedChat.of()  # never asked
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver,
                      verifier=verifier).invoke({"question": QUESTION}, context=context)
    assert out["answer"] == "6" and out["repairs"] == 1
    assert out["usage"]["solver"]["calls"] == 2 and "verifier" not in out["usage"]
    repair = solver.prompts[1][-1].content
    assert "line 1: left = bought - 2: 'bought' is not defined" in repair
    assert "defining every variable before it is used" in repair
    assert repair.endswith("Write the program.")


def test_program_repairs_are_bounded_and_the_partial_answer_stands():
    broken = "start = 3\nleft = bought - 2"
    solver = ScriptedChat.of(broken, broken, broken)
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={**PROGRAM, "max_repairs": 1})
    assert out["repairs"] == 1 and out["usage"]["solver"]["calls"] == 2
    assert out["answer"] == "3"  # the last value computed
    assert [s["answer"] for s in out["subquestions"]] == ["", ""]


def test_a_solver_that_answers_in_prose_is_repaired_once_then_its_stated_answer_stands():
    prose = "Tom has 3 + 5 = 8 apples and eats 2.\nFinal answer: 6"
    solver = ScriptedChat.of(prose, prose)
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context=PROGRAM)
    assert out["repairs"] == 1 and out["usage"]["solver"]["calls"] == 2
    assert "no 'name = expression' line" in solver.prompts[1][-1].content
    assert out["answer"] == "6"  # not "unknown": the prose's own answer, kept with its work


def test_program_scheme_without_a_plan_asks_for_the_program_alone():
    solver = ScriptedChat.of("answer = 3 + 5 - 2")
    out = build_graph(decomposer=ScriptedChat.of("No decomposition"), solver=solver).invoke(
        {"question": QUESTION}, context=PROGRAM)
    from langgraph_decomp import prompts

    assert out["answer"] == "6" and out["subquestions"] == [] and out["decomposed"] is False
    system, user = solver.prompts[0]
    assert system.content == prompts.PROGRAM_ALONE_SYSTEM
    assert user.content == f"Question: {QUESTION}\n\nWrite the program."


def test_one_stage_program_repairs_a_failed_program_too():
    solver = ScriptedChat.of("answer = apples - 2", "apples = 8\nanswer = apples - 2")
    out = build_graph(decomposer=ScriptedChat.of(), solver=solver).invoke(
        {"question": QUESTION}, context={**PROGRAM, "decompose": False})
    assert out["answer"] == "6" and out["repairs"] == 1
    assert "'apples' is not defined" in solver.prompts[1][-1].content


def test_program_samples_in_prose_vote_on_their_stated_answers():
    # No sample writes a program and no repair is allowed: the majority of the answers the
    # samples state wins (on computed answers alone all three would count as one empty
    # answer, and the first reply, 7, would stand).
    solver = ScriptedChat.of("Final answer: 7", "So 6.\nFinal answer: 6", "Final answer: 6")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={**PROGRAM, "n_samples": 3, "max_repairs": 0})
    assert out["answer"] == "6" and out["usage"]["solver"]["calls"] == 3


def test_program_samples_vote_on_the_computed_answers():
    # Two of three samples compute 6, written differently (as text all three differ, and a
    # three-way tie would go to the first, 8); the majority is 6.
    solver = ScriptedChat.of("answer = 3 + 5", "answer = 3 + 5 - 2", "answer = 2 * 3")
    out = build_graph(decomposer=ScriptedChat.of(PLAN), solver=solver).invoke(
        {"question": QUESTION}, context={**PROGRAM, "n_samples": 3})
    assert out["answer"] == "6" and out["usage"]["solver"]["calls"] == 3
