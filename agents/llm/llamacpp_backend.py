"""A GGUF file run in-process by llama.cpp (`llama-cpp-python`, the optional `llamacpp` extra):
3–6 times faster than transformers on a CPU, with the model's own chat template from the GGUF
metadata. The chat template receives the tools, and the model's `<tool_call>` blocks come back
as text, parsed here like any local model's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from agents.llm.base import (
    DEFAULT_OPTIONS,
    BackendError,
    Completion,
    GenerationOptions,
    Message,
)
from agents.llm.tool_calls import OPENAI_FINISH, from_openai, parse_tool_calls

_INSTALL_HINT = "pip install 'guihua[llamacpp]'"


class LlamaCppBackend:
    """Chat with a GGUF model through llama-cpp-python's `Llama.create_chat_completion`.

    `n_ctx` bounds prompt plus answer in tokens; `threads` None lets llama.cpp choose."""

    calls_tools = True

    def __init__(self, gguf_path: Path, n_ctx: int = 4096, threads: int | None = None,
                 name: str | None = None) -> None:
        self.gguf_path = Path(gguf_path)
        if not self.gguf_path.is_file():
            raise BackendError(f"找不到 GGUF 模型文件：{self.gguf_path}。请先运行 guihua setup 或检查路径 / "
                               f"GGUF model file not found: {self.gguf_path}. Run `guihua setup` "
                               f"or fix the path")
        with self.gguf_path.open("rb") as handle:
            if handle.read(4) != b"GGUF":
                raise BackendError(f"{self.gguf_path} 不是 GGUF 文件 / {self.gguf_path} is not a "
                                   f"GGUF file")
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise BackendError(f"未安装 llama-cpp-python，请运行 {_INSTALL_HINT}（需从源码编译，约 5 分钟）"
                               f" / llama-cpp-python is not installed: run {_INSTALL_HINT} "
                               f"(builds from source, about 5 minutes)") from err
        try:
            self._llama = Llama(model_path=str(self.gguf_path), n_ctx=n_ctx, n_threads=threads,
                                verbose=False)
        except (ValueError, RuntimeError, OSError) as err:
            raise BackendError(f"llama.cpp 无法加载 {self.gguf_path}：文件可能不完整或架构不受支持 / "
                               f"llama.cpp cannot load {self.gguf_path}: the file may be "
                               f"incomplete or its architecture unsupported: {err}") from err
        self.name = name or self.gguf_path.stem
        self._lock = threading.Lock()  # a Llama context serves one generation at a time

    def complete(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
                 ) -> Completion:
        started = time.perf_counter()
        with self._lock:
            response = self._call(messages, options, stream=False)
        choice = response["choices"][0]
        message = choice.get("message") or {}
        parsed = parse_tool_calls(message.get("content") or "",
                                  frozenset(t.name for t in options.tools))
        calls = [from_openai((c.get("function") or {}).get("name"),
                              (c.get("function") or {}).get("arguments"))
                  for c in message.get("tool_calls") or []] + parsed.calls
        finish = "tool_calls" if any(c.valid for c in calls) else \
            OPENAI_FINISH.get(choice.get("finish_reason") or "stop", "stop")
        usage = response.get("usage") or {}
        return Completion(text=parsed.text, tool_calls=calls, finish_reason=finish,
                          prompt_tokens=usage.get("prompt_tokens"),
                          completion_tokens=usage.get("completion_tokens"),
                          seconds=time.perf_counter() - started, model=self.name)

    def stream(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
               ) -> Iterator[str]:
        with self._lock:
            chunks = self._call(messages, options, stream=True)
            try:  # llama.cpp checks the prompt when the first chunk is asked for
                for chunk in chunks:
                    choices = chunk.get("choices") or []
                    content = (choices[0].get("delta") or {}).get("content") if choices else None
                    if content:
                        yield content
            except ValueError as err:
                raise _rejected(err) from err

    def _call(self, messages: list[Message], options: GenerationOptions, stream: bool) -> Any:
        kwargs: dict[str, Any] = {"messages": list(messages), "max_tokens": options.max_tokens,
                                  "temperature": options.temperature, "stream": stream}
        if options.stop:
            kwargs["stop"] = list(options.stop)
        if options.tools:
            kwargs["tools"] = [spec.to_openai() for spec in options.tools]
        try:
            return self._llama.create_chat_completion(**kwargs)
        except ValueError as err:
            raise _rejected(err) from err


def _rejected(err: ValueError) -> BackendError:
    """llama.cpp raises ValueError for requests it cannot serve, most often a prompt over n_ctx."""
    return BackendError(f"llama.cpp 拒绝了请求（提示可能超过上下文长度 n_ctx）/ llama.cpp rejected "
                        f"the request (the prompt may exceed n_ctx): {err}")

