"""What a LoRA adapter folder says about itself: peft's adapter_config.json records the base
model it was trained on and its rank. One reader for everyone who asks (the backend factory,
the model list, merging, the vLLM recipe)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ADAPTER_CONFIG = "adapter_config.json"


@dataclass(frozen=True)
class AdapterInfo:
    folder: Path
    base_model: str | None  # as peft recorded it: usually the base model's folder
    rank: int

    @property
    def base_folder(self) -> Path | None:
        """The recorded base model folder, if it still holds a model."""
        if self.base_model and (Path(self.base_model) / "config.json").exists():
            return Path(self.base_model)
        return None


def is_adapter_folder(folder: Path) -> bool:
    return (folder / ADAPTER_CONFIG).is_file()


def read_adapter(folder: Path) -> AdapterInfo:
    config = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    return AdapterInfo(folder, config.get("base_model_name_or_path"), int(config.get("r", 16)))
