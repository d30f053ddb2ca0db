import pytest

from langgraph_decomp.arithmetic import arithmetic_slips, evaluate


@pytest.mark.parametrize(
    ("expression", "value"),
    [("3 + 5", 8), ("12 / 3", 4), ("3 x $7.50", 22.5), ("2 × (4 + 1)", 10), ("18*.5", 9),
     ("1,200 / 4", 300), ("10 ÷ 4", 2.5), ("-3 + 1", -2)],
)
def test_plain_arithmetic_is_evaluated(expression, value):
    assert evaluate(expression) == pytest.approx(value)


@pytest.mark.parametrize("expression", ["5", "__import__('os')", "2 ** 99999", "3 / 0", "a + 1"])
def test_anything_but_plain_arithmetic_is_not_evaluated(expression):
    assert evaluate(expression) is None


def test_wrong_results_are_reported_and_right_ones_pass():
    text = ("1. 3 + 5 = 8\n2. 8 * 3 = 25\n3. He pays 3 * $7.50 = $22.50\n4. 10 / 3 = 3.33\n"
            "5. 48/2 = 24 clips, then 24+48 = 70\nFinal answer: 70")
    assert arithmetic_slips(text) == ["8 * 3 = 25 (it is 24)", "24+48 = 70 (it is 72)"]


def test_chains_words_and_list_numbers_are_read_sensibly():
    assert arithmetic_slips("2. 12 / 3 = 4 * 2 = 8") == []
    assert arithmetic_slips("2. 12 / 3 = 4 * 2 = 9") == ["4 * 2 = 9 (it is 8)"]
    assert arithmetic_slips("1. Ann has 5 = five apples\nyes = no") == []
    assert arithmetic_slips("3. 0.1 * 3 = 0.3") == []
    assert arithmetic_slips("3. 2/3 = 0.67") == []
    assert arithmetic_slips("3. 2/3 = 0.6") == ["2/3 = 0.6 (it is 0.6667)"]
