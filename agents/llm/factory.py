"""Settings → a chat backend. Switching between the extractive mode, a local model (+ LoRA
adapter), llama.cpp and a vLLM / OpenAI-compatible server is configuration only."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from agents.llm.adapters import ADAPTER_CONFIG, is_adapter_folder, read_adapter
from agents.llm.base import BackendError, ChatBackend
from agents.llm.model_store import PACKAGED_MODELS, ModelStore


class LlmSettings(Protocol):
    llm_backend: str
    llm_model: str
    llm_adapter: str | None
    llm_base_url: str
    llm_served_model: str

    @property
    def models_dir(self) -> Path: ...

    def llm_api_key_value(self) -> str: ...


def adapter_path(store: ModelStore, adapter: str | None) -> Path | None:
    """An adapter by name (under <data>/models/adapters) or by folder."""
    if not adapter:
        return None
    named = store.adapter_dir(adapter)
    for candidate in (named, Path(adapter).expanduser()):
        if is_adapter_folder(candidate):
            return candidate
    raise BackendError(f"找不到 LoRA 适配器 {adapter}（应为 {store.adapters_dir} 下的名称或一个目录）/ "
                       f"no LoRA adapter {adapter}: give a name under {store.adapters_dir} or a "
                       f"folder holding {ADAPTER_CONFIG}")


def adapter_base(adapter: Path | None) -> Path | None:
    """The base model folder an adapter was trained on (recorded by peft), if it still exists."""
    if adapter is None:
        return None
    return read_adapter(adapter).base_folder


def backend_from_settings(config: LlmSettings) -> ChatBackend:
    kind = config.llm_backend
    if config.llm_adapter and kind != "transformers":
        # A silently ignored adapter would make people evaluate the base model by mistake.
        raise BackendError(
            f"GUIHUA_LLM_ADAPTER 只用于 transformers 后端；{kind} 后端请在服务端加载适配器"
            f"（vLLM: --lora-modules）/ GUIHUA_LLM_ADAPTER applies to the transformers backend "
            f"only; with {kind}, load the adapter in the server (vLLM: --lora-modules)")
    if kind == "extractive":
        from agents.llm.extractive import ExtractiveBackend

        return ExtractiveBackend()
    if kind == "openai":
        from agents.llm.openai_backend import OpenAICompatibleBackend

        return OpenAICompatibleBackend(config.llm_base_url, config.llm_served_model,
                                       config.llm_api_key_value())
    store = ModelStore(config.models_dir)
    if kind == "transformers":
        from agents.llm.transformers_backend import TransformersBackend

        adapter = adapter_path(store, config.llm_adapter)
        base = adapter_base(adapter) or store.prepare(config.llm_model)
        return TransformersBackend(base, adapter)
    if kind == "llamacpp":
        from agents.llm.llamacpp_backend import LlamaCppBackend

        gguf = (store.assemble(PACKAGED_MODELS[config.llm_model])
                if config.llm_model in PACKAGED_MODELS else Path(config.llm_model))
        return LlamaCppBackend(gguf)
    raise BackendError(f"未知的后端 {kind} / unknown backend {kind}: extractive | transformers | "
                       f"openai | llamacpp")
