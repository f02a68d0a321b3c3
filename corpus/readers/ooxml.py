"""Base of the readers for zipped Office XML files (DOCX, XLSX): the unpacked-size limit they
are built with, and the checks run on the bytes before any library opens them."""

from __future__ import annotations

from pathlib import Path

from corpus.readers.extracted_text import refuse_blank
from corpus.readers.ziplimits import DEFAULT_MAX_TOTAL_BYTES, check_office_zip


class OoxmlReader:
    source_kind: str
    label: str  # the format's name in messages: "DOCX"
    required_member: str  # the part every valid file of the format has: "word/document.xml"

    def __init__(self, max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES) -> None:
        self.max_total_bytes = max_total_bytes

    def check(self, path: Path, data: bytes) -> None:
        """Refuse blank, legacy-binary, encrypted, corrupt and zip-bomb files up front: the
        Office libraries would inflate a bomb in full before failing."""
        refuse_blank(data, path)
        check_office_zip(data, str(path), label=self.label, required_member=self.required_member,
                         max_total_bytes=self.max_total_bytes)
