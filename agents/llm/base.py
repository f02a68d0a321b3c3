"""The one interface every language-model backend implements.

Messages are OpenAI-style dicts ({"role": "system"|"user"|"assistant"|"tool", "content": str}),
so the same conversation goes to a local transformers model, a vLLM / llama.cpp server or the
extractive backend unchanged. Tool calls travel as `ToolCall`s; backends that only produce text
(local models) emit them in the Qwen/Hermes form `<tool_call>{json}</tool_call>`, parsed by
`agents.llm.tool_calls`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict

from corpus.errors import GuihuaError


class Message(TypedDict):
    role: Literal["system", "user", "assistant", "tool"]
    content: str


@dataclass(frozen=True)
class ToolSpec:
    """A function the model may call: name, what it does, JSON-schema parameters."""

    name: str
    description: str
    parameters: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.name,
                                                 "description": self.description,
                                                 "parameters": self.parameters}}


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]
    raw: str = ""  # as the model wrote it, for diagnosing invalid calls

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}

    @property
    def valid(self) -> bool:
        """False for a block the model wrote whose JSON did not parse (name "", `raw` set): kept
        so callers can count invalid calls instead of losing them."""
        return bool(self.name)


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 512
    temperature: float = 0.0  # 0: greedy, reproducible
    stop: tuple[str, ...] = ()
    tools: tuple[ToolSpec, ...] = ()


DEFAULT_OPTIONS = GenerationOptions()  # a shared default argument (the dataclass is frozen)

FinishReason = Literal["stop", "length", "tool_calls"]


@dataclass
class Completion:
    text: str  # without tool-call blocks
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: FinishReason = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float | None = None  # wall time of the whole generation
    seconds_to_first_token: float | None = None
    model: str = ""


class ChatBackend(Protocol):
    """`complete` returns the whole answer; `stream` yields text pieces as they are generated
    (tool calls, if any, are only in `complete`'s result)."""

    name: str
    # Whether the backend can choose a tool itself; without (extractive mode) the QA agent
    # routes by the question's wording.
    calls_tools: bool

    def complete(self, messages: list[Message], options: GenerationOptions = GenerationOptions()
                 ) -> Completion: ...

    def stream(self, messages: list[Message], options: GenerationOptions = GenerationOptions()
               ) -> Iterator[str]: ...


class BackendError(GuihuaError):
    """A backend cannot be loaded or reached; the message says what to do."""
