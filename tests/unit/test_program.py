"""The solver's program, computed locally (``solve_scheme="program"``)."""

import pytest

from langgraph_decomp.answers import extract_answer
from langgraph_decomp.program import ProgramRun, format_value, run_program


def test_assignment_lines_are_computed_in_order_and_answer_wins():
    run = run_program("```python\nbought = 3 + 5\nleft = bought - 2  # he eats 2\n"
                      "answer = left\n```")
    assert run.ok and run.error is None
    assert [(line.name, line.value) for line in run.lines] == [
        ("bought", 8), ("left", 6), ("answer", 6)]
    assert run.answer == "6"


def test_without_an_answer_line_the_last_value_is_the_answer():
    assert run_program("a = 12 / 3\nb = a * 2").answer == "8"


def test_other_lines_are_skipped_and_comparisons_are_not_assignments():
    run = run_program("Here is the program:\nx = 7\nprint(x)\nx == 7\nanswer = x * 2")
    assert run.ok and run.answer == "14" and len(run.lines) == 2


@pytest.mark.parametrize(("value", "text"), [
    (8.0, "8"), (2.5, "2.5"), (1 / 3, "0.333333"), (True, "yes"), (False, "no"),
    ("Paris", "Paris"), (-4, "-4"),
])
def test_values_are_written_as_answer_text(value, text):
    assert format_value(value) == text


def test_facts_and_comparisons_answer_yes_no_questions():
    run = run_program('pear_density = 0.6\nwater_density = 1.0\n'
                      'answer = pear_density > water_density')
    assert run.answer == "no"


@pytest.mark.parametrize(("program", "why"), [
    ("total = apples + 2", "'apples' is not defined"),
    ("x = 4 / 0", "division by zero"),
    ("x = 3 +", "not a Python expression"),
    ("x = __import__('os')", "__import__"),
    ("x = (2).__class__", "__class__"),
    ("x = 9 ** 99", "too large"),
    ("x = 10 ** 9000000", "Sorry"),
    ("nothing to run here", "no 'name = expression' line"),
])
def test_a_line_that_cannot_be_computed_stops_the_run_with_a_reason(program, why):
    run = run_program(program)
    assert not run.ok and why in (run.error or "")


def test_a_failed_run_keeps_the_failing_lines_and_its_partial_answer():
    run = run_program("a = 5\nb = c + a\nanswer = b")
    assert run.error == "line 2: b = c + a: 'c' is not defined"
    assert run.answer == "5"  # the last value computed: the best partial answer
    assert run.render() == ("a = 5  # 5\nb = c + a\nanswer = b\n"
                            "# error: line 2: b = c + a: 'c' is not defined\nFinal answer: 5")


def test_the_rendered_draft_computes_to_the_same_run():
    for text in ("a = 3 + 5\nanswer = a - 2", "a = 5\nb = c + a", "x = 'Oslo'"):
        run = run_program(text)
        again = run_program(run.render())
        assert (again.answer, again.error) == (run.answer, run.error)
        assert extract_answer(run.render()) == run.answer


def test_a_program_that_computes_nothing_answers_unknown():
    run = run_program("I cannot answer that.")
    assert run.stated == "" and run.render().endswith("Final answer: unknown")


def test_prose_instead_of_a_program_keeps_its_work_and_its_stated_answer():
    prose = "Tom has 3 + 5 = 8 apples.\nHe eats 2, so 8 - 2 = 6.\nFinal answer: 6"
    run = run_program(prose)
    assert not run.ok and run.error == "no 'name = expression' line"  # still repaired first
    assert run.answer == "" and run.stated == "6" and run.final == "6"
    draft = run.render()
    assert draft.startswith("Tom has 3 + 5 = 8 apples.") and draft.endswith("Final answer: 6")
    assert extract_answer(draft) == "6"
    again = run_program(draft)  # verify re-reads the draft: still no program, same answer
    assert (again.error, again.final) == (run.error, "6")


def test_a_computed_program_wins_over_any_stated_answer():
    run = run_program("a = 3 + 5\nanswer = a - 2\nFinal answer: 7")
    assert run.ok and run.stated == "" and run.final == "6"
    assert run.model_copy(update={"stated": "7"}).final == "6"  # computed first, then stated


def test_sub_questions_get_values_only_when_lines_match_them_one_to_one():
    run = run_program("bought = 3 + 5\nleft = bought - 2\nanswer = left")
    assert run.step_values(2) == {0: "bought = 8", 1: "left = 6"}
    assert run.step_values(3) == {}
    assert ProgramRun(lines=[]).step_values(0) == {}


def test_the_cli_says_why_a_program_is_solved_again(monkeypatch):
    import argparse
    import io

    from rich.console import Console

    from langgraph_decomp import build_graph, cli
    from tests.fakes import ScriptedChat

    graph = build_graph(decomposer=ScriptedChat.of("1. How many apples?"),
                        solver=ScriptedChat.of("answer = apples - 2", "answer = 8 - 2"))
    monkeypatch.setattr(cli, "_graph", lambda args: graph)
    monkeypatch.setattr(cli, "_context", lambda args: {"solve_scheme": "program"})
    console = Console(file=io.StringIO(), width=200)
    args = argparse.Namespace(question="Tom has 8 apples and eats 2. How many are left?",
                              context=None, json=False)
    result = cli._run_solve(args, console)
    assert result["answer"] == "6"
    shown = console.file.getvalue()
    assert ("Its program could not be computed (line 1: answer = apples - 2: 'apples' is not "
            "defined); solving again.") in shown
