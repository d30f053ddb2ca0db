"""Scripted fake chat models for fast unit tests (no network, no weights)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import Field


class ScriptedChat(GenericFakeChatModel):
    """Replies with the scripted texts in order and records every prompt it was sent.

    Each reply reports ``input_tokens`` = number of prompt characters // 4 and
    ``output_tokens`` = number of words, so usage accounting can be checked exactly.
    """

    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    replies: list[AIMessage] = Field(default_factory=list)

    @classmethod
    def of(cls, *texts: str) -> ScriptedChat:
        return cls(messages=iter([AIMessage(content=t) for t in texts]))

    @staticmethod
    def usage_for(messages: list[BaseMessage], text: str) -> dict[str, int]:
        n_in = sum(len(str(m.content)) for m in messages) // 4
        n_out = len(text.split())
        return {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        result = super()._generate(messages, stop, run_manager, **kwargs)
        message = result.generations[0].message
        message.usage_metadata = self.usage_for(messages, message.text)  # type: ignore[attr-defined]
        message.response_metadata["model_name"] = "scripted"
        self.replies.append(message)
        return result


class RuleChat(ScriptedChat):
    """Replies with ``rule(prompt_text)``: for fakes whose answer depends on the question.

    Thread-safe (no shared iterator), so parallel ``solve`` tasks can share one instance.
    """

    rule: Any = None

    @classmethod
    def by(cls, rule: Any) -> RuleChat:
        return cls(messages=iter(()), rule=rule)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        self.prompts.append(list(messages))
        text = self.rule("\n".join(str(m.content) for m in messages))
        message = AIMessage(
            content=text,
            usage_metadata=self.usage_for(messages, text),
            response_metadata={"model_name": "scripted"},
        )
        self.replies.append(message)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any):
        message = self._generate(messages, stop, run_manager, **kwargs).generations[0].message
        yield ChatGenerationChunk(message=AIMessageChunk(
            content=message.content, usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
        ))


class FinishChat(GenericFakeChatModel):
    """Replies with ``finish_reason`` set as a provider would (both ways of calling), and
    reports 12 input and 7 output tokens (a stream splits them over its two chunks)."""

    finish: str = "length"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs: Any) -> ChatResult:
        message = AIMessage("Let me think step by", response_metadata={
            "finish_reason": self.finish}, usage_metadata={
            "input_tokens": 12, "output_tokens": 7, "total_tokens": 19})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs: Any):
        yield ChatGenerationChunk(message=AIMessageChunk("Let me think", usage_metadata={
            "input_tokens": 12, "output_tokens": 3, "total_tokens": 15}))
        yield ChatGenerationChunk(message=AIMessageChunk(" step by", usage_metadata={
            "input_tokens": 0, "output_tokens": 4, "total_tokens": 4}),
            generation_info={"finish_reason": self.finish})
