"""Sample plans as real documents: a PDF drawn with ruled tables (PyMuPDF's built-in CJK font,
referenced rather than embedded, so files stay small), long tables continued over pages with or without a repeated heading; and a DOCX with
real merged cells (python-docx)."""

from __future__ import annotations

from pathlib import Path

import docx
import pymupdf

from eval.sample_plans.tables import PrintedTable

PAGE_W, PAGE_H = 595.0, 842.0  # A4, points
MARGIN = 56.0
ROW_H = 18.0
HEAD_H = 26.0
FONT = "china-s"
CELL_FONT_SIZE = 7.5


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Lines of `text` that fit `width` points (CJK has no spaces to break at)."""
    lines, line = [], ""
    for char in text:
        if line and pymupdf.get_text_length(line + char, fontname=FONT, fontsize=size) > width:
            lines.append(line)
            line = ""
        line += char
    return lines + [line] if line else lines


def _centred(page: pymupdf.Page, rect: pymupdf.Rect, text: str, size: float) -> None:
    lines = _wrap(text, rect.width - 2, size)
    top = rect.y0 + (rect.height - len(lines) * size * 1.25) / 2 + size
    for n, line in enumerate(lines):
        width = pymupdf.get_text_length(line, fontname=FONT, fontsize=size)
        page.insert_text((rect.x0 + (rect.width - width) / 2, top + n * size * 1.25), line,
                         fontname=FONT, fontsize=size)


class _PdfCursor:
    def __init__(self, doc: pymupdf.Document) -> None:
        self.doc = doc
        self.page = doc.new_page(width=PAGE_W, height=PAGE_H)
        self.y = MARGIN

    def new_page(self) -> None:
        self.page = self.doc.new_page(width=PAGE_W, height=PAGE_H)
        self.y = MARGIN

    def room(self, height: float) -> bool:
        return self.y + height <= PAGE_H - MARGIN

    def text(self, text: str, size: float = 10.5, gap: float = 6.0) -> None:
        for line in _wrap(text, PAGE_W - 2 * MARGIN, size):
            if not self.room(size * 1.5):
                self.new_page()
            self.page.insert_text((MARGIN, self.y + size), line, fontname=FONT, fontsize=size)
            self.y += size * 1.5
        self.y += gap


def _draw_row(cursor: _PdfCursor, cells: list[str], height: float,
              merges: list[tuple[int, int, int, int]] = (), row: int = 0,
              rows_in_header: int = 1) -> None:
    width = (PAGE_W - 2 * MARGIN) / len(cells)
    covered = {(r, c) for r0, c0, rs, cs in merges for r in range(r0, r0 + rs)
               for c in range(c0, c0 + cs) if (r, c) != (r0, c0)}
    for col, text in enumerate(cells):
        if (row, col) in covered:
            continue
        span = next(((rs, cs) for r0, c0, rs, cs in merges if (r0, c0) == (row, col)), (1, 1))
        rect = pymupdf.Rect(MARGIN + col * width, cursor.y, MARGIN + (col + span[1]) * width,
                            cursor.y + height * span[0])
        cursor.page.draw_rect(rect, color=(0, 0, 0), width=0.6)
        if text:
            _centred(cursor.page, rect, text, CELL_FONT_SIZE)


def _pdf_table(cursor: _PdfCursor, table: PrintedTable, repeat_header: bool) -> None:
    header_height = HEAD_H * len(table.header)
    if not cursor.room(40 + header_height + 3 * ROW_H):
        cursor.new_page()
    cursor.text(table.caption, 10.5, 2)
    if table.unit_line:
        cursor.text(table.unit_line, 9, 2)

    def header() -> None:
        for r, cells in enumerate(table.header):
            _draw_row(cursor, cells, HEAD_H, table.merges, r, len(table.header))
            cursor.y += HEAD_H

    header()
    for cells in table.body:
        if not cursor.room(ROW_H):
            cursor.new_page()
            if repeat_header:
                header()
        _draw_row(cursor, cells, ROW_H)
        cursor.y += ROW_H
    cursor.y += 12


def write_pdf(path: Path, title: str, paragraphs: list[str], tables: list[PrintedTable],
              repeat_header: bool) -> None:
    doc = pymupdf.open()
    cursor = _PdfCursor(doc)
    cursor.text(title, 15, 12)
    for paragraph in paragraphs:
        cursor.text(paragraph)
    for table in tables:
        _pdf_table(cursor, table, repeat_header)
    doc.set_metadata({"title": title})
    doc.save(path)
    doc.close()


def write_docx(path: Path, title: str, paragraphs: list[str], tables: list[PrintedTable]) -> None:
    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    for table in tables:
        document.add_paragraph(table.caption)
        if table.unit_line:
            document.add_paragraph(table.unit_line)
        n_cols = len(table.header[0])
        grid = document.add_table(rows=len(table.header) + len(table.body), cols=n_cols)
        grid.style = "Table Grid"
        for r, cells in enumerate(table.header + table.body):
            for c, text in enumerate(cells):
                if text:
                    grid.cell(r, c).text = text
        for r, c, rowspan, colspan in table.merges:
            text = grid.cell(r, c).text
            merged = grid.cell(r, c).merge(grid.cell(r + rowspan - 1, c + colspan - 1))
            merged.text = text
    document.save(path)
