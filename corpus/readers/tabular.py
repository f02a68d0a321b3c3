"""CSV and XLSX readers: a delimited text file, or each sheet of a workbook, as one table.

Blank rows and columns around the data are trimmed; XLSX merged ranges are kept (see
`corpus.readers.tables` for the coordinates) and cell values rendered as a reader sees them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import zipfile
from pathlib import Path

from lxml import etree

from corpus.errors import IngestError
from corpus.model import Table
from corpus.readers.base import Block, Extracted, Progress, content_hash, title_from_filename
from corpus.readers.encoding import decode_text
from corpus.readers.extracted_text import assign_offsets, refuse_blank, require_text
from corpus.readers.ooxml import OoxmlReader
from corpus.readers.tables import Grid, Merge, header_depth, make_table, table_block


# ---------------------------------------------------------------- CSV

_SNIFF_CHARS = 64 * 1024
_DELIMITERS = ",\t;|"  # not "，": Chinese prose is full of it


class CsvReader:
    source_kind = "csv"

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        refuse_blank(data, path)
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


def _table_is_blank(grid: Grid) -> bool:
    return not any(cell for row in grid for cell in row)


def _trim_grid(grid: Grid) -> Grid:
    """Drop blank rows and trailing blank columns (CSV has no merges to keep aligned)."""
    rows = [row for row in grid if any(cell for cell in row)]
    width = max((i + 1 for row in rows for i, cell in enumerate(row) if cell), default=0)
    return [row[:width] for row in rows]


# ---------------------------------------------------------------- XLSX

_SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


class XlsxReader(OoxmlReader):
    source_kind = "xlsx"
    label = "XLSX"
    required_member = "xl/workbook.xml"

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        self.check(path, data)
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
