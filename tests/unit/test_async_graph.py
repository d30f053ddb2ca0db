"""The graph's async bodies do what its sync bodies do: same prompts, answers, usage, events."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from langgraph_decomp import build_graph
from tests.fakes import RuleChat

QUESTION = "Tom has 3 apples and buys 5 more. He eats 2. How many apples are left?"
PLAN = "1. How many apples after buying?\n2. How many after eating?"


def scripted() -> tuple[RuleChat, RuleChat, RuleChat]:
    """Fakes whose replies depend only on the prompt and on how often they were asked."""
    counter = itertools.count()

    def solver(prompt: str) -> str:
        n = next(counter)
        if "Sub-question: How many apples after buying?" in prompt:
            return "3 + 5 = 8\nAnswer: 8"
        if "Sub-question: How many after eating?" in prompt:
            return "8 - 2 = 6\nAnswer: 6"
        return f"1. 3 + 5 = 8\n2. 8 - 2 = 6\nFinal answer: {6 if n % 3 else 7}"

    verdicts = itertools.cycle(["VERDICT: INCORRECT\nFEEDBACK: recheck", "VERDICT: CORRECT"])
    return (RuleChat.by(lambda _: PLAN), RuleChat.by(solver),
            RuleChat.by(lambda _: next(verdicts)))


def texts(fake: RuleChat) -> list[list[str]]:
    return [[str(m.content) for m in prompt] for prompt in fake.prompts]


@pytest.mark.parametrize("knobs", [
    {"solve_scheme": "guided"},
    {"solve_scheme": "stepwise", "verify": True, "verify_steps": True},
    {"solve_scheme": "vote", "n_samples": 3},
    {"solve_scheme": "paper", "verify": True, "max_repairs": 2},
    {"decompose": False, "n_samples": 5},
])
async def test_ainvoke_and_invoke_send_the_same_prompts_and_return_the_same(knobs):
    runs: list[tuple[Any, ...]] = []
    for awaited in (False, True):
        decomposer, solver, verifier = scripted()
        graph = build_graph(decomposer=decomposer, solver=solver, verifier=verifier)
        config = {"configurable": {"thread_id": "t"}}
        inputs = {"question": QUESTION}
        events = ([e async for e in graph.astream(inputs, config, context=knobs,
                                                  stream_mode=["custom", "values"])]
                  if awaited else list(graph.stream(inputs, config, context=knobs,
                                                    stream_mode=["custom", "values"])))
        out = [chunk for mode, chunk in events if mode == "values"][-1]
        custom = [chunk for mode, chunk in events if mode == "custom"]
        runs.append((out["answer"], out["usage"], out["repairs"], out["verified"], custom,
                     texts(decomposer), texts(solver), texts(verifier)))
    assert runs[0] == runs[1]
    assert runs[0][1]["solver"]["calls"] >= 1
