from dataclasses import dataclass

import pytest

from langgraph_decomp import DEFAULT_PROMPTS, Context, InvalidInputError, build_graph
from langgraph_decomp.context import CONTEXT_FIELDS, SOLVE_SCHEMES, resolve_context
from tests.fakes import ScriptedChat


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


def test_a_parents_dataclass_or_pydantic_context_fields_named_like_ours_apply():
    from pydantic import BaseModel

    @dataclass
    class ParentContext:
        solver: str = "openai:parent-pick"
        user: str = "u"

    class ParentModel(BaseModel):
        verify: bool = False
        temperature: str = "hot"  # not valid here: ignored

    picked = resolve_context(ParentContext(), {"solver": "openai:cfg"}).solver
    assert picked == "openai:parent-pick"
    ctx = resolve_context(ParentModel(), None)
    assert ctx.verify is False and ctx.temperature == 0.0


@pytest.mark.parametrize(
    "kwargs", [{"max_subquestions": 0}, {"max_repairs": -1}, {"solver_max_tokens": 0}]
)
def test_invalid_knobs_raise_a_typed_error(kwargs):
    with pytest.raises(InvalidInputError):
        Context(**kwargs)


def test_api_key_is_not_in_repr():
    assert "sk-secret" not in repr(Context(api_key="sk-secret"))


# --- Every field is checked by type and range, the same way by every path ---------------

# A model string that would fail to load: a bad knob must be caught before any model is.
UNLOADABLE = "hf:/definitely/not/here.gguf"

BAD_VALUES = [
    ("decomposer", ""), ("decomposer", 3), ("solver", ""), ("solver", "   "),
    ("verifier", ["openai:x"]),
    ("base_url", "localhost:8000"), ("base_url", "ftp://host/v1"), ("base_url", 8000),
    ("decomposer_base_url", "host:1"), ("solver_base_url", 1), ("verifier_base_url", ""),
    ("api_key", ""), ("api_key", 12345),
    ("request_timeout", 0), ("request_timeout", -1), ("request_timeout", "30"),
    ("request_timeout", float("nan")), ("request_timeout", float("inf")),
    ("max_retries", "2"), ("max_retries", 2.5), ("max_retries", -1), ("max_retries", 99),
    ("max_retries", True),
    ("decompose", "false"), ("decompose", 0), ("verify", "yes"), ("verify_steps", 1),
    ("check_arithmetic", "no"), ("check_answer_form", "yes"),
    ("solve_scheme", "fast"), ("solve_scheme", 1), ("dependencies", "parallel"),
    ("max_subquestions", "5"), ("max_subquestions", 2.5), ("max_subquestions", 0),
    ("max_subquestions", 10_000), ("min_subquestions", 0), ("min_subquestions", 6),
    ("min_subquestions", "1"), ("max_repairs", -1), ("max_repairs", 1.5), ("max_repairs", 100),
    ("n_samples", 2.5), ("n_samples", 0), ("n_samples", 33), ("n_samples", "3"),
    ("sample_temperature", -0.1), ("sample_temperature", 5), ("sample_temperature", "hot"),
    ("max_calls", 0), ("max_calls", 2.5), ("max_calls", "10"),
    ("max_hosted_tokens", -5), ("max_hosted_tokens", 1e3),
    ("deadline_s", 0), ("deadline_s", -1.0), ("deadline_s", "10"), ("deadline_s", 1e9),
    ("decomposer_repeat_penalty", 0), ("decomposer_repeat_penalty", -1.0),
    ("decomposer_repeat_penalty", "1.05"), ("decomposer_repeat_penalty", 2.5),
    ("decomposer_repeat_penalty", True), ("decomposer_repeat_penalty", float("nan")),
    ("decomposer_max_tokens", 0), ("solver_max_tokens", "384"), ("verifier_max_tokens", 1.5),
    ("temperature", -3), ("temperature", 2.5), ("temperature", None), ("temperature", "0"),
    ("max_question_chars", 0), ("max_question_chars", "8000"), ("max_context_chars", -1),
]


def test_the_bad_value_table_covers_every_field():
    assert {name for name, _ in BAD_VALUES} == CONTEXT_FIELDS


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
@pytest.mark.parametrize("path", ["Context", "context", "configurable"])
def test_every_field_rejects_wrong_types_and_ranges_naming_it_on_every_path(path, name, value):
    if path == "configurable" and value is None:
        pytest.skip("configurable ignores None values (LangGraph and hosts set them)")
    graph = build_graph(decomposer=UNLOADABLE, solver=UNLOADABLE)
    with pytest.raises(InvalidInputError, match=rf"Context\.{name}\b") as info:
        if path == "Context":
            Context(**{name: value})
        elif path == "context":
            graph.invoke({"question": "What is 2 + 2?"}, context={name: value})
        else:
            graph.invoke({"question": "What is 2 + 2?"}, {"configurable": {name: value}})
    assert info.value.field == name


