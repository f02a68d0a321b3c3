"""Switching the app's model by configuration alone: a local model + LoRA adapter served by
`guihua models serve` (the OpenAI-compatible API vLLM also offers) and reached through the
`openai` backend; and the vLLM recipe's command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agents.llm.base import GenerationOptions
from agents.llm.factory import backend_from_settings
from agents.llm.openai_backend import OpenAICompatibleBackend
from app.settings import Settings
from tiny_model import make_tiny_model
from training.vllm_recipe import VllmRecipe

pytest.importorskip("peft")


@pytest.fixture(scope="module")
def tiny_with_adapter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("serve")
    model_dir = make_tiny_model(root / "model")
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True),
                           LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"],
                                      task_type="CAUSAL_LM"))
    adapter = root / "data" / "models" / "adapters" / "served-lora"
    model.save_pretrained(adapter)
    return model_dir, adapter


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_app_reaches_a_served_adapter_by_configuration_alone(
        tiny_with_adapter: tuple[Path, Path]) -> None:
    model_dir, adapter = tiny_with_adapter
    port = _free_port()
    env = {**os.environ, "GUIHUA_DATA_DIR": str(adapter.parents[2]),
           "GUIHUA_LLM_BACKEND": "transformers", "GUIHUA_LLM_MODEL": str(model_dir),
           "GUIHUA_LLM_ADAPTER": "served-lora", "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "-m", "app", "models", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.5)
        config = Settings(llm_backend="openai", llm_base_url=f"http://127.0.0.1:{port}/v1",
                          llm_served_model="guihua")
        backend = backend_from_settings(config)
        assert isinstance(backend, OpenAICompatibleBackend)
        reply = backend.complete([{"role": "user", "content": "永久基本农田是什么？"}],
                                 GenerationOptions(max_tokens=6))
        assert reply.completion_tokens == 6 and reply.model == "guihua"
        assert "".join(backend.stream([{"role": "user", "content": "耕地"}],
                                      GenerationOptions(max_tokens=4)))
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_vllm_recipe_serves_the_adapter_under_the_configured_name(tmp_path: Path) -> None:
    recipe = VllmRecipe(tmp_path / "hf", tmp_path / "adapter", port=8100, max_lora_rank=16)
    command = recipe.command()
    assert command[:3] == ["vllm", "serve", str(tmp_path / "hf")]
    assert command[command.index("--lora-modules") + 1] == f"guihua={tmp_path / 'adapter'}"
    assert "--enable-lora" in command and "--tool-call-parser" in command
    assert recipe.client_settings() == {"GUIHUA_LLM_BACKEND": "openai",
                                        "GUIHUA_LLM_BASE_URL": "http://127.0.0.1:8100/v1",
                                        "GUIHUA_LLM_SERVED_MODEL": "guihua"}
    # The settings it prints are exactly what the app reads.
    config = Settings(**{k.removeprefix("GUIHUA_").lower(): v
                         for k, v in recipe.client_settings().items()})
    assert config.llm_backend == "openai" and config.llm_served_model == "guihua"
    assert "--enable-lora" not in VllmRecipe(tmp_path / "hf", None).command()
