"""The text a reader extracts: block offsets into it, and refusing a file that has none.

A reader's extracted text is its blocks' texts joined by newlines; `Block.char_start/char_end`
point into that string.
"""

from __future__ import annotations

from pathlib import Path

from corpus.errors import IngestError
from corpus.readers.base import Block


def assign_offsets(blocks: list[Block]) -> None:
    """Offsets into the blocks' texts joined by newlines: the reader's extracted text."""
    offset = 0
    for block in blocks:
        block.char_start = offset
        block.char_end = offset + len(block.text)
        offset = block.char_end + 1


def require_text(blocks: list[Block], path: Path) -> None:
    if not any(block.text.strip() for block in blocks):
        raise IngestError(str(path), "文件没有可读的正文", "the file has no readable text",
                          "请检查文件内容；扫描件请先做文字识别 / check the file's content")


def refuse_blank(data: bytes, path: Path) -> None:
    """A 0-byte or all-blank file ("new document" never saved) has no text: say so, rather than
    letting a parser call it corrupt."""
    if not data.strip():
        require_text([], path)
