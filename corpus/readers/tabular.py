"""CSV and XLSX readers, plus the table helpers the DOCX and HTML readers share.

Table coordinates: `Table.merges` rows count header rows first, then body rows (the row index
in `header + rows`), columns from 0. A merged cell's text sits at its top-left cell; the cells it
covers hold None. Empty cells are "".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from corpus.errors import IngestError
from corpus.model import Table
from corpus.readers.base import (Block, BlockKind, Extracted, Progress, content_hash,
                                 title_from_filename)
from corpus.readers.encoding import decode_text
from corpus.readers.ziplimits import DEFAULT_MAX_TOTAL_BYTES, check_office_zip

Grid = list[list[str | None]]
Merge = tuple[int, int, int, int]

# ---------------------------------------------------------------- shared helpers

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


def _table_is_blank(grid: Grid) -> bool:
    return not any(cell for row in grid for cell in row)


# ---------------------------------------------------------------- CSV

_SNIFF_CHARS = 64 * 1024
_DELIMITERS = ",\t;|"  # not "，": Chinese prose is full of it


class CsvReader:
    source_kind = "csv"

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        if not data.strip():
            require_text([], path)
        text, encoding = decode_text(data, str(path))
        delimiter = _sniff_delimiter(text)
        grid = _trim_grid(self._rows(text, delimiter, path))
        if _table_is_blank(grid):
            require_text([], path)
        title, file_date = title_from_filename(path)
        table = make_table(grid, [], 1, caption=path.stem)
        blocks = [table_block(table)]
        assign_offsets(blocks)
        progress(1, 1, path.name)
        return Extracted(source=path, source_kind=self.source_kind, blocks=blocks,
                         content_hash=content_hash(data), title_hint=title,
                         meta={"encoding": encoding, "delimiter": delimiter,
                               "file_date": file_date})

    @staticmethod
    def _rows(text: str, delimiter: str, path: Path) -> Grid:
        try:
            return [[cell.strip() for cell in row]
                    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
        except csv.Error as exc:
            raise IngestError(str(path), f"CSV 文件格式错误：{exc}", f"malformed CSV: {exc}",
                              "请用 Excel 或 WPS 打开后另存为 CSV / re-save the file as CSV"
                              ) from exc


def _sniff_delimiter(text: str) -> str:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut-off last line confuses the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _trim_grid(grid: Grid) -> Grid:
    """Drop blank rows and trailing blank columns (CSV has no merges to keep aligned)."""
    rows = [row for row in grid if any(cell for cell in row)]
    width = max((i + 1 for row in rows for i, cell in enumerate(row) if cell), default=0)
    return [row[:width] for row in rows]


# ---------------------------------------------------------------- XLSX

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


class XlsxReader:
    source_kind = "xlsx"

    def __init__(self, max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES) -> None:
        self.max_total_bytes = max_total_bytes

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        if not data.strip():  # a 0-byte file ("new document" never saved) has no text
            require_text([], path)
        check_office_zip(data, str(path), label="XLSX", required_member="xl/workbook.xml",
                         max_total_bytes=self.max_total_bytes)
        blocks: list[Block] = []
        sheets: list[str] = []
        try:
            self._read_sheets(path, data, progress, blocks, sheets)
        except IngestError:
            raise
        except (KeyError, ValueError, TypeError, IndexError, OSError, EOFError,
                zipfile.BadZipFile, etree.LxmlError) as exc:
            raise _corrupt_xlsx(path, exc) from exc
        require_text(blocks, path)
        assign_offsets(blocks)
        title, file_date = title_from_filename(path)
        return Extracted(source=path, source_kind=self.source_kind, blocks=blocks,
                         content_hash=content_hash(data), title_hint=title,
                         meta={"sheets": sheets, "file_date": file_date})

    def _read_sheets(self, path: Path, data: bytes, progress: Progress, blocks: list[Block],
                     sheets: list[str]) -> None:
        import openpyxl  # deferred: only XLSX ingestion pays for the import
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            # read_only streams rows instead of building every cell object in memory.
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except InvalidFileException as exc:
            raise _corrupt_xlsx(path, exc) from exc
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                worksheets = book.worksheets
                for index, sheet in enumerate(worksheets, start=1):
                    progress(index - 1, len(worksheets), sheet.title)
                    table = _sheet_table(sheet, archive, f"{path.stem} / {sheet.title}")
                    if table is not None:
                        blocks.append(table_block(table))
                        sheets.append(sheet.title)
                progress(len(worksheets), len(worksheets), "done")
        finally:
            book.close()


def _corrupt_xlsx(path: Path, exc: Exception) -> IngestError:
    return IngestError(str(path), f"XLSX 文件已损坏或无法解析（{exc}）",
                       f"the XLSX file is corrupt or cannot be parsed ({exc})",
                       "请用 Excel 或 WPS 打开并另存为 XLSX 后重试 / open and re-save the file")


def _sheet_table(sheet, archive: zipfile.ZipFile, caption: str) -> Table | None:
    # Some writers record a wrong <dimension>; without it openpyxl yields only the real rows.
    sheet.reset_dimensions()
    grid: Grid = [[render_cell(cell.value, getattr(cell, "number_format", None) or "")
                   for cell in row] for row in sheet.iter_rows()]
    box = _content_box(grid)
    if box is None:
        return None
    top, left, bottom, right = box
    merges = _clip_merges(_sheet_merges(sheet, archive), box)
    grid = [row[left:right + 1] + [""] * max(0, right + 1 - max(left, len(row)))
            for row in grid[top:bottom + 1]]
    for r, c, rs, cs in merges:
        for rr in range(r, r + rs):
            for cc in range(c, c + cs):
                if (rr, cc) != (r, c):
                    grid[rr][cc] = None
    return make_table(grid, merges, header_depth(len(grid), merges), caption=caption)


def _content_box(grid: Grid) -> tuple[int, int, int, int] | None:
    """(top, left, bottom, right) of the non-empty cells, 0-based inclusive."""
    cells = [(r, c) for r, row in enumerate(grid) for c, value in enumerate(row) if value]
    if not cells:
        return None
    rows = [r for r, _ in cells]
    cols = [c for _, c in cells]
    return min(rows), min(cols), max(rows), max(cols)


def _sheet_merges(sheet, archive: zipfile.ZipFile) -> list[Merge]:
    """Merged ranges as 0-based (row, col, rowspan, colspan) in sheet coordinates.

    openpyxl's read-only sheets do not expose merges, so we stream the sheet's XML for its
    <mergeCell ref="A1:B2"/> elements ourselves.
    """
    from openpyxl.utils.cell import range_boundaries

    part = getattr(sheet, "_worksheet_path", None)  # openpyxl 3.1 keeps the part name here
    if not part:
        return []
    merges: list[Merge] = []
    with archive.open(part.lstrip("/")) as stream:
        for _, element in etree.iterparse(stream, events=("end",), resolve_entities=False,
                                          no_network=True):
            if element.tag == f"{{{_SHEET_NS}}}mergeCell":
                ref = element.get("ref") or ""
                if ":" in ref:
                    min_col, min_row, max_col, max_row = range_boundaries(ref)
                    merges.append((min_row - 1, min_col - 1, max_row - min_row + 1,
                                   max_col - min_col + 1))
            elif element.tag == f"{{{_SHEET_NS}}}row":
                element.clear()  # keep memory flat on big sheets
    return merges


def _clip_merges(merges: list[Merge], box: tuple[int, int, int, int]) -> list[Merge]:
    """Shift merges into the trimmed grid, cutting off parts outside it."""
    top, left, bottom, right = box
    out: list[Merge] = []
    for r, c, rs, cs in merges:
        r0, c0 = max(r, top), max(c, left)
        r1, c1 = min(r + rs - 1, bottom), min(c + cs - 1, right)
        if r1 < r0 or c1 < c0 or (r0 == r1 and c0 == c1):
            continue
        out.append((r0 - top, c0 - left, r1 - r0 + 1, c1 - c0 + 1))
    return out


def render_cell(value: object, number_format: str = "") -> str:
    """A cell value as the text a reader sees: 12 not 12.0, 25% for percent formats, ISO
    dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if "%" in number_format and math.isfinite(value):
            return _render_number(value * 100) + "%"
        return _render_number(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value).strip()


def _render_number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{value:.15g}"  # Excel keeps 15 significant digits; more shows float noise
