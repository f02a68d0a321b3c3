"""Grounded answers: `/v1/ask` (JSON or server-sent events) and an OpenAI-compatible
`/v1/chat/completions`, so existing clients and agents can use guihua as a model. Both answer
only from what the caller may see, and both send only verified text: the answer is checked
before the first word goes out, then streamed."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from agents.grounded_prompt import CITATION_PATTERN
from agents.qa.agent import QaAgent, QaAnswer, Turn
from agents.tools.toolbox import Toolbox
from app.api.auth import requires
from app.api.services import Services
from app.api.routes.clauses import shown
from app.security.access import Principal

router = APIRouter(prefix="/v1", tags=["answers"])

MODEL_NAME = "guihua"
_PIECE = re.compile(r"[^。；！？\n]*[。；！？\n]?")


class TurnIn(BaseModel):
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)
    cited_ids: list[str] = Field(default_factory=list, max_length=20)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=2000, description="问题")
    as_of: date | None = Field(None, description="依据该日有效的条文作答（默认今天）")
    history: list[TurnIn] = Field(default_factory=list, max_length=20,
                                  description="此前的问答（追问时带上）")
    stream: bool = Field(False, description="以 server-sent events 逐段返回")


def answer_question(services: Services, principal: Principal, question: str,
                    as_of: date | None, history: list[Turn]) -> QaAnswer:
    view = services.view(principal)
    searcher = view.require_searcher()
    day = as_of or date.today()
    graph = services.graph if principal.may("graph") else None
    scope = services.graph_scope(principal) if graph is not None else None
    toolbox = Toolbox(view.store, searcher, services.rules, services.land_use, day, graph,
                      (lambda rows: scope.rows(rows)[0]) if scope else None)
    agent = QaAgent(view.store, searcher, services.backend, toolbox=toolbox)
    with services.model_turn():
        answer = agent.ask(question, as_of, history)
    answer.citations = [replace(c, text=shown(principal, c.text)) for c in answer.citations]
    answer.closest = [replace(h, text=shown(principal, h.text)) for h in answer.closest]
    return answer


def _pieces(text: str) -> Iterator[str]:
    """The verified answer in sentence-sized pieces, as it is streamed."""
    for piece in _PIECE.findall(text):
        if piece:
            yield piece


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


@router.post("/ask", summary="依据条文回答，附引用 / a cited answer, or an abstention",
             response_model=None)
def ask(request: Request, body: AskRequest,
        principal: Principal = Depends(requires("ask"))) -> dict | StreamingResponse:
    services: Services = request.app.state.services
    history = [Turn(t.question, t.answer, tuple(t.cited_ids)) for t in body.history]
    if not body.stream:
        return answer_question(services, principal, body.question, body.as_of,
                               history).to_dict()

    def events() -> Iterator[str]:
        yield _sse("status", {"stage": "retrieving", "message": "正在检索条文并生成、核验回答"})
        try:
            answer = answer_question(services, principal, body.question, body.as_of, history)
        except Exception as exc:  # the stream has started: report in-band, then end it
            yield _sse("error", {"code": "internal", "message": f"{type(exc).__name__}: {exc}"})
            return
        for piece in _pieces(answer.answer):
            yield _sse("delta", {"text": piece})
        for citation in answer.citations:
            yield _sse("citation", citation.to_dict())
        yield _sse("done", answer.to_dict())

    return StreamingResponse(events(), media_type="text/event-stream")


# -- OpenAI-compatible -------------------------------------------------------------------------

class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(str(p.get("text", "")) for p in self.content or [] if isinstance(p, dict))


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = MODEL_NAME
    messages: list[_Message] = Field(min_length=1, max_length=50)
    stream: bool = False
    as_of: date | None = Field(None, description="guihua 扩展：依据该日有效的条文")


def _conversation(messages: list[_Message]) -> tuple[str, list[Turn]]:
    """The last user message is the question; earlier user/assistant pairs are the history."""
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    if not users or not messages[users[-1]].text().strip():
        from app.api.errors import ApiError

        raise ApiError(422, "invalid_request", "需要一条用户消息 / a user message is required")
    history: list[Turn] = []
    pending: str | None = None
    for message in messages[:users[-1]]:
        if message.role == "user":
            pending = message.text()
        elif message.role == "assistant" and pending is not None:
            text = message.text()
            history.append(Turn(pending, text, tuple(CITATION_PATTERN.findall(text))))
            pending = None
    return messages[users[-1]].text(), history


def _with_sources(answer: QaAnswer) -> str:
    if not answer.citations:
        return answer.answer
    sources = "\n".join(f"[{c.id}] {c.title}" for c in answer.citations)
    return f"{answer.answer}\n\n依据：\n{sources}"


@router.get("/models", summary="OpenAI 兼容：模型列表 / OpenAI-compatible model list")
def models(_principal: Principal = Depends(requires("ask"))) -> dict:
    return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0,
                                        "owned_by": "guihua"}]}


@router.post("/chat/completions", response_model=None,
             summary="OpenAI 兼容的问答 / OpenAI-compatible grounded chat")
def chat_completions(request: Request, body: ChatRequest,
                     principal: Principal = Depends(requires("ask"))
                     ) -> dict | StreamingResponse:
    services: Services = request.app.state.services
    question, history = _conversation(body.messages)
    answer = answer_question(services, principal, question, body.as_of, history)
    content = _with_sources(answer)
    reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    extra = {"citations": [c.to_dict() for c in answer.citations], "abstained": answer.abstained}
    if not body.stream:
        return {"id": reply_id, "object": "chat.completion", "created": created,
                "model": MODEL_NAME,
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                **extra}

    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        data = {"id": reply_id, "object": "chat.completion.chunk", "created": created,
                "model": MODEL_NAME,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def events() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        for piece in _pieces(content):
            yield chunk({"content": piece})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
