"""Ruled tables in a PDF: finding them, reading their cells, and merging a table that
continues on the next page.

PyMuPDF's `find_tables` is slow, so it only runs on areas whose vector drawings hold enough
horizontal and vertical rules to form a grid. A table whose rows continue at the top of the next
page (no new caption, or a 续表 caption) is merged into one.
"""

from __future__ import annotations

import re
from typing import Any

import pymupdf

from corpus.model import Table
from corpus.readers.pdf.layout import Box, Line, PageTable
from corpus.readers.pdf.lines import clean_text, join_wrapped

if hasattr(pymupdf, "no_recommend_layout"):
    # find_tables otherwise prints an advertisement to stdout, which would corrupt CLI output.
    pymupdf.no_recommend_layout()

_CAPTION = re.compile(r"^(?:续|附)?表[\s\u3000]*(?:[A-Z]|\d|[一二三四五六七八九十])")
_CONTINUED_CAPTION = re.compile(r"^续表")
_UNIT = re.compile(r"[（(]?\s*单位\s*[:：]\s*([^（()）]+?)\s*[)）]?\s*$")
_MAX_SEGMENTS = 4000  # beyond this (maps, drawings) clustering costs more than it saves


# --- detection ------------------------------------------------------------------------------

def table_regions(page: pymupdf.Page) -> list[Box]:
    """Areas worth a `find_tables` call: clusters of touching rules with at least a 2×2 grid's
    worth of horizontal and vertical lines. `find_tables` spends most of its time collecting the
    characters of its clip, so searching these areas instead of the page is ~6× faster, and pages
    without such rules (most of a law or standard) are not searched at all."""
    segments = _rule_segments(page)
    if len(segments) > _MAX_SEGMENTS:
        horizontal = sum(1 for _, h in segments if h)
        grid = horizontal >= 3 and len(segments) - horizontal >= 3
        return [tuple(page.rect)] if grid else []
    # Sweep top to bottom: a cluster that ends above the current segment can grow no more.
    closed: list[list[float]] = []
    active: list[list[float]] = []  # x0, y0, x1, y1, horizontal count, vertical count
    for (x0, y0, x1, y1), horizontal in sorted(segments, key=lambda s: s[0][1]):
        merged = [x0, y0, x1, y1, int(horizontal), int(not horizontal)]
        keep = []
        for c in active:
            if c[3] + 3 < y0:
                closed.append(c)
            elif c[0] - 3 <= merged[2] and merged[0] <= c[2] + 3 and c[1] - 3 <= merged[3]:
                merged = [min(c[0], merged[0]), min(c[1], merged[1]), max(c[2], merged[2]),
                          max(c[3], merged[3]), c[4] + merged[4], c[5] + merged[5]]
            else:
                keep.append(c)
        active = keep + [merged]
    return [(c[0] - 3, c[1] - 3, c[2] + 3, c[3] + 3) for c in closed + active
            if c[4] >= 3 and c[5] >= 3]


