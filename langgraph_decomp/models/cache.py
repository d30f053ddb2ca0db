"""Chat models by string, resolved in one place and cached per string and options (local
weights once per process), and ready chat models given the run's options."""

from __future__ import annotations

import functools
import threading
from types import ModuleType
from typing import TYPE_CHECKING, Any

from langchain_core.caches import InMemoryCache
from langchain_core.language_models import BaseChatModel

from langgraph_decomp.errors import ModelConfigError
from langgraph_decomp.models.guard import secret_value
from langgraph_decomp.models.hosted import hosted_chat_model
from langgraph_decomp.models.llamacpp import LlamaCppChat, load_llamacpp
from langgraph_decomp.models.specs import (
    LLAMACPP_PREFIX,
    SHIPPED_ADAPTERS,
    is_local,
    llamacpp_files,
    shipped_repeat_penalty,
)

if TYPE_CHECKING:
    from pydantic import SecretStr

LOCAL_REPLY_CACHE_SIZE = 256
"""Replies remembered per greedy local model."""


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
        load_llamacpp(str(path), lora)  # fail here, with the role attached, not mid-run
        penalty = shipped_repeat_penalty(spec) if spec in SHIPPED_ADAPTERS else 1.0
        return LlamaCppChat(model_id=spec, path=str(path), lora=lora, max_tokens=max_tokens,
                            temperature=temperature, repeat_penalty=penalty,
                            cache=_reply_cache(temperature))
    if is_local(spec):
        return transformers_backend(spec).local_chat_model(
            spec, max_tokens=max_tokens, temperature=temperature,
            cache=_reply_cache(temperature))
    return hosted_chat_model(
        spec, max_tokens=max_tokens, temperature=temperature, base_url=base_url,
        api_key=api_key, timeout=timeout, max_retries=max_retries,
    )


def transformers_backend(spec: str) -> ModuleType:
    """The transformers backend (:mod:`langgraph_decomp.models.transformers`), imported on
    first use; without the ``local`` extra, a :class:`ModelConfigError` naming ``spec``."""
    try:
        from langgraph_decomp.models import transformers
    except ImportError as e:
        raise ModelConfigError(
            f"{spec!r} needs the 'local' extra (transformers, langchain-huggingface): "
            "pip install 'langgraph-decomp[local]'", model=spec,
        ) from e
    return transformers


def _reply_cache(temperature: float) -> InMemoryCache | bool:
    """Greedy local decoding is deterministic: a repeated prompt (the same question planned
    for several strategies in an eval) is answered from memory. Sampling is never cached."""
    return InMemoryCache(maxsize=LOCAL_REPLY_CACHE_SIZE) if temperature == 0 else False


_CAP_FIELDS = ("max_tokens", "max_completion_tokens", "max_output_tokens", "max_new_tokens")


def with_run_options(model: BaseChatModel, *, temperature: float, max_tokens: int,
                     repeat_penalty: float | None = None) -> BaseChatModel:
    """A ready chat model with the run's temperature and token cap, as a model string gets
    them, and token usage reported when streamed (``stream_usage``), on the fields its class
    has; the model itself is not changed. Copies are cached per model and options.

    ``repeat_penalty`` (None: the model's own) needs a llama.cpp model.

    Raises:
        ModelConfigError: ``repeat_penalty`` is given for a model that has none.
    """
    fields = type(model).model_fields
    updates: dict[str, Any] = {}
    if repeat_penalty is not None:
        if not isinstance(model, LlamaCppChat):
            raise ModelConfigError(
                "A repeat penalty needs a llama.cpp model ('local:decomposer', "
                f"'llamacpp:...'), got a {type(model).__name__}.")
        updates["repeat_penalty"] = repeat_penalty
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
