"""Files uploaded through the UI, checked like API uploads (kind by content, size) and copied
into a job's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import gradio as gr

from app.api.errors import ApiError
from app.api.uploads import SUFFIX, check_kind


def stage_upload(path: str | None, folder: Path, name: str, kinds: tuple[str, ...],
                 max_bytes: int) -> Path | None:
    """Check an uploaded file (kind by content, size) and copy it into the job's folder."""
    if not path:
        return None
    source = Path(path)
    if source.stat().st_size > max_bytes:
        raise gr.Error(f"{source.name}：文件超过 {max_bytes >> 20} MB 上限")
    try:
        kind = check_kind(source, kinds, source.name)
    except ApiError as exc:
        raise gr.Error(exc.message) from None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name + SUFFIX[kind])
    shutil.copyfile(source, target)
    return target
