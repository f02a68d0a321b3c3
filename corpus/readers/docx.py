"""DOCX reader: body paragraphs and tables in document order.

Heading levels follow `Block`'s convention: a "Title"-styled paragraph is level 1, "Heading N"
("标题 N") is level N+1, so a document's title and its first-level chapters never read as one
multi-part title. Text is taken from the XML directly so that tracked insertions count and
deletions, text boxes and field codes do not.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from corpus.errors import IngestError
from corpus.readers.base import (Block, BlockKind, Extracted, Progress, content_hash,
                                 title_from_filename)
from corpus.readers.extracted_text import assign_offsets, require_text
from corpus.readers.ooxml import OoxmlReader
from corpus.readers.tables import (Grid, Merge, attach_caption, header_depth, make_table,
                                   table_block)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _w(tag: str) -> str:
    return f"{{{_W}}}{tag}"


_P, _TBL, _TR, _TC, _SDT = _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("sdt")
# Subtrees whose text is not part of the paragraph as read: deleted revisions, text boxes
# (anchored shapes, and duplicated in mc:Fallback), properties.
_SKIP = {_w("del"), _w("moveFrom"), _w("txbxContent"), _w("pPr"), _w("rPr"),
         f"{{{_MC}}}Fallback"}
_FALSE = {"0", "false", "off"}
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = {"title", "标题"}
_PROGRESS_EVERY = 200


class DocxReader(OoxmlReader):
    source_kind = "docx"
    label = "DOCX"
    required_member = "word/document.xml"

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        self.check(path, data)
        try:
            document = _open(data)
            blocks = _body_blocks(document, progress)
            core_title = (document.core_properties.title or "").strip()
        except (KeyError, ValueError, IndexError, OSError, EOFError,
                zipfile.BadZipFile, zlib.error, etree.LxmlError) as exc:
            raise IngestError(str(path), f"DOCX 文件已损坏或无法解析（{exc}）",
                              f"the DOCX file is corrupt or cannot be parsed ({exc})",
                              "请用 Word 或 WPS 打开并另存为 DOCX 后重试 / open and re-save the file"
                              ) from exc
        require_text(blocks, path)
        assign_offsets(blocks)
        title, file_date = title_from_filename(path)
        return Extracted(source=path, source_kind=self.source_kind, blocks=blocks,
                         content_hash=content_hash(data), title_hint=title,
                         meta={"file_date": file_date, "core_title": core_title or None})


def _open(data: bytes):
    import docx  # deferred: only DOCX ingestion pays for the import
    from docx.opc.exceptions import OpcError

    try:
        return docx.Document(io.BytesIO(data))
    except OpcError as exc:  # not an OPC package / no main document part
        raise ValueError(str(exc)) from exc


def _body_blocks(document, progress: Progress) -> list[Block]:
    from docx.table import Table as DocxTable

    items = list(document.iter_inner_content())
    blocks: list[Block] = []
    for index, item in enumerate(items, start=1):
        if isinstance(item, DocxTable):
            table = _read_table(item._tbl)
            if table is not None:
                attach_caption(blocks, table)
                blocks.append(table_block(table))
        else:
            block = _paragraph_block(item)
            if block is not None:
                blocks.append(block)
        if index % _PROGRESS_EVERY == 0:
            progress(index, len(items), "段落 / paragraphs")
    progress(len(items), len(items), "段落 / paragraphs")
    return blocks


# ---------------------------------------------------------------- paragraphs

def _paragraph_block(paragraph) -> Block | None:
    text = _text_of(paragraph._p).strip()
    if not text:
        return None
    level = _heading_level(paragraph)
    if level:
        return Block(BlockKind.HEADING, text, heading_level=level)
    return Block(BlockKind.PARAGRAPH, text)


def _text_of(element: etree._Element) -> str:
    parts: list[str] = []
    _collect_text(element, parts)
    return "".join(parts)


def _collect_text(element: etree._Element, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == _w("t"):
            parts.append(child.text or "")
        elif tag == _w("tab"):
            parts.append("\t")
        elif tag in (_w("br"), _w("cr")):
            if child.get(_w("type")) != "page":  # a page break is layout, not text
                parts.append("\n")
        elif tag == _w("noBreakHyphen"):
            parts.append("-")
        else:
            _collect_text(child, parts)


def _heading_level(paragraph) -> int:
    style = paragraph.style
    for _ in range(8):  # custom heading styles are usually based on a built-in heading
        if style is None:
            break
        name = (style.name or "").strip()
        if name.lower() in _TITLE_STYLES:
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1)) + 1
        outline = _outline_level(style.element)
        if outline is not None:
            return outline + 2
        style = style.base_style
    outline = _outline_level(paragraph._p)
    return outline + 2 if outline is not None else 0


def _outline_level(element: etree._Element) -> int | None:
    """w:outlineLvl 0–8 marks a heading in the navigation pane; 9 means body text."""
    outline = element.find(f"{_w('pPr')}/{_w('outlineLvl')}")
    value = outline.get(_w("val"), "") if outline is not None else ""
    return int(value) if value.isdigit() and int(value) < 9 else None


# ---------------------------------------------------------------- tables

def _read_table(tbl: etree._Element):
    grid, merges, flagged = _table_grid(tbl)
    if not grid:
        return None
    initial = 1
    while initial < len(flagged) and flagged[initial]:
        initial += 1
    return make_table(grid, merges, header_depth(len(grid), merges, initial))


def _table_grid(tbl: etree._Element) -> tuple[Grid, list[Merge], list[bool]]:
    """Lay the rows out on the table grid: horizontal spans (gridSpan) and vertical merges
    (vMerge restart/continue) become `merges`, covered cells None."""
    grid: Grid = []
    spans: dict[tuple[int, int], list[int]] = {}  # origin → [rowspan, colspan]
    open_vertical: dict[int, tuple[int, int]] = {}  # grid column → origin of a running vMerge
    flagged: list[bool] = []
    for r, tr in enumerate(tr for tr in tbl if tr.tag == _TR):
        row: list[str | None] = [""] * tr.grid_before
        still_open: dict[int, tuple[int, int]] = {}
        for tc in (child for child in tr if child.tag == _TC):
            col, span = len(row), max(1, tc.grid_span)
            origin = open_vertical.get(col)
            if tc.vMerge == "continue" and origin is not None:
                spans[origin][0] = r - origin[0] + 1
                still_open[col] = origin
                row.extend([None] * span)
                continue
            row.append(_cell_text(tc))
            row.extend([None] * (span - 1))
            spans[(r, col)] = [1, span]
            if tc.vMerge == "restart":
                still_open[col] = (r, col)
        open_vertical = still_open
        grid.append(row)
        flagged.append(_is_header_row(tr))
    merges = [(r, c, rs, cs) for (r, c), (rs, cs) in spans.items() if rs > 1 or cs > 1]
    return grid, merges, flagged


def _cell_text(tc: etree._Element) -> str:
    lines: list[str] = []
    _cell_lines(tc, lines)
    return "\n".join(line for line in lines if line)


def _cell_lines(container: etree._Element, lines: list[str]) -> None:
    for child in container:
        if child.tag == _P:
            lines.append(_text_of(child).strip())
        elif child.tag == _TBL:  # a nested table: one line per row, cells tab-separated
            for tr in (c for c in child if c.tag == _TR):
                cells = [_cell_text(tc) for tc in tr if tc.tag == _TC]
                lines.append("\t".join(cells).strip())
        elif child.tag == _SDT:
            for content in child.iterchildren(_w("sdtContent")):
                _cell_lines(content, lines)


def _is_header_row(tr: etree._Element) -> bool:
    """A row Word repeats on each page (tblHeader), or whose text is all bold."""
    repeat = tr.find(f"{_w('trPr')}/{_w('tblHeader')}")
    if repeat is not None and (repeat.get(_w("val")) or "true").lower() not in _FALSE:
        return True
    runs = [run for run in tr.iter(_w("r")) if _text_of(run).strip()]
    return bool(runs) and all(_is_bold(run) for run in runs)


def _is_bold(run: etree._Element) -> bool:
    bold = run.find(f"{_w('rPr')}/{_w('b')}")
    return bold is not None and (bold.get(_w("val")) or "true").lower() not in _FALSE
