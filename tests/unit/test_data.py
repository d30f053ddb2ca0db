from pathlib import Path

import pytest

from langgraph_decomp.data import DataError, gsm8k_example, load_examples, split_examples

FIXTURE = Path(__file__).parents[1] / "fixtures" / "socratic_3q.jsonl"


def test_gsm8k_rows_give_question_gold_and_human_subquestions():
    examples = load_examples(str(FIXTURE))
    assert [e.id for e in examples] == ["fx-1", "fx-2", "fx-3"]
    assert [e.gold for e in examples] == ["8", "10", "300"]
    assert examples[1].subquestions == [
        "How much do 3 pens cost?", "How much do the pens and the notebook cost?"
    ]


def test_plain_gsm8k_rows_without_steps_or_ids_are_read():
    ex = gsm8k_example({"question": "Q?", "answer": "work\n#### 1,234"}, 7)
    assert ex.id == "row-7" and ex.gold == "1234" and ex.subquestions is None


def test_sampling_is_fixed_by_the_seed_and_keeps_file_order():
    a = load_examples(str(FIXTURE), limit=2, seed=1)
    b = load_examples(str(FIXTURE), limit=2, seed=1)
    assert [e.id for e in a] == [e.id for e in b]
    assert [e.id for e in a] == sorted(e.id for e in a)


def test_split_is_fixed_by_the_seed_and_disjoint():
    examples = load_examples(str(FIXTURE))
    train, held = split_examples(examples, holdout=1, seed=3)
    assert len(train) == 2 and len(held) == 1
    assert not {e.id for e in train} & {e.id for e in held}
    assert split_examples(examples, holdout=1, seed=3)[1] == held


@pytest.mark.parametrize(
    ("row", "match"),
    [({"question": "Q"}, "string 'question' and 'answer'"), ({"question": "Q", "answer": "4"},
                                                               "no '#### <number>'")],
)
def test_bad_rows_raise_data_error(row, match):
    with pytest.raises(DataError, match=match):
        gsm8k_example(row, 0)


def test_missing_file_and_unknown_format_raise_data_error(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_examples(str(tmp_path / "nope.jsonl"))
    with pytest.raises(DataError, match="Unknown format"):
        load_examples(str(FIXTURE), format="drop-v9")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "Q", "answer": "#### 1"}\nnot json\n')
    with pytest.raises(DataError, match="bad.jsonl:2"):
        load_examples(str(bad))
