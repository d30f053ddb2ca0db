import pytest

from langgraph_decomp.nodes import parse_verdict


@pytest.mark.parametrize(
    ("text", "verdict", "feedback"),
    [
        ("VERDICT: CORRECT\nFEEDBACK: none", True, "none"),
        ("VERDICT: INCORRECT\nFEEDBACK: 8 - 2 is 6", False, "8 - 2 is 6"),
        ("**Verdict:** incorrect\nFeedback: recount", False, "recount"),
        ("Correct. The steps add up.", True, "Correct. The steps add up."),
        ("No, the total is wrong.", False, "No, the total is wrong."),
        ("The correct answer is 8.", None, "The correct answer is 8."),
        ("I am not sure about apples.", None, "I am not sure about apples."),
        ("", None, ""),
    ],
)
def test_parse_verdict(text, verdict, feedback):
    assert parse_verdict(text) == (verdict, feedback)
