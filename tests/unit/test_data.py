from pathlib import Path

import pytest

from langgraph_decomp.data import (
    DataError,
    gsm8k_example,
    load_examples,
    split_examples,
    strategyqa_example,
)

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


FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_every_format_is_detected_from_its_fields():
    kinds = {
        "socratic_3q.jsonl": "number", "strategyqa_3q.jsonl": "yes_no",
        "svamp_2q.json": "number", "drop_2q.json": None, "hotpotqa_2q.jsonl": None,
    }
    for name, answer_type in kinds.items():
        examples = load_examples(str(FIXTURES / name))
        assert examples, name
        if answer_type:
            assert {e.answer_type for e in examples} == {answer_type}, name


def test_strategyqa_rows_give_yes_no_gold_and_the_human_decomposition():
    examples = load_examples(str(FIXTURES / "strategyqa_3q.jsonl"))
    assert [e.gold for e in examples] == ["yes", "no", "no"]  # bool and "False" alike
    assert examples[0].subquestions == [
        "How large is an average cat?", "How large is an average shoebox?",
        "Is #1 smaller than #2?",
    ]
    with pytest.raises(DataError, match="true/false"):
        strategyqa_example({"question": "Q?", "answer": 3}, 0)


def test_svamp_joins_body_and_question_and_reads_the_number():
    a, b = load_examples(str(FIXTURES / "svamp_2q.json"))
    assert a.question == "Jack had 8 pens and Mary had 5 pens. How many pens did they have in all?"
    assert (a.gold, b.gold) == ("13", "3.75")


def test_drop_puts_the_passage_in_context_and_keeps_every_gold_span():
    number, span = load_examples(str(FIXTURES / "drop_2q.json"))
    assert number.answer_type == "number" and number.gold == "24"
    assert number.context.startswith("The Bears scored 14")
    assert span.answer_type == "span" and span.golds == ["Tom Ames", "Mayor Tom Ames"]


def test_hotpotqa_gives_titled_paragraphs_and_yes_no_where_the_gold_is():
    two_hop, yes_no = load_examples(str(FIXTURES / "hotpotqa_2q.jsonl"))
    assert two_hop.gold == "Norway" and two_hop.answer_type == "span"
    assert two_hop.context.split("\n\n")[1] == "Ola Berg: Ola Berg was born in Norway in 1901."
    assert yes_no.answer_type == "yes_no" and yes_no.gold == "no"


def test_gsm8k_train_rows_keep_the_solution_steps_without_calculator_marks():
    examples = load_examples(str(FIXTURES / "handwritten_gsm8k_format_3q.jsonl"))
    assert examples[1].solution == (
        "2 books cost 2*12 = $24.\n4 pens cost 4*3 = $12.\nTogether they cost 24+12 = $36."
    )
    assert examples[1].subquestions is None
    socratic = load_examples(str(FIXTURE))[1]
    assert socratic.solution == "3 pens cost 3*2=6 dollars.\nTogether 6+4=10 dollars."


def test_rows_of_no_known_shape_raise_a_data_error(tmp_path):
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"prompt": "Q"}\n')
    with pytest.raises(DataError, match="Cannot tell the data format"):
        load_examples(str(odd))
    with pytest.raises(DataError, match="missing field"):
        load_examples(str(FIXTURES / "svamp_2q.json"), format="drop")
