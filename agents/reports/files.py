"""Writing a report file: the format chosen by the file's extension, written beside and renamed
into place, so a failed export never leaves half a report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

Writer = Callable[[Path], None]


def write_by_suffix(path: Path, writers: Mapping[str, Writer]) -> None:
    suffix = path.suffix.lower()
    if suffix not in writers:
        raise ValueError(f"报告格式应为 {'/'.join(writers)} / report format must be one of "
                         f"{', '.join(writers)}: {path.name}")
    partial = path.with_name(path.name + ".partial")
    try:
        writers[suffix](partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
