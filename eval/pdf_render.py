"""Render a parsed law into a PDF laid out like an official print (title, chapter headings,
indented paragraphs, optional ruled tables), so PDF reading can be measured against text whose
structure is known exactly."""

from __future__ import annotations

from pathlib import Path

import fitz

from corpus.model import ClauseKind, Document

PAGE_W, PAGE_H = 595, 842  # A4 in points
MARGIN = 56
FONT = "china-s"  # PyMuPDF's built-in CJK font


class _Layout:
    def __init__(self, pdf: fitz.Document, size: float, table_every_page: bool) -> None:
        self.pdf = pdf
        self.size = size
        self.line_h = size * 1.6
        self.chars_per_line = int((PAGE_W - 2 * MARGIN) / size)
        self.table_every_page = table_every_page
        self.page: fitz.Page | None = None
        self.y = 0.0
        self.tables = 0
        self.bottom = PAGE_H - MARGIN - (110 if table_every_page else 0)

    def new_page(self) -> None:
        if self.page is not None and self.table_every_page:
            self._table()
        self.page = self.pdf.new_page(width=PAGE_W, height=PAGE_H)
        self.y = MARGIN + self.size
        # running footer, as official prints have: readers must drop it
        self.page.insert_text((PAGE_W / 2 - 10, PAGE_H - 24), f"— {self.pdf.page_count} —",
                              fontname=FONT, fontsize=9)

    def paragraph(self, text: str, indent: bool = True, centred: bool = False,
                  size: float | None = None) -> None:
        size = size or self.size
        first = "\u3000\u3000" + text if indent else text
        width = int((PAGE_W - 2 * MARGIN) / size)
        lines = [first[i:i + width] for i in range(0, len(first), width)] or [""]
        for line in lines:
            if self.page is None or self.y + self.line_h > self.bottom:
                self.new_page()
            x = (PAGE_W - len(line) * size) / 2 if centred else MARGIN
            self.page.insert_text((x, self.y), line, fontname=FONT, fontsize=size)
            self.y += size * 1.6
        self.y += size * 0.6  # paragraph spacing

    def _table(self) -> None:
        """A ruled 3×4 table with a caption at the foot of the current page."""
        self.tables += 1
        page = self.page
        top = PAGE_H - MARGIN - 90
        page.insert_text((MARGIN, top - 8), f"表{self.tables} 用地指标（单位：公顷）",
                         fontname=FONT, fontsize=9)
        cols, rows, cell_w, cell_h = 4, 3, (PAGE_W - 2 * MARGIN) / 4, 22
        for r in range(rows + 1):
            page.draw_line((MARGIN, top + r * cell_h), (PAGE_W - MARGIN, top + r * cell_h))
        for c in range(cols + 1):
            page.draw_line((MARGIN + c * cell_w, top), (MARGIN + c * cell_w, top + rows * cell_h))
        cells = [["地类", "现状", "规划", "变化"], ["耕地", "120.5", "118.0", "-2.5"],
                 ["建设用地", "40.2", "43.1", "2.9"]]
        for r, row in enumerate(cells):
            for c, text in enumerate(row):
                page.insert_text((MARGIN + c * cell_w + 6, top + r * cell_h + 15), text,
                                 fontname=FONT, fontsize=9)

    def finish(self) -> None:
        if self.page is not None and self.table_every_page:
            self._table()


def render_law_pdf(doc: Document, path: Path, table_every_page: bool = False,
                   size: float = 10.5) -> int:
    """Write `doc` as a PDF at `path`; return the page count."""
    pdf = fitz.open()
    layout = _Layout(pdf, size, table_every_page)
    layout.paragraph(doc.title, indent=False, centred=True, size=16)
    for clause in doc.walk():
        if clause.kind in (ClauseKind.PART, ClauseKind.SUBPART, ClauseKind.CHAPTER,
                           ClauseKind.SECTION):
            layout.paragraph(f"{clause.label}\u3000{clause.text.split(chr(10))[0]}", indent=False,
                             centred=True)
        elif clause.kind is ClauseKind.ARTICLE:
            paragraphs = clause.text.split("\n")
            layout.paragraph(f"{clause.label}\u3000{paragraphs[0]}")
            for para in paragraphs[1:]:
                layout.paragraph(para)
    layout.finish()
    pages = pdf.page_count
    pdf.save(path, garbage=3, deflate=True)
    pdf.close()
    return pages
