"""Any OpenAI-compatible chat endpoint as a backend: vLLM, llama.cpp's server, another guihua
(`guihua serve`), or a bureau's own gateway.

Tool calls are read from both places a server may put them: the structured `message.tool_calls`
(servers started with a tool parser) and `<tool_call>` blocks left in the text (servers without
one, which pass the model's raw output through).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import openai

from agents.llm.base import (
    DEFAULT_OPTIONS,
    BackendError,
    Completion,
    GenerationOptions,
    Message,
)
from agents.llm.tool_calls import OPENAI_FINISH, from_openai, parse_tool_calls


class OpenAICompatibleBackend:
    """Chat over HTTP with an OpenAI-compatible `/v1/chat/completions` endpoint.

    `base_url` is the API root including `/v1` (e.g. http://127.0.0.1:8000/v1); `model` is the
    name the server serves. `max_retries` retries connection failures and 5xx answers."""

    calls_tools = True

    def __init__(self, base_url: str, model: str, api_key: str = "none",
                 timeout: float = 120.0, max_retries: int = 2) -> None:
        self.base_url = base_url
        self.model = model
        self.name = f"openai:{model}"
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout,
                                     max_retries=max_retries)

    def complete(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
                 ) -> Completion:
        started = time.perf_counter()
        with _translated_errors(self.base_url, self.model):
            response = self._client.chat.completions.create(**self._request(messages, options))
        if not response.choices:
            raise BackendError(f"{self.base_url} 返回了空的 choices / the server at "
                               f"{self.base_url} returned no choices")
        choice = response.choices[0]
        parsed = parse_tool_calls(choice.message.content or "",
                                  frozenset(t.name for t in options.tools))
        calls = [from_openai(call.function.name, call.function.arguments)
                 for call in choice.message.tool_calls or []] + parsed.calls
        finish = OPENAI_FINISH.get(choice.finish_reason or "stop", "stop")
        if any(call.valid for call in calls):
            finish = "tool_calls"
        usage = response.usage
        return Completion(text=parsed.text, tool_calls=calls, finish_reason=finish,
                          prompt_tokens=usage.prompt_tokens if usage else None,
                          completion_tokens=usage.completion_tokens if usage else None,
                          seconds=time.perf_counter() - started,
                          model=response.model or self.model)

    def stream(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
               ) -> Iterator[str]:
        with _translated_errors(self.base_url, self.model):
            chunks = self._client.chat.completions.create(**self._request(messages, options),
                                                          stream=True)
            with chunks:
                for chunk in chunks:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content

    def _request(self, messages: list[Message], options: GenerationOptions) -> dict[str, Any]:
        request: dict[str, Any] = {"model": self.model, "messages": list(messages),
                                   "max_tokens": options.max_tokens,
                                   "temperature": options.temperature}
        if options.stop:
            request["stop"] = list(options.stop)
        if options.tools:
            request["tools"] = [spec.to_openai() for spec in options.tools]
        return request


@contextmanager
def _translated_errors(url: str, model: str) -> Iterator[None]:
    """Turns the openai package's exceptions into BackendErrors that say what to check."""
    try:
        yield
    except openai.APITimeoutError as err:
        raise BackendError(f"请求 {url} 超时：模型服务可能过载，或生成长度过大 / the request to {url} "
                           f"timed out: the model server may be overloaded, or max_tokens too "
                           f"large") from err
    except openai.APIConnectionError as err:
        raise BackendError(f"无法连接模型服务 {url}：请检查服务是否已启动、地址和端口是否正确（应以 /v1 "
                           f"结尾）、防火墙是否放行 / cannot connect to the model server at {url}: "
                           f"check that it is running, that the address and port are right "
                           f"(ending in /v1), and that no firewall blocks it") from err
    except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
        raise BackendError(f"模型服务 {url} 拒绝了 API 密钥，请检查 api_key 设置 / the model server "
                           f"at {url} rejected the API key: check the api_key setting") from err
    except openai.NotFoundError as err:
        raise BackendError(f"模型服务 {url} 上没有模型 {model!r} 或该接口，请用 GET {url}/models 查看可用"
                           f"的模型名 / the server at {url} has no model {model!r} (or no such "
                           f"endpoint): list the served models with GET {url}/models") from err
    except openai.APIStatusError as err:
        raise BackendError(f"模型服务 {url} 返回错误 {err.status_code} / the model server at {url} "
                           f"answered {err.status_code}: {err.message}") from err
    except openai.OpenAIError as err:
        raise BackendError(f"调用模型服务 {url} 失败 / calling the model server at {url} failed: "
                           f"{err}") from err

