import pytest

from langgraph_decomp.answers import extract_answer, normalize_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 + 5 = 8\nFinal answer: 8", "8"),
        ("Final Answer: $12.50", "$12.50"),
        ("work\n#### 1,200", "1,200"),
        ("5 - 2 = 3\nAnswer: 3 apples", "3 apples"),
        ("The answer is 5.\nThe answer is 6.", "6"),
        ("Answer: 2\nso the final answer is 7", "7"),
        ("no marker here", "no marker here"),
        ("", ""),
    ],
)
def test_extract_answer_takes_the_last_marker(text, expected):
    assert extract_answer(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18", "18"),
        ("18.0", "18"),
        ("18.50", "18.5"),
        ("$1,234.50", "1234.5"),
        ("-3 degrees", "-3"),
        ("50%", "50"),
        ("He has 3 apples, then 12 apples.", "12"),
        ("0.25", "0.25"),
        (".5", "0.5"),
        ("-0", "0"),
        ("no number", None),
        ("", None),
    ],
)
def test_normalize_number(text, expected):
    assert normalize_number(text) == expected


@pytest.mark.parametrize(
    ("text", "answer", "work"),
    [
        ("3 + 5 = 8\nAnswer: 8\nThen he eats...", "8", "3 + 5 = 8\nAnswer: 8"),
        ("He has 3 + 5 = 8 apples.\nHe has 8 - 2 = 6.", "He has 3 + 5 = 8 apples.",
         "He has 3 + 5 = 8 apples."),
        ("\n\nThe answer is 8.\nmore", "8", "The answer is 8."),
        ("", "", ""),
    ],
)
def test_split_step_answer_keeps_the_work_up_to_the_answer(text, answer, work):
    from langgraph_decomp.answers import split_step_answer

    assert split_step_answer(text) == (answer, work)


def test_numbered_answers_reads_each_plan_line_once_and_ignores_the_rest():
    from langgraph_decomp.answers import numbered_answers

    text = "1. 3 + 5 = 8\n**2.** 8 - 2 = 6\n2. again\n7. beyond the plan\nFinal answer: 6"
    assert numbered_answers(text, 2) == {0: "3 + 5 = 8", 1: "8 - 2 = 6"}
    assert numbered_answers("no lines", 3) == {}


@pytest.mark.parametrize(("question", "expected"), [
    ("Which band formed first, the Red Kites or the Blue Owls?", False),
    ("Tom has 3 apples and buys 5 more. He eats 2. How many apples are left?", False),
    ("What's the total number of empty seats?", False),
    ("Are Mozart and Haydn both Austrian composers?", True),
    ("Is Dr. Who older than Star Trek?", True),  # an abbreviation splits the sentence
    ("If it rains at noon, would you need a coat in the park where we meet?", True),
    ("Both oaks and maples are trees with broad leaves?", True),  # no wh-word
    ("Didn't he win?", True),
    ("", True),
])
def test_asks_yes_or_no_tells_wh_questions_from_yes_no_ones(question, expected):
    from langgraph_decomp.answers import asks_yes_or_no

    assert asks_yes_or_no(question) is expected
