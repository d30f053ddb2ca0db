import pytest

from langgraph_decomp.parsing import parse_plan


@pytest.mark.parametrize(
    "text",
    [
        "1. How many apples?\n2. How many pears?",
        "1) How many apples?\n2) How many pears?",
        "(1) How many apples?\n(2) How many pears?",
        "- How many apples?\n- How many pears?",
        "* How many apples?\n* How many pears?",
        "Step 1: How many apples?\nStep 2: How many pears?",
        "Sub-question 1: How many apples?\nSub-question 2: How many pears?",
        "**Subquestion 1:** How many apples?\n**Subquestion 2:** How many pears?",
        "Here is the plan:\n1. **How many apples?**\n2. How many pears?\nGood luck!",
        '["How many apples?", "How many pears?"]',
        '{"subquestions": ["How many apples?", "How many pears?"]}',
        '```json\n[{"question": "How many apples?"}, {"question": "How many pears?"}]\n```',
        "How many apples?\nHow many pears?",
    ],
)
def test_plan_shapes_parse_to_the_same_subquestions(text):
    plan = parse_plan(text, max_subquestions=5)
    assert plan.status == "ok"
    assert plan.subquestions == ["How many apples?", "How many pears?"]


def test_no_decomposition_is_recognised():
    assert parse_plan("No decomposition", 5).status == "no_decomposition"
    assert parse_plan('"No decomposition."', 5).status == "no_decomposition"
    assert parse_plan("The question is simple. No decomposition needed.", 5).status == (
        "no_decomposition"
    )


def test_empty_and_garbage_plans_are_reported():
    assert parse_plan("", 5).status == "empty"
    assert parse_plan("   \n ", 5).status == "empty"
    assert parse_plan("lorem ipsum dolor", 5).status == "unparsable"
    assert parse_plan("{not json", 5).status == "unparsable"
    assert parse_plan("1. \n2. ?", 5).status == "unparsable"


def test_plan_is_capped_and_deduplicated():
    text = "\n".join(f"{i}. What is quantity {i % 7}?" for i in range(1, 201))
    plan = parse_plan(text, max_subquestions=3)
    assert plan.subquestions == [f"What is quantity {i}?" for i in (1, 2, 3)]
    dup = parse_plan("1. How many apples?\n2. how many apples?\n3. How many pears?", 5)
    assert dup.subquestions == ["How many apples?", "How many pears?"]
    # Items past the cap are not read, even where duplicates left room under it.
    looping = "1. How many apples?\n2. How many apples?\n3. How many pears?"
    assert parse_plan(looping, 2).subquestions == ["How many apples?"]


def test_numbered_sentences_that_are_not_questions_still_count():
    plan = parse_plan("1. Find the cost of the pens.\n2. Add the notebook.", 5)
    assert plan.subquestions == ["Find the cost of the pens.", "Add the notebook."]


def test_only_the_first_list_counts_when_the_model_rambles_on():
    text = (
        "1. How many apples?\n2. How many pears?\n\nProblem: A bat costs $1.\n"
        "Sub-questions:\n1. How much is the ball?"
    )
    assert parse_plan(text, 5).subquestions == ["How many apples?", "How many pears?"]
