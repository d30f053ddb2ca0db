import pytest

from langgraph_decomp.parsing import asked_question, parse_plan, restated_last, restates


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


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Josh lost 11 marbles. He had 19 earlier. How many marbles does he have now?",
         "How many marbles does he have now?"),
        ("Is it sunny? Tom walks 3 km. How far did he walk?", "How far did he walk?"),
        ("Find the number of apples Tom has left.", "Find the number of apples Tom has left."),
    ],
)
def test_asked_question_is_the_last_sentence_that_asks(question, asked):
    assert asked_question(question) == asked


QUESTION_RESTATED = ("Josh lost 11 marbles. He had 19 marbles in his collection earlier. "
                     "How many marbles does he have now?")


@pytest.mark.parametrize(
    ("subquestion", "expected"),
    [
        ("How many marbles does Josh have now?", True),  # a name added: 2 of 3 words shared
        ("How many marbles does Josh have in his collection earlier?", False),
        ("How many marbles did Josh lose?", False),
        ("What is 19 - 11?", False),
    ],
)
def test_restates_compares_content_words_with_the_asked_sentence(subquestion, expected):
    assert restates(subquestion, QUESTION_RESTATED) is expected


def test_restated_last_moves_restatements_to_the_end_in_order():
    plan = ["How many marbles does Josh have now?",
            "How many marbles did Josh have earlier?",
            "How many marbles does he have now in total?",
            "How many marbles did Josh lose?"]
    assert restated_last(plan, QUESTION_RESTATED) == [plan[1], plan[3], plan[0], plan[2]]
    assert restated_last(plan[1:2], QUESTION_RESTATED) == plan[1:2]
    assert restated_last([], QUESTION_RESTATED) == []
