"""The llama.cpp backend: GGUF files (and LoRA adapters on them) run by ``llama-cpp-python``,
as a LangChain chat model. Several times faster on a CPU than transformers on the same file;
inference only (training needs ``hf:``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage

from langgraph_decomp.errors import ModelConfigError
from langgraph_decomp.models.chat import chat_dicts

_PARAMS_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def cpu_has_amx() -> bool:
    """Whether llama.cpp reports Intel AMX on this CPU (``AMX_INT8 = 1`` in its system info)."""
    try:
        import llama_cpp
    except ImportError:  # pragma: no cover - depends on the install
        return False
    return b"AMX_INT8 = 1" in bytes(llama_cpp.llama_print_system_info() or b"")


@contextlib.contextmanager
def without_amx_weights() -> Iterator[None]:
    """Models that ``llama_cpp.Llama`` loads inside this block stay out of llama.cpp's AMX
    weight layout.

    On an Intel Xeon with AMX (a VM here; llama-cpp-python 0.3.36 built from source) llama.cpp
    moves the weights into its AMX layout at load, and that segfaulted at the first decode,
    with or without an adapter, killing the process (llama.cpp issue #20824). llama.cpp has one
    switch for all its "extra" weight buffers (AMX and CPU_REPACK: ``use_extra_bufts``, what
    ``--no-repack`` turns off), and ``Llama`` takes no argument for it, so on a CPU with AMX
    this wraps the ``llama_model_default_params`` that ``Llama`` starts from for the duration
    of the block (a lock keeps concurrent loads in order); there the embedded file decodes at
    68 tokens/s on 2 cores. Elsewhere nothing changes, and repacking keeps its speed.
    """
    if not cpu_has_amx():
        yield
        return
    import llama_cpp.llama_cpp as lib

    with _PARAMS_LOCK:
        defaults = lib.llama_model_default_params

        def plain_buffers() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        lib.llama_model_default_params = plain_buffers
        try:
            yield
        finally:
            lib.llama_model_default_params = defaults


@functools.lru_cache(maxsize=4)
def load_llamacpp(path: str, lora: str | None = None) -> tuple[Any, threading.Lock]:
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
        with without_amx_weights():
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
    repeat_penalty: float = 1.0
    """llama.cpp's penalty on tokens seen in the last 64 (1.0, its default: none)."""
    reuse_prefix: bool = False

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "repeat_penalty": self.repeat_penalty}

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.outputs import ChatGeneration, ChatResult

        llm, lock = load_llamacpp(self.path, self.lora)
        chat = chat_dicts(messages)
        with lock:
            if not self.reuse_prefix:
                llm.reset()  # no prefix reuse: the same request always gets the same reply
            out = llm.create_chat_completion(
                chat, max_tokens=self.max_tokens, temperature=self.temperature, stop=stop,
                repeat_penalty=self.repeat_penalty, seed=0,
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
