"""Hosted models: any :func:`langchain.chat_models.init_chat_model` string, with the
library's options (token cap, timeouts, a per-call deadline on OpenAI-SDK clients, an
OpenAI-compatible ``base_url``). Errors never carry the key."""

from __future__ import annotations

import os
from typing import Any

from langchain_core.language_models import BaseChatModel

from langgraph_decomp.context import DEFAULT_SOLVER
from langgraph_decomp.errors import ModelConfigError
from langgraph_decomp.models.guard import (
    OPENAI_SDK_PROVIDERS,
    deadline_async_http_client,
    deadline_http_client,
    env_secrets,
    provider_of,
    scrub,
)


def hosted_chat_model(
    spec: str, *, max_tokens: int, temperature: float, base_url: str | None,
    api_key: str | None, timeout: float, max_retries: int,
) -> BaseChatModel:
    """A provider's chat model for ``spec`` with these options, its usage streamed.

    Raises:
        ModelConfigError: unknown provider, missing provider package or bad option, with
            the key scrubbed from the message and no exception chained.
    """
    from langchain.chat_models import init_chat_model

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
            f"Cannot create chat model {spec!r}: {_scrub_key(str(e), api_key)}. Use "
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


def _scrub_key(text: str, secret: str | None) -> str:
    """``text`` with ``secret``, the environment's API keys and anything shaped like a
    bearer token or an API key header replaced by ``***``."""
    return scrub(text, ((secret,) if secret else ()) + env_secrets())
