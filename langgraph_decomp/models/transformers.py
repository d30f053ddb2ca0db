"""The transformers backend: local causal LMs (hub ids, directories, GGUF files, the
embedded SmolLM2) as a LangChain chat model, for training and for users who ask for it.
Needs the ``local`` extra; the library imports this module only when such a model is used.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from langchain_core.caches import BaseCache
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
from pydantic import PrivateAttr

from langgraph_decomp.errors import ModelConfigError
from langgraph_decomp.models.chat import cut_at
from langgraph_decomp.models.specs import local_source


@functools.lru_cache(maxsize=4)
def load_weights(source: str, gguf_file: str | None) -> tuple[Any, Any, threading.Lock]:
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
                message.content = cut_at(text, stop)
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
                kept = cut_at(text, stop or ())
                end = len(kept) if len(kept) < len(text) else max(sent, len(text) - hold)
                if end > sent:
                    yield ChatGenerationChunk(message=AIMessageChunk(content=text[sent:end]))
                    sent = end
        kept = cut_at(text, stop or ())
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content=kept[sent:],
                usage_metadata=self._usage(messages, text),  # type: ignore[arg-type]  # _usage's dict[str, int] has UsageMetadata's keys
                response_metadata={"model_name": self.model_id},
            )
        )


def local_chat_model(spec: str, *, max_tokens: int, temperature: float,
                     cache: BaseCache | bool) -> BaseChatModel:
    """A :class:`LocalChatModel` over cached local weights (``cache``: its reply cache)."""
    from transformers import pipeline

    source, gguf_file = local_source(spec)
    model, tokenizer, lock = load_weights(source, gguf_file)
    gen: dict[str, Any] = {"max_new_tokens": max_tokens, "return_full_text": False}
    if temperature > 0:
        gen.update(do_sample=True, temperature=temperature)
    else:
        gen.update(do_sample=False)
    pipe = pipeline("text-generation", model=model, tokenizer=tokenizer, **gen)
    llm = HuggingFacePipeline(pipeline=pipe, model_id=spec)
    chat = LocalChatModel(llm=llm, tokenizer=tokenizer, model_id=spec, cache=cache)
    chat._lock = lock
    return chat
