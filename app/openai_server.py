"""Any guihua chat backend behind an OpenAI-compatible HTTP API (`/v1/models`,
`/v1/chat/completions`, streaming included), so other systems, and guihua's own
`OpenAICompatibleBackend`, use a guihua model like any vLLM or llama.cpp server.

One model per app: the `model` field of a request is accepted whatever it says (clients often
send a fixed name) and answers carry the served name. Tool calls go out in OpenAI form; a call
the model wrote with invalid JSON is not sent as a call but left in the content, as written, so
the client still sees it. Generation options the backends do not support (top_p, seed, …) are
ignored; n > 1 and non-text content are refused.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agents.llm.base import (
    BackendError,
    ChatBackend,
    Completion,
    GenerationOptions,
    Message,
    ToolCall,
    ToolSpec,
)
from agents.llm.tool_calls import parse_arguments, render_tool_calls


class _Function(BaseModel):
    name: str = Field(min_length=1)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)


class _Tool(BaseModel):
    type: Literal["function"] = "function"
    function: _Function


class _CalledFunction(BaseModel):
    name: str
    arguments: str = "{}"


class _ToolCallIn(BaseModel):
    id: str = ""
    type: Literal["function"] = "function"
    function: _CalledFunction


class _TextPart(BaseModel):
    type: Literal["text"]
    text: str


class ChatMessageIn(BaseModel):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[_TextPart] | None = None
    tool_calls: list[_ToolCallIn] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    def to_message(self) -> Message:
        """Our plain-text message; an assistant turn's calls are written back as
        `<tool_call>` blocks, the form local models were trained to read."""
        text = self.content if isinstance(self.content, str) else \
            "".join(part.text for part in self.content or [])
        if self.tool_calls:
            calls = [ToolCall(name=c.function.name,
                              arguments=parse_arguments(c.function.arguments) or {})
                     for c in self.tool_calls]
            text = render_tool_calls(calls, text)
        role = "system" if self.role == "developer" else self.role
        return Message(role=role, content=text)


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = ""
    messages: list[ChatMessageIn] = Field(min_length=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    stop: str | list[str] | None = None
    tools: list[_Tool] | None = None
    stream: bool = False
    n: int = Field(default=1, ge=1, le=1)

    def options(self) -> GenerationOptions:
        defaults = GenerationOptions()
        stop = [self.stop] if isinstance(self.stop, str) else self.stop or []
        return GenerationOptions(
            max_tokens=self.max_completion_tokens or self.max_tokens or defaults.max_tokens,
            temperature=defaults.temperature if self.temperature is None else self.temperature,
            stop=tuple(s for s in stop if s),
            tools=tuple(ToolSpec(t.function.name, t.function.description, t.function.parameters)
                        for t in self.tools or []))


def create_openai_app(backend: ChatBackend, model_name: str) -> FastAPI:
    """An app serving `backend` as the single model `model_name`."""
    app = FastAPI(title="guihua OpenAI-compatible API")
    created = int(time.time())

    @app.exception_handler(RequestValidationError)
    def _invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                             for e in err.errors())
        return _error(400, f"请求格式不正确 / invalid request: {problems}",
                      "invalid_request_error")

    @app.exception_handler(BackendError)
    def _backend_failed(_request: Request, err: BackendError) -> JSONResponse:
        return _error(500, str(err), "server_error")

    @app.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model",
                                            "created": created, "owned_by": "guihua"}]}

    @app.post("/v1/chat/completions", response_model=None)
    def chat_completions(request: ChatRequest) -> dict[str, Any] | StreamingResponse:
        messages = [m.to_message() for m in request.messages]
        options = request.options()
        reply = _Reply(model_name)
        if request.stream:
            return StreamingResponse(reply.events(backend, messages, options),
                                     media_type="text/event-stream")
        return reply.completion(backend.complete(messages, options))

    return app


class _Reply:
    """The JSON of one answer, whole or as `chat.completion.chunk` events."""

    def __init__(self, model_name: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model_name

    def completion(self, result: Completion) -> dict[str, Any]:
        content, calls = _content_and_calls(result)
        message: dict[str, Any] = {"role": "assistant",
                                   "content": content if content or not calls else None}
        if calls:
            message["tool_calls"] = calls
        prompt, completion = result.prompt_tokens or 0, result.completion_tokens or 0
        return {"id": self.id, "object": "chat.completion", "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "message": message,
                             "finish_reason": result.finish_reason, "logprobs": None}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                          "total_tokens": prompt + completion}}

    def events(self, backend: ChatBackend, messages: list[Message],
               options: GenerationOptions) -> Iterator[str]:
        """Server-sent events. With tools the answer is generated whole first, since only
        `complete` returns tool calls; without, text is sent as the backend yields it."""
        yield self._chunk({"role": "assistant", "content": ""})
        try:
            if options.tools:
                result = backend.complete(messages, options)
                content, calls = _content_and_calls(result)
                if content:
                    yield self._chunk({"content": content})
                if calls:
                    yield self._chunk({"tool_calls": [{"index": i, **call}
                                                      for i, call in enumerate(calls)]})
                finish = result.finish_reason
            else:
                for piece in backend.stream(messages, options):
                    yield self._chunk({"content": piece})
                finish = "stop"
        except BackendError as err:
            yield _sse({"error": {"message": str(err), "type": "server_error"}})
        else:
            yield self._chunk({}, finish)
        yield "data: [DONE]\n\n"

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> str:
        return _sse({"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                     "model": self.model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})


def _content_and_calls(result: Completion) -> tuple[str, list[dict[str, Any]]]:
    """Valid calls in OpenAI form; invalid ones back into the content as the model wrote them."""
    invalid = [call for call in result.tool_calls if not call.valid]
    content = render_tool_calls(invalid, result.text) if invalid else result.text
    calls = [{"id": f"call_{uuid.uuid4().hex[:24]}", "type": "function",
              "function": {"name": call.name,
                           "arguments": json.dumps(call.arguments, ensure_ascii=False)}}
             for call in result.tool_calls if call.valid]
    return content, calls


def _sse(data: dict[str, Any]) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"error": {"message": message, "type": kind, "param": None,
                                           "code": None}})
