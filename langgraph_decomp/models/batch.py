"""Greedy replies of a local model to many conversations, for throughput work (plan
evaluation, distillation); the graph itself calls models one at a time through LangChain."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage

from langgraph_decomp.errors import ModelConfigError
from langgraph_decomp.models.cache import load_chat_model, transformers_backend
from langgraph_decomp.models.chat import chat_dicts, cut_at
from langgraph_decomp.models.specs import LLAMACPP_PREFIX, SHIPPED_ADAPTERS, is_local, local_source


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
    repeat_penalty: float | None = None,
) -> list[LocalReply]:
    """Greedy replies of a local model to many conversations, with why each ended.

    For throughput work (plan evaluation, distillation); the graph itself calls models one
    at a time through LangChain. A transformers model generates in padded batches of
    ``batch_size``; a llama.cpp model (``llamacpp:``, ``local:decomposer``) answers one
    conversation after another (``bench/decomposer_speed.py`` compares the two). Generation
    ends at the first ``stop`` string, which is not part of the reply. Returns one reply per
    conversation, in order. ``repeat_penalty`` overrides a llama.cpp model's own (the
    shipped decomposer's manifest value, else 1.0: none); transformers models take none.
    """
    if not is_local(spec):
        raise ModelConfigError(f"Batched generation needs a local model string, got {spec!r}.")
    if spec.startswith(LLAMACPP_PREFIX) or spec in SHIPPED_ADAPTERS:
        chat = load_chat_model(spec, max_tokens=max_tokens, temperature=0.0)
        if repeat_penalty is not None:
            chat = chat.model_copy(update={"repeat_penalty": repeat_penalty})
        replies = [chat.invoke(list(conv), stop=list(stop) or None) for conv in conversations]
        return [LocalReply(r.text, r.response_metadata.get("finish_reason") or "stop")
                for r in replies]
    if repeat_penalty is not None:
        raise ModelConfigError(f"A repeat penalty needs a llama.cpp model ('llamacpp:', "
                               f"'local:decomposer'), got {spec!r}.", model=spec)
    backend = transformers_backend(spec)
    import torch

    model, tokenizer, lock = backend.load_weights(*local_source(spec))
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
                    cut = cut_at(text, stop)
                    capped = not eos and cut == text and new.shape[1] >= max_tokens
                    out_replies[i] = LocalReply(cut, "length" if capped else "stop")
        finally:
            tokenizer.padding_side = side
    return [out_replies[i] for i in range(len(prompts))]