def _rule_segments(page: pymupdf.Page) -> list[tuple[Box, bool]]:
    """Axis-parallel lines drawn on the page (rectangles give their four edges), flagged
    horizontal or vertical."""
    out: list[tuple[Box, bool]] = []
    for path in page.get_cdrawings():
        for item in path["items"]:
            op = item[0]
            if op == "l":
                (ax, ay), (bx, by) = item[1], item[2]
                box = (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
            elif op == "re":
                box = item[1]
            elif op == "qu":
                xs = [pt[0] for pt in item[1]]
                ys = [pt[1] for pt in item[1]]
                box = (min(xs), min(ys), max(xs), max(ys))
            else:
                continue
            width, height = box[2] - box[0], box[3] - box[1]
            if height < 3 and width > 5:
                out.append((box, True))
            elif width < 3 and height > 5:
                out.append((box, False))
            elif op != "l" and width > 5 and height > 5:
                x0, y0, x1, y1 = box
                out += [((x0, y0, x1, y0), True), ((x0, y1, x1, y1), True),
                        ((x0, y0, x0, y1), False), ((x1, y0, x1, y1), False)]
    return out


# --- extraction -----------------------------------------------------------------------------

def find_tables(page: pymupdf.Page, regions: list[Box], lines: list[Line]
                ) -> tuple[list[PageTable], set[int]]:
    """Tables on the page, and the indices of lines they consume (cells, caption, unit)."""
    found: list[PageTable] = []
    consumed: set[int] = set()
    for region in regions:
        finder = page.find_tables(clip=pymupdf.Rect(region))
        for candidate in finder.tables if finder is not None else []:  # None: it failed
            table = _table(page, candidate, lines, consumed)
            if table is not None:
                found.append(table[0])
                consumed |= table[1]
    found.sort(key=lambda t: t.bbox[1])
    return found, consumed


def _table(page: pymupdf.Page, candidate: Any, lines: list[Line], taken: set[int]
           ) -> tuple[PageTable, set[int]] | None:
    cells = [[_cell_text(c) for c in row] for row in candidate.extract()]
    if len(cells) < 2 or max((len(r) for r in cells), default=0) < 2:
        return None  # a framed paragraph, not a table: keep its text as text
    bbox = tuple(candidate.bbox)
    inside = {i for i, ln in enumerate(lines) if _inside(ln, bbox)}
    merges = _merges([row.cells for row in candidate.rows])
    header_rows = max((rs for r, _, rs, _ in merges if r == 0), default=1)
    header_rows = min(header_rows, len(cells) - 1)
    caption, unit, used = _caption_and_unit(lines, bbox, inside | taken)
    table = Table(caption=caption, header=cells[:header_rows], rows=cells[header_rows:],
                  unit=unit, merges=merges, pages=[page.number + 1],
                  row_pages=[page.number + 1] * (len(cells) - header_rows))
    return PageTable(table, bbox), inside | used


def _cell_text(text: str | None) -> str | None:
    if text is None:
        return None
    out = ""
    for part in text.split("\n"):
        out = join_wrapped(out, clean_text(part).strip())
    return out


def _inside(line: Line, bbox: Box) -> bool:
    cx, cy = (line.x0 + line.x1) / 2, line.center_y
    return bbox[0] - 1 <= cx <= bbox[2] + 1 and bbox[1] - 1 <= cy <= bbox[3] + 1


def _merges(grid: list[list[Any]]) -> list[tuple[int, int, int, int]]:
    """(row, col, rowspan, colspan) for every cell spanning more than one grid slot.

    PyMuPDF gives each row's cell boxes with None where a merged cell covers the slot; the
    merged cell's box tells how many column and row boundaries it spans."""
    xs = sorted({round(c[0], 1) for row in grid for c in row if c is not None})
    ys = sorted({round(c[1], 1) for row in grid for c in row if c is not None})
    out: list[tuple[int, int, int, int]] = []
    for r, row in enumerate(grid):
        for c, box in enumerate(row):
            if box is None:
                continue
            colspan = sum(1 for x in xs if box[0] - 0.5 <= x < box[2] - 0.5)
            rowspan = sum(1 for y in ys if box[1] - 0.5 <= y < box[3] - 0.5)
            colspan = max(1, min(colspan, len(row) - c))
            rowspan = max(1, min(rowspan, len(grid) - r))
            if colspan > 1 or rowspan > 1:
                out.append((r, c, rowspan, colspan))
    return out


def _caption_and_unit(lines: list[Line], bbox: Box,
                      taken: set[int]) -> tuple[str | None, str | None, set[int]]:
    """The 表 caption just above the table and a 单位 line between it and the table."""
    top = bbox[1]
    above = [(i, ln) for i, ln in enumerate(lines)
             if i not in taken and ln.y1 <= top + 2 and ln.y1 >= top - 4 * ln.size - 12
             and ln.x1 >= bbox[0] - 20 and ln.x0 <= bbox[2] + 20]
    caption_at = next((k for k in range(len(above) - 1, -1, -1)
                       if _CAPTION.match(above[k][1].text)), None)
    used: set[int] = set()
    caption = unit = None
    floor = top - 4 * 12 - 12
    if caption_at is not None:
        index, line = above[caption_at]
        caption, floor = line.text, line.y0 - 2
        used.add(index)
        match = _UNIT.search(line.text)
        unit = match.group(1) if match else None
    for index, line in above:
        if index in used or line.y0 < floor:
            continue
        match = _UNIT.match(line.text) if unit is None else None
        if match:
            unit = match.group(1)
            used.add(index)
    return caption, unit, used


# --- continuation across pages --------------------------------------------------------------

def continues_table(prev: Table, nxt: Table) -> bool:
    if nxt.caption and not _CONTINUED_CAPTION.match(nxt.caption):
        return False
    return prev.n_columns == nxt.n_columns


def merge_tables(first: Table, nxt: Table, page: int) -> None:
    """Append a continuation's rows, dropping its repeat of the header."""
    rows = nxt.header + nxt.rows
    skip = 0
    if first.header and [_norm_row(r) for r in rows[:len(first.header)]] == \
            [_norm_row(r) for r in first.header]:
        skip = len(first.header)
    offset = len(first.header) + len(first.rows) - skip
    first.rows.extend(rows[skip:])
    first.row_pages.extend([page] * len(rows[skip:]))
    first.merges.extend((r + offset, c, rs, cs) for r, c, rs, cs in nxt.merges if r >= skip)
    if nxt.unit and not first.unit:
        first.unit = nxt.unit
    first.pages.append(page)


def _norm_row(row: list[str | None]) -> list[str]:
    return [re.sub(r"\s+", "", c or "") for c in row]
