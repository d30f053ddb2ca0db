from dataclasses import dataclass

import pytest

from langgraph_decomp import Context, InvalidInputError
from langgraph_decomp.context import resolve_context


def test_defaults_when_nothing_is_given():
    ctx = resolve_context(None, None)
    assert ctx == Context()
    assert ctx.solver is None and ctx.max_repairs == 1


def test_context_wins_over_configurable():
    ctx = resolve_context(
        Context(solver="openai:a"), {"solver": "openai:b", "decomposer": "hf:x", "thread_id": "t"}
    )
    assert ctx.solver == "openai:a"
    assert ctx.decomposer == "hf:x"


def test_dict_context_is_accepted_and_unknown_keys_ignored():
    ctx = resolve_context({"solver": "openai:a", "user_id": 7}, None)
    assert ctx.solver == "openai:a"


def test_foreign_context_from_a_parent_graph_falls_back_to_defaults():
    @dataclass
    class ParentContext:
        solver: int = 3  # same name, foreign meaning
        user: str = "u"

    ctx = resolve_context(ParentContext(), {"max_repairs": 2})
    assert ctx.solver is None
    assert ctx.max_repairs == 2


@pytest.mark.parametrize(
    "kwargs", [{"max_subquestions": 0}, {"max_repairs": -1}, {"solver_max_tokens": 0}]
)
def test_invalid_knobs_raise_a_typed_error(kwargs):
    with pytest.raises(InvalidInputError):
        Context(**kwargs)


def test_api_key_is_not_in_repr():
    assert "sk-secret" not in repr(Context(api_key="sk-secret"))
