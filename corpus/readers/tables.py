"""Building `Table`s from a grid of cells, shared by the DOCX, HTML, CSV and XLSX readers:
padding, header-row depth, and the caption ("表1 …") and unit ("单位：…") around a table.

Table coordinates: `Table.merges` rows count header rows first, then body rows (the row index
in `header + rows`), columns from 0. A merged cell's text sits at its top-left cell; the cells it
covers hold None. Empty cells are "".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from corpus.model import Table
from corpus.readers.base import Block, BlockKind

Grid = list[list[str | None]]
Merge = tuple[int, int, int, int]  # row, col, rowspan, colspan

# "表1 …", "表 3.2.1 …", "表A.0.1 …", "附表2 …", "表一 …" — but not a sentence such as "表决通过".
_CAPTION = re.compile(r"^\s*附?表\s*[0-9０-９A-Za-z一二三四五六七八九十〇零]+(?:[.．\-－—][0-9A-Za-z]+)*"
                      r"(?:\s|[:：、]|$|(?=[^\s0-9A-Za-z]))")
_UNIT = re.compile(r"单位\s*[：:]\s*([^）)\n]+?)\s*(?:[）)]|$)")
_UNIT_LINE = re.compile(r"^\s*[（(]?\s*单位\s*[：:]")
_MAX_CAPTION_CHARS = 80


def is_caption(text: str) -> bool:
    text = text.strip()
    return (bool(_CAPTION.match(text)) and len(text) <= _MAX_CAPTION_CHARS
            and not text.endswith(("。", "；", ";")))


def is_unit_line(text: str) -> bool:
    return bool(_UNIT_LINE.match(text)) and len(text.strip()) <= 40


def unit_of(text: str | None) -> str | None:
    match = _UNIT.search(text or "")
    return match.group(1).strip() if match else None


def attach_caption(blocks: list[Block], table: Table) -> None:
    """Move the caption ("表1 …") and unit ("单位：…") paragraphs that precede a table into
    the table, removing them from `blocks` so their text is not emitted twice."""
    if blocks and blocks[-1].kind is BlockKind.PARAGRAPH and is_unit_line(blocks[-1].text):
        table.unit = table.unit or unit_of(blocks.pop().text)
    if table.caption is None and blocks and blocks[-1].kind is BlockKind.PARAGRAPH \
            and is_caption(blocks[-1].text):
        table.caption = blocks.pop().text.strip()
    if table.unit is None:
        table.unit = unit_of(table.caption)


def header_depth(n_rows: int, merges: Iterable[Merge], initial: int = 1) -> int:
    """How many leading rows form the header.

    Starts from `initial` (rows the format marks as header) and grows for two-level headers:
    a header row holding a group cell spanning several columns (whose sub-headings are in the
    next row) and a cell merged down into that next row.
    """
    merges = list(merges)
    depth = max(1, min(initial, n_rows - 1 if n_rows > 1 else n_rows))
    while depth < n_rows - 1:
        grouped = any(r < depth and r + rs == depth and cs > 1 for r, c, rs, cs in merges)
        continued = any(r < depth < r + rs for r, c, rs, cs in merges)
        if not (grouped and continued):
            break
        depth += 1
    return depth


def make_table(grid: Grid, merges: list[Merge], n_header: int, caption: str | None = None,
               unit: str | None = None) -> Table:
    width = max((len(row) for row in grid), default=0)
    padded = [row + [""] * (width - len(row)) for row in grid]
    return Table(caption=caption, header=padded[:n_header], rows=padded[n_header:], unit=unit,
                 merges=sorted(merges))


def table_block(table: Table) -> Block:
    return Block(BlockKind.TABLE, table.to_text(), table=table)
