"""The page model the PDF reader's stages pass between them: positioned lines, tables, pages.

Coordinates are PDF points with y growing downwards, as PyMuPDF reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.model import Table

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(slots=True)
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    block: int  # PyMuPDF text block (or OCR row group) the line came from

    @property
    def center_y(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class PageTable:
    table: Table
    bbox: Box


@dataclass(slots=True)
class Para:
    lines: list[Line]
    page: int
    page_end: int


@dataclass(slots=True)
class Page:
    number: int
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    tables: list[PageTable] = field(default_factory=list)
    needs_ocr: bool = False
    left: float = 0.0  # the text column, set from all pages (see paragraphs.set_text_columns)
    right: float = 0.0