def test_a_rejected_api_key_is_not_echoed():
    with pytest.raises(InvalidInputError, match="api_key") as info:
        Context(api_key="   \t")
    assert info.value.field == "api_key"
    with pytest.raises(InvalidInputError) as info:
        Context(base_url="mailto:user:sk-in-the-url@host")  # may carry credentials
    assert "sk-in-the-url" not in str(info.value)


@pytest.mark.parametrize("path", ["Context", "context"])
def test_unknown_keys_are_an_error_in_context_naming_the_key(path):
    graph = build_graph(decomposer=UNLOADABLE, solver=UNLOADABLE)
    with pytest.raises(InvalidInputError, match="'max_retry'") as info:
        if path == "Context":
            Context(max_retry=3)
        else:
            graph.invoke({"question": "What is 2 + 2?"}, context={"max_retry": 3})
    assert info.value.field == "max_retry"


def test_unknown_keys_in_configurable_are_ignored():
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"),
                        solver=ScriptedChat.of("answer = 2 + 2"))
    out = graph.invoke({"question": "What is 2 + 2?"},
                       {"configurable": {"thread_id": "t", "user_id": 7, "verify": False}})
    assert out["answer"] == "4"


def test_positional_arguments_are_a_typed_error():
    with pytest.raises(InvalidInputError, match="keyword arguments"):
        Context("openai:gpt-4o-mini")


def test_good_values_of_other_numeric_types_are_normalized():
    ctx = Context(request_timeout=5, temperature=1, deadline_s=3)
    assert ctx.request_timeout == 5.0 and isinstance(ctx.request_timeout, float)
    assert isinstance(ctx.temperature, float) and isinstance(ctx.deadline_s, float)


def test_a_secretstr_api_key_is_accepted():
    from pydantic import SecretStr

    assert Context(api_key=SecretStr("sk-x")).api_key.get_secret_value() == "sk-x"


def test_a_context_value_equal_to_the_default_still_wins_over_configurable():
    assert resolve_context(Context(verify=True), {"verify": False}).verify is True
    assert resolve_context({"max_repairs": 1}, {"max_repairs": 3}).max_repairs == 1
    # Fields the context does not set still come from configurable.
    assert resolve_context(Context(solver="openai:a"), {"verify": False}).verify is False


def test_context_dict_set_to_the_default_beats_configurable_in_a_run():
    verifier = ScriptedChat.of("VERDICT: CORRECT")
    graph = build_graph(decomposer=ScriptedChat.of("No decomposition"),
                        solver=ScriptedChat.of("answer = 2 + 2"), verifier=verifier)
    out = graph.invoke({"question": "What is 2 + 2?"}, {"configurable": {"verify": False}},
                       context={"verify": True})
    assert out["verified"] is True and len(verifier.prompts) == 1


def test_values_checked_after_merging_context_and_configurable():
    with pytest.raises(InvalidInputError, match="min_subquestions"):
        resolve_context(Context(min_subquestions=4), {"max_subquestions": 3})


def test_a_pydantic_validated_context_keeps_its_defaults_over_configurable():
    # A server or a parent's pydantic model validates a run's context with pydantic, which
    # builds the dataclass without calling it with keywords: the fields it was given must
    # still win over configurable, also when they hold the default value.
    from pydantic import TypeAdapter

    ctx = TypeAdapter(Context).validate_python({"verify": False, "max_repairs": 1})
    merged = resolve_context(ctx, {"verify": True, "max_repairs": 3, "n_samples": 3})
    assert (merged.verify, merged.max_repairs) == (False, 1)
    assert merged.n_samples == 3  # not set by the context: configurable's


def test_a_context_without_its_given_fields_counts_every_field_as_given():
    ctx = Context(verify=False, solve_scheme="guided")
    del ctx.__dict__["_given"]  # as unpickled from a version that did not keep it
    merged = resolve_context(ctx, {"verify": True, "solve_scheme": "paper"})
    assert (merged.verify, merged.solve_scheme) == (False, "guided")


@pytest.mark.parametrize("run", ["invoke", "ainvoke"])
async def test_context_set_to_the_default_beats_configurable_in_a_run(run):
    verifier = ScriptedChat.of("VERDICT: CORRECT")
    solver = ScriptedChat.of("1. 8\n2. 6\nFinal answer: 6")
    graph = build_graph(decomposer=ScriptedChat.of("1. How many?\n2. How many left?"),
                        solver=solver, verifier=verifier)
    config = {"configurable": {"verify": True, "solve_scheme": "paper"}}
    context = {"verify": False, "solve_scheme": "guided"}
    inputs = {"question": "What is 2 + 2?"}
    out = (graph.invoke(inputs, config, context=context) if run == "invoke"
           else await graph.ainvoke(inputs, config, context=context))
    assert out["verified"] is None and verifier.prompts == []
    assert solver.prompts[0][0].content == DEFAULT_PROMPTS.guided_system


def test_context_json_schema_still_lists_the_fields_and_scheme_choices():
    schema = build_graph().get_context_jsonschema()
    assert set(schema["properties"]) >= {"solver", "verify", "solve_scheme"}
    assert sorted(schema["properties"]["solve_scheme"]["enum"]) == sorted(SOLVE_SCHEMES)
