"""What every reader returns: the source's text as ordered blocks with provenance.

Readers know file formats (PDF, DOCX, …); they know nothing of laws or standards. Genre parsers
(`corpus.parsers`) turn blocks into a clause tree.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from corpus.model import Provenance, Table

# progress(done, total, what): long readers (PDF pages, OCR) report through this.
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, what: str) -> None:
    return None


@dataclass(frozen=True)
class IngestLimits:
    """Guards against inputs that would exhaust the machine (GUIHUA_MAX_* settings)."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_pdf_pages: int = 5000
    max_unzipped_bytes: int = 200 * 1024 * 1024


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    TABLE = "table"


@dataclass(slots=True)
class Block:
    """A paragraph, heading or table, in reading order.

    `char_start`/`char_end` are offsets into the source's extracted text (for text files, into
    the decoded file; for PDFs, into the concatenated page texts); `heading_level` is 1 for a
    title, 2.. for section headings, when the format says so.
    """

    kind: BlockKind
    text: str
    page: int | None = None
    char_start: int | None = None
    char_end: int | None = None
    heading_level: int = 0
    table: Table | None = None
    page_end: int | None = None


@dataclass(slots=True)
class Extracted:
    source: Path
    source_kind: str
    blocks: list[Block]
    content_hash: str
    title_hint: str | None = None  # from the file name or the document's own title
    preamble: list[str] = field(default_factory=list)  # 题注: adoption and amendment history
    pages: int | None = None
    meta: dict = field(default_factory=dict)


class Reader(Protocol):
    """Reads one content type. Raises `IngestError` with a user-facing reason on bad input."""

    source_kind: str

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted: ...


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_FILE_DATE = re.compile(r"[（(]\s*(\d{4}-\d{2}-\d{2})\s*[)）]\s*$")


def title_from_filename(path: Path) -> tuple[str, str | None]:
    """'土地管理法(2019-08-26).md' → ('土地管理法', '2019-08-26'): LawRefBook-style names carry the
    version date; other names give just a title."""
    stem = path.stem.strip()
    match = _FILE_DATE.search(stem)
    if match:
        return stem[: match.start()].strip(), match.group(1)
    return stem, None


def span_provenance(source: str, blocks: list[Block]) -> Provenance:
    """The provenance of a run of blocks: first to last page and character."""
    pages = [b.page for b in blocks if b.page is not None]
    ends = [b.page_end or b.page for b in blocks if b.page is not None]
    starts = [b.char_start for b in blocks if b.char_start is not None]
    stops = [b.char_end for b in blocks if b.char_end is not None]
    return Provenance(file=source, page=min(pages) if pages else None,
                      page_end=max(ends) if ends else None,
                      char_start=min(starts) if starts else None,
                      char_end=max(stops) if stops else None)
