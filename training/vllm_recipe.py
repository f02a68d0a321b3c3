"""Serving the base model and a guihua adapter with vLLM on a GPU server.

vLLM is an optional extra installed on its own (`pip install 'guihua[vllm]'` in a separate
environment: it pins its own torch and transformers and pulls CUDA, so it is never part of the
default install or CI). It serves an OpenAI-compatible API; the app then needs only
configuration: GUIHUA_LLM_BACKEND=openai, GUIHUA_LLM_BASE_URL, GUIHUA_LLM_SERVED_MODEL.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

ADAPTER_MODULE_NAME = "guihua"  # what clients ask for; the base model stays available as "base"


@dataclass(frozen=True)
class VllmRecipe:
    base_model_dir: Path
    adapter_dir: Path | None
    host: str = "0.0.0.0"
    port: int = 8000
    max_lora_rank: int = 16
    max_model_len: int = 8192
    dtype: str = "bfloat16"  # the converted folder is fp32; GPUs serve bf16
    gpu_memory_utilization: float = 0.85

    def command(self) -> list[str]:
        args = ["vllm", "serve", str(self.base_model_dir),
                "--served-model-name", "base",
                "--host", self.host, "--port", str(self.port),
                "--dtype", self.dtype, "--max-model-len", str(self.max_model_len),
                "--gpu-memory-utilization", str(self.gpu_memory_utilization),
                # Qwen2.5 writes <tool_call>{json}</tool_call>: vLLM's hermes parser returns it as
                # OpenAI tool_calls (guihua's client also reads the text form).
                "--enable-auto-tool-choice", "--tool-call-parser", "hermes"]
        if self.adapter_dir is not None:
            args += ["--enable-lora", "--max-lora-rank", str(self.max_lora_rank),
                     "--lora-modules", f"{ADAPTER_MODULE_NAME}={self.adapter_dir}"]
        return args

    def shell(self) -> str:
        return shlex.join(self.command())

    def client_settings(self, client_host: str = "127.0.0.1") -> dict[str, str]:
        """Environment for the guihua app to use this server."""
        return {"GUIHUA_LLM_BACKEND": "openai",
                "GUIHUA_LLM_BASE_URL": f"http://{client_host}:{self.port}/v1",
                "GUIHUA_LLM_SERVED_MODEL": ADAPTER_MODULE_NAME if self.adapter_dir else "base"}

