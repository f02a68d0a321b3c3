"""PDF reader: text with page numbers, tables kept as tables, OCR for scanned pages.

The PDF has no paragraphs, only positioned lines, so paragraphs are rebuilt from layout: Chinese
body text is hard-wrapped and justified, so a line that reaches the right margin continues into
the next one, and a short line (or one ending in 。；： followed by an indented line) ends its
paragraph. A line that opens an article or numbered clause (第X条, 4.0.1) always starts a new
paragraph, because the genre parsers key on it. Running headers and footers (page numbers, a
standard's code repeated on every page) are dropped by position and repetition.

Tables are found with PyMuPDF's `find_tables`, which is slow, so it only runs on pages whose
vector drawings contain enough horizontal and vertical rules to form a grid. A table whose rows
continue at the top of the next page (no new caption, or a 续表 caption) is merged into one.

Pages with (almost) no text but a page-sized image are scans and go through RapidOCR, which is an
optional dependency (`guihua[ocr]`); so are pages whose text layer is unmappable glyph codes.
"""

from __future__ import annotations

import importlib.util
import re
import statistics
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pymupdf

from corpus.errors import IngestError
from corpus.model import Table
from corpus.numerals import CN_NUMBER
from corpus.readers.base import (Block, BlockKind, Extracted, Progress, content_hash,
                                 title_from_filename)

if hasattr(pymupdf, "no_recommend_layout"):
    # find_tables otherwise prints an advertisement to stdout, which would corrupt CLI output.
    pymupdf.no_recommend_layout()

_T = TypeVar("_T")
_Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, y downwards
_TEXT_FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES  # image bytes are slow

# --- line classification -------------------------------------------------------------------
_WS = "\\s\u3000"
_ARTICLE = re.compile(rf"^第[{CN_NUMBER}0-9]+(?:条|章|节|编|分编)(?:之[{CN_NUMBER}]+)?")
_ARTICLE_STRONG = re.compile(_ARTICLE.pattern + rf"(?:[{_WS}]|$)")
# 4.0.1 / A.0.1 always open a clause; a one-dot 3.2 might be a wrapped quantity ("3.5 公顷"), so
# it only counts where the previous line ended its paragraph anyway. "3.2.1 条" is a reference.
_CLAUSE = re.compile(rf"^(?:[A-Z]|\d{{1,2}})(?:\.\d{{1,3}}){{2,4}}(?:[{_WS}]+(?![条款项])|$)")
_SECTION = re.compile(rf"^(?:[A-Z]|\d{{1,2}})\.\d{{1,3}}(?:[{_WS}]|$)")
_APPENDIX = re.compile(rf"^附录[{_WS}]*[A-Z](?:[{_WS}]|$)")
_CHAPTER_NUMBER = re.compile(rf"^\d{{1,2}}[{_WS}]+[\u4e00-\u9fff]")
_ITEM = re.compile(rf"^(?:[（(][{CN_NUMBER}0-9]{{1,4}}[)）]|[{CN_NUMBER}]{{1,3}}、|\d{{1,3}}[、)）])")
_TERMINAL = frozenset("。！？；：!?;:")
_CLOSERS = "”’」』）)"

# --- running headers/footers, tables --------------------------------------------------------
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－‒―\s]*\d{1,4}[-—–－‒―\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|[-—–－\s]*[ivxlcIVXLC]{1,6}[-—–－\s]*|page\s*\d{1,4}(?:\s*of\s*\d+)?)$",
    re.I)
_MARGIN_ZONE = 0.09  # fraction of the page height where running headers and footers live
_CAPTION = re.compile(r"^(?:续|附)?表[\s\u3000]*(?:[A-Z]|\d|[一二三四五六七八九十])")
_CONTINUED_CAPTION = re.compile(r"^续表")
_UNIT = re.compile(r"[（(]?\s*单位\s*[:：]\s*([^（()）]+?)\s*[)）]?\s*$")

# --- scanned pages ------------------------------------------------------------------------
_SCAN_MAX_CHARS = 20  # a scan may carry a stamp or page number as real text
_SCAN_MIN_IMAGE_COVER = 0.5
_GARBLED_RATIO = 0.3
_OCR_MAX_SIDE_PX = 4000

# Kangxi radicals and compatibility ideographs are what many Chinese PDF fonts map their glyphs
# to; they look identical but defeat search, so fold them (only them) to the unified ideographs.
_CJK_FOLD = {cp: unicodedata.normalize("NFKC", chr(cp))
             for cp in [*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00), *range(0x2F800, 0x2FA20)]
             if len(unicodedata.normalize("NFKC", chr(cp))) == 1
             and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)}
_CJK_FOLD.update({cp: None for cp in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
                                      0xAD]})


# --- OCR engine: optional, created once per process -------------------------------------------

def ocr_available() -> bool:
    """Whether RapidOCR can be imported (tests monkeypatch this to simulate its absence)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()


def _ocr_engine() -> Any:
    global _ENGINE
    with _ENGINE_LOCK:  # model loading takes a second or two; never do it twice
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR
            _ENGINE = RapidOCR()
        return _ENGINE


# --- intermediate layout objects ------------------------------------------------------------

@dataclass(slots=True)
class _Line:
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
class _PageTable:
    table: Table
    bbox: _Box


@dataclass(slots=True)
class _Para:
    lines: list[_Line]
    page: int
    page_end: int


@dataclass(slots=True)
class _Page:
    number: int
    width: float
    height: float
    lines: list[_Line] = field(default_factory=list)
    tables: list[_PageTable] = field(default_factory=list)
    needs_ocr: bool = False
    left: float = 0.0
    right: float = 0.0


# --- the reader -----------------------------------------------------------------------------

class PdfReader:
    source_kind = "pdf"

    def __init__(self, max_pages: int = 5000, ocr_dpi: int = 200, detect_tables: bool = True
                 ) -> None:
        self.max_pages = max_pages
        self.ocr_dpi = ocr_dpi
        self.detect_tables = detect_tables

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        source = str(path)
        doc = _open(source, data, self.max_pages)
        try:
            total = doc.page_count
            pages: list[_Page] = []
            done = 0
            for index in range(total):
                page = _guard(source, index + 1, self._extract_page, doc, index)
                pages.append(page)
                if not page.needs_ocr:
                    done += 1
                    progress(done, total, "pages")
            ocr_pages = [p.number for p in pages if p.needs_ocr]
            if ocr_pages:
                self._ocr(source, doc, pages, ocr_pages, done, total, progress)
            pdf_title = (doc.metadata or {}).get("title") or None
        finally:
            doc.close()

        blocks = _build_blocks(pages)
        if not any(b.text.strip() for b in blocks):
            raise IngestError(source, "PDF 中没有可读的文字", "the PDF has no readable text",
                              "请确认文件内容；若为图片请检查扫描质量 / check the file; if it is "
                              "a scan, check the image quality")
        title, file_date = title_from_filename(path)
        meta: dict = {"file_date": file_date, "ocr_pages": ocr_pages}
        if pdf_title and pdf_title.strip():
            meta["pdf_title"] = pdf_title.strip()
        return Extracted(source=path, source_kind=self.source_kind, blocks=blocks,
                         content_hash=content_hash(data), title_hint=title, pages=total,
                         meta=meta)

    # -- one page --------------------------------------------------------------------------

    def _extract_page(self, doc: pymupdf.Document, index: int) -> _Page:
        page = doc[index]
        rect = page.rect
        out = _Page(number=page.number + 1, width=rect.width, height=rect.height)
        lines = _text_lines(page)
        if _is_scanned(page, lines):
            out.needs_ocr = True
            return out
        regions = _table_regions(page) if self.detect_tables else []
        if regions:
            out.tables, consumed = _find_tables(page, regions, lines)
            lines = [ln for i, ln in enumerate(lines) if i not in consumed]
        out.lines = lines
        return out

    def _ocr(self, source: str, doc: pymupdf.Document, pages: list[_Page], ocr_pages: list[int],
             done: int, total: int, progress: Progress) -> None:
        if not ocr_available():
            ranges = _page_ranges(ocr_pages)
            raise IngestError(
                source, f"第 {'、'.join(ranges)} 页是扫描图像，需要文字识别（OCR），但未安装 OCR 组件",
                f"page(s) {', '.join(ranges)} are scanned images and need OCR, which is not "
                "installed",
                "安装 OCR 组件后重试 / install it and retry: pip install 'guihua[ocr]' "
                "(rapidocr-onnxruntime)")
        engine = _guard(source, ocr_pages[0], _ocr_engine)
        for number in ocr_pages:
            pages[number - 1].lines = _guard(source, number, _ocr_lines, engine, doc, number - 1,
                                             self.ocr_dpi)
            done += 1
            progress(done, total, "pages")


def _page_ranges(numbers: list[int]) -> list[str]:
    """[1, 2, 3, 7] → ['1-3', '7']: a scanned book must not produce a 300-number message."""
    ranges: list[list[int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return [str(a) if a == b else f"{a}-{b}" for a, b in ranges]


def _open(source: str, data: bytes, max_pages: int) -> pymupdf.Document:
    if not data:
        raise IngestError(source, "文件为空（0 字节）", "the file is empty (0 bytes)",
                          "请重新获取该文件 / obtain the file again")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF raises FileDataError, RuntimeError and friends
        if _looks_truncated(data):
            raise _truncated(source) from exc
        raise IngestError(source, "无法打开 PDF：文件已损坏或不是 PDF",
                          f"cannot open the PDF: the file is corrupt or not a PDF ({exc})",
                          "请用 PDF 阅读器确认文件能否打开，或重新下载 / check that a PDF viewer "
                          "opens it, or download it again") from exc
    if doc.needs_pass:
        doc.close()
        raise IngestError(source, "PDF 已加密，需要密码才能打开", "the PDF is password-protected",
                          "请用 PDF 工具去除密码后重新导入 / remove the password (e.g. print to "
                          "a new PDF) and ingest again")
    # MuPDF silently repairs a cut-off file and returns what survived; a legal text with its
    # tail missing is worse than no text, so refuse it.
    if getattr(doc, "is_repaired", False) and _looks_truncated(data):
        doc.close()
        raise _truncated(source)
    if doc.page_count == 0:
        doc.close()
        raise IngestError(source, "PDF 没有任何页面", "the PDF has zero pages",
                          "请检查文件是否为完整的文档 / check that the file is the full document")
    if doc.page_count > max_pages:
        count = doc.page_count
        doc.close()
        raise IngestError(source, f"PDF 共 {count} 页，超过上限 {max_pages} 页",
                          f"the PDF has {count} pages, more than the limit of {max_pages}",
                          "请拆分文件或调高页数上限 / split the file or raise the page limit")
    return doc


def _looks_truncated(data: bytes) -> bool:
    """A PDF header but no end-of-file marker near the end: the file was cut off."""
    return data.lstrip()[:5] == b"%PDF-" and b"%%EOF" not in data[-2048:]


def _truncated(source: str) -> IngestError:
    return IngestError(source, "PDF 文件不完整（可能下载或复制中断）",
                       "the PDF is truncated (an interrupted download or copy?)",
                       "请重新下载该文件 / download the file again")


def _guard(source: str, page: int, work: Callable[..., _T], *args: Any) -> _T:
    """Run one page's work, turning MuPDF/OCR failures into an error that names the page."""
    try:
        return work(*args)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(source, f"第 {page} 页无法解析", f"page {page} could not be read: {exc}",
                          "请用 PDF 阅读器检查该页，或另存为新 PDF 后重试 / check the page in a "
                          "PDF viewer, or re-save the PDF and retry") from exc


# --- text lines -----------------------------------------------------------------------------

def _clean(text: str) -> str:
    return text.translate(_CJK_FOLD)


def _text_lines(page: pymupdf.Page) -> list[_Line]:
    """The page's visual lines in reading order; fragments on one baseline are joined."""
    lines: list[_Line] = []
    content = page.get_text("dict", flags=_TEXT_FLAGS, sort=True)
    for block_no, block in enumerate(content["blocks"]):
        if block.get("type", 0) != 0:
            continue
        for raw in block["lines"]:
            spans = raw["spans"]
            text = _clean("".join(s["text"] for s in spans))
            if not text.strip():
                continue
            size = max(s["size"] for s in spans) or 10.0
            x0, y0, x1, y1 = raw["bbox"]
            line = _Line(text, x0, y0, x1, y1, size, block_no)
            _trim(line)
            if lines and _same_row(lines[-1], line):
                _append_to_row(lines[-1], line)
            else:
                lines.append(line)
    return lines


def _trim(line: _Line) -> None:
    """Strip the text, moving x0/x1 past the stripped blanks so indentation stays measurable."""
    lead = len(line.text) - len(line.text.lstrip())
    trail = len(line.text) - len(line.text.rstrip())
    if lead or trail:
        widths = [line.size if ch == "\u3000" else line.size / 2 for ch in line.text]
        line.x0 += sum(widths[:lead])
        line.x1 -= sum(widths[len(widths) - trail:]) if trail else 0.0
        line.text = line.text.strip()


def _same_row(prev: _Line, line: _Line) -> bool:
    overlap = min(prev.y1, line.y1) - max(prev.y0, line.y0)
    height = min(prev.y1 - prev.y0, line.y1 - line.y0)
    return height > 0 and overlap >= 0.6 * height and line.x0 >= prev.x1 - 2


def _append_to_row(prev: _Line, line: _Line) -> None:
    gap = line.x0 - prev.x1
    prev.text += (" " if gap > 0.4 * max(prev.size, line.size) else "") + line.text
    prev.x1 = line.x1
    prev.y0, prev.y1 = min(prev.y0, line.y0), max(prev.y1, line.y1)
    prev.size = max(prev.size, line.size)


def _join(left: str, right: str) -> str:
    """Join hard-wrapped lines: nothing between CJK or inside a number, a space between two
    Latin words (Latin text only wraps at spaces)."""
    if left and right:
        a, b = left[-1], right[0]
        if a.isascii() and b.isascii() and a.isalnum() and b.isalnum() \
                and not (a.isdigit() and b.isdigit()):
            return f"{left} {right}"
    return left + right


# --- scanned pages and OCR ------------------------------------------------------------------

def _is_scanned(page: pymupdf.Page, lines: list[_Line]) -> bool:
    text = "".join(ln.text for ln in lines)
    visible = sum(1 for ch in text if not ch.isspace())
    if visible and _garbled(text) >= _GARBLED_RATIO:
        return True  # the glyphs render fine but their codes mean nothing: read the picture
    if visible > _SCAN_MAX_CHARS:
        return False
    area = page.rect.width * page.rect.height
    if area <= 0:
        return False
    covered = 0.0
    for info in page.get_image_info():
        box = pymupdf.Rect(info["bbox"]) & page.rect
        if not box.is_empty:
            covered += box.width * box.height
    return covered / area >= _SCAN_MIN_IMAGE_COVER


def _garbled(text: str) -> float:
    chars = [ch for ch in text if not ch.isspace()]
    bad = sum(1 for ch in chars if ch == "\ufffd" or 0xE000 <= ord(ch) <= 0xF8FF)
    return bad / len(chars) if chars else 0.0


def _ocr_lines(engine: Any, doc: pymupdf.Document, index: int, dpi: int) -> list[_Line]:
    import numpy as np  # a dependency of rapidocr

    page = doc[index]
    longest_in = max(page.rect.width, page.rect.height) / 72
    dpi = max(72, min(dpi, int(_OCR_MAX_SIDE_PX / longest_in)))  # A0 drawings: cap the pixels
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
    image = np.ascontiguousarray(image[:, : pix.width])
    result, _ = engine(image)
    scale = page.rect.width / pix.width  # pixels back to PDF points
    boxes: list[_Line] = []
    for points, text, _score in result or []:
        text = _clean(str(text)).strip()
        if not text:
            continue
        xs = [p[0] * scale for p in points]
        ys = [p[1] * scale for p in points]
        height = max(ys) - min(ys)
        # A detection box is about 1.3 times the glyph size; `size` drives layout tolerances.
        boxes.append(_Line(text, min(xs), min(ys), max(xs), max(ys), height / 1.3, 0))
    return _ocr_rows(boxes)


def _ocr_rows(boxes: list[_Line]) -> list[_Line]:
    """Group OCR boxes into visual lines, top to bottom, then left to right within a row."""
    rows: list[list[_Line]] = []
    for box in sorted(boxes, key=lambda b: b.center_y):
        row = rows[-1] if rows else None
        if row and abs(box.center_y - row[0].center_y) < 0.5 * (row[0].y1 - row[0].y0):
            row.append(box)
        else:
            rows.append([box])
    lines: list[_Line] = []
    for row in rows:
        row.sort(key=lambda b: b.x0)
        line = row[0]
        for box in row[1:]:
            _append_to_row(line, box)
        lines.append(line)
    return lines


# --- tables ---------------------------------------------------------------------------------

_MAX_SEGMENTS = 4000  # beyond this (maps, drawings) clustering costs more than it saves


def _table_regions(page: pymupdf.Page) -> list[_Box]:
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


def _rule_segments(page: pymupdf.Page) -> list[tuple[_Box, bool]]:
    """Axis-parallel lines drawn on the page (rectangles give their four edges), flagged
    horizontal or vertical."""
    out: list[tuple[_Box, bool]] = []
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


def _find_tables(page: pymupdf.Page, regions: list[_Box], lines: list[_Line]
                 ) -> tuple[list[_PageTable], set[int]]:
    """Tables on the page, and the indices of lines they consume (cells, caption, unit)."""
    found: list[_PageTable] = []
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


def _table(page: pymupdf.Page, candidate: Any, lines: list[_Line], taken: set[int]
           ) -> tuple[_PageTable, set[int]] | None:
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
                  unit=unit, merges=merges, pages=[page.number + 1])
    return _PageTable(table, bbox), inside | used


def _cell_text(text: str | None) -> str | None:
    if text is None:
        return None
    out = ""
    for part in text.split("\n"):
        out = _join(out, _clean(part).strip())
    return out


def _inside(line: _Line, bbox: _Box) -> bool:
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


def _caption_and_unit(lines: list[_Line], bbox: _Box,
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


# --- running headers and footers ------------------------------------------------------------

def _drop_running_lines(pages: list[_Page]) -> None:
    """Remove page numbers and lines repeated in the top/bottom margin on most pages."""
    text_pages = [p for p in pages if p.lines]
    sizes = [ln.size for p in text_pages for ln in p.lines]
    body_size = statistics.median(sizes) if sizes else 0.0
    seen: dict[str, set[int]] = {}
    for page in text_pages:
        for line in page.lines:
            if _in_margin(page, line):
                seen.setdefault(_running_key(line.text), set()).add(page.number)
    needed = max(2, round(0.4 * len(text_pages)))
    for page in text_pages:
        page.lines = [ln for ln in page.lines if not (_in_margin(page, ln) and (
            _PAGE_NUMBER.match(ln.text)
            or (len(seen[_running_key(ln.text)]) >= needed and ln.size <= body_size + 0.5)))]


def _in_margin(page: _Page, line: _Line) -> bool:
    zone = _MARGIN_ZONE * page.height
    return line.y1 <= zone or line.y0 >= page.height - zone


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


# --- paragraphs -----------------------------------------------------------------------------

def _set_geometry(pages: list[_Page]) -> None:
    """Each page's text column (left, right): the median over pages of the same size and parity
    (printed books mirror their margins), so a page of short lines still knows its margin."""
    groups: dict[tuple[int, int, int], list[_Page]] = {}
    for page in pages:
        if page.lines:
            page.left = min(ln.x0 for ln in page.lines)
            page.right = max(ln.x1 for ln in page.lines)
            if not page.needs_ocr:  # a scan's margins are its own
                key = (round(page.width), round(page.height), page.number % 2)
                groups.setdefault(key, []).append(page)
    for group in groups.values():
        dense = [p for p in group if len(p.lines) >= 5] or group
        left = statistics.median(p.left for p in dense)
        right = statistics.median(p.right for p in dense)
        for page in group:
            page.left, page.right = left, right


def _is_full(page: _Page, line: _Line) -> bool:
    return line.x1 >= page.right - 1.5 * line.size


def _is_indented(page: _Page, line: _Line) -> bool:
    return line.x0 > page.left + 1.0 * line.size


def _is_centered(page: _Page, line: _Line) -> bool:
    middle = (page.left + page.right) / 2
    return line.x0 > page.left + 2 * line.size and \
        abs((line.x0 + line.x1) / 2 - middle) < 1.5 * line.size


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS)[-1:] in _TERMINAL


def _strong_start(text: str) -> bool:
    return bool(_ARTICLE_STRONG.match(text) or _CLAUSE.match(text) or _APPENDIX.match(text))


def _weak_start(text: str) -> bool:
    return bool(_ARTICLE.match(text) or _ITEM.match(text) or _CHAPTER_NUMBER.match(text)
                or _SECTION.match(text))


def _continues(page: _Page, prev: _Line, line: _Line, line_gap: float) -> bool:
    """Whether `line` continues the paragraph whose last line is `prev` (same page);
    `line_gap` is the page's usual space between the lines of a paragraph."""
    if _strong_start(line.text):
        return False
    em = max(prev.size, line.size)
    if line.y0 < prev.y0 - 1 or line.y0 - prev.y1 > 1.5 * em:
        return False  # a new column, or paragraph spacing
    if abs(prev.size - line.size) > 1.5:
        return False  # a heading over body text
    if _is_full(page, prev):
        if not _ends_sentence(prev.text):
            return True  # a hard wrap
        # A sentence ending exactly at the margin: the paragraph goes on unless the next line
        # looks like a new one or sits after paragraph spacing.
        return not (_weak_start(line.text) or _is_indented(page, line)
                    or line.y0 - prev.y1 > line_gap + 0.5 * em)
    # A short line ends its paragraph, except in a multi-line centred title.
    return (line.block == prev.block and not _ends_sentence(prev.text)
            and _is_centered(page, prev) and _is_centered(page, line))


def _paragraphs(page: _Page) -> list[_Para]:
    gaps = [b.y0 - a.y1 for a, b in zip(page.lines, page.lines[1:])
            if 0 <= b.y0 - a.y1 <= 1.5 * a.size]
    line_gap = statistics.median(gaps) if gaps else 0.0
    paras: list[_Para] = []
    for line in page.lines:
        if paras and _continues(page, paras[-1].lines[-1], line, line_gap):
            paras[-1].lines.append(line)
        else:
            paras.append(_Para([line], page.number, page.number))
    return paras


def _page_elements(page: _Page) -> list[_Para | _PageTable]:
    """Paragraphs and tables in reading order: each table goes before the first paragraph that
    starts below its top."""
    elements: list[_Para | _PageTable] = list(_paragraphs(page))
    for table in sorted(page.tables, key=lambda t: t.bbox[1]):
        at = next((i for i, e in enumerate(elements)
                   if isinstance(e, _Para) and e.lines[0].y0 > table.bbox[1]), len(elements))
        elements.insert(at, table)
    return elements


def _continues_across(prev_page: _Page, prev: _Para, page: _Page, para: _Para) -> bool:
    last, first = prev.lines[-1], para.lines[0]
    return (_is_full(prev_page, last) and not _ends_sentence(last.text)
            and not _strong_start(first.text) and not _is_indented(page, first)
            and abs(last.size - first.size) <= 1.5)


def _continues_table(prev: Table, nxt: Table) -> bool:
    if nxt.caption and not _CONTINUED_CAPTION.match(nxt.caption):
        return False
    return prev.n_columns == nxt.n_columns


def _merge_tables(first: Table, nxt: Table, page: int) -> None:
    """Append a continuation's rows, dropping its repeat of the header."""
    rows = nxt.header + nxt.rows
    skip = 0
    if first.header and [_norm_row(r) for r in rows[:len(first.header)]] == \
            [_norm_row(r) for r in first.header]:
        skip = len(first.header)
    offset = len(first.header) + len(first.rows) - skip
    first.rows.extend(rows[skip:])
    first.merges.extend((r + offset, c, rs, cs) for r, c, rs, cs in nxt.merges if r >= skip)
    if nxt.unit and not first.unit:
        first.unit = nxt.unit
    first.pages.append(page)


def _norm_row(row: list[str | None]) -> list[str]:
    return [re.sub(r"\s+", "", c or "") for c in row]


def _build_blocks(pages: list[_Page]) -> list[Block]:
    _drop_running_lines(pages)
    _set_geometry(pages)
    items: list[_Para | _PageTable] = []
    for page in pages:
        for k, element in enumerate(_page_elements(page)):
            if k == 0 and items and _last_page(items[-1]) == page.number - 1 \
                    and _stitch(items[-1], pages[page.number - 2], element, page):
                continue
            items.append(element)
    blocks = [_to_block(element) for element in items]
    offset = 0
    for block in blocks:
        block.char_start, block.char_end = offset, offset + len(block.text)
        offset = block.char_end + 1  # blocks are joined with "\n"
    return blocks


def _stitch(prev: _Para | _PageTable, prev_page: _Page, element: _Para | _PageTable,
            page: _Page) -> bool:
    """Fold a page's first element into the previous page's last one when it continues it."""
    if isinstance(prev, _Para) and isinstance(element, _Para):
        if _continues_across(prev_page, prev, page, element):
            prev.lines.extend(element.lines)
            prev.page_end = page.number
            return True
    if isinstance(prev, _PageTable) and isinstance(element, _PageTable):
        if _continues_table(prev.table, element.table):
            _merge_tables(prev.table, element.table, page.number)
            return True
    return False


def _last_page(element: _Para | _PageTable) -> int:
    return element.table.pages[-1] if isinstance(element, _PageTable) else element.page_end


def _to_block(element: _Para | _PageTable) -> Block:
    if isinstance(element, _PageTable):
        table = element.table
        return Block(BlockKind.TABLE, table.to_text(), page=table.pages[0],
                     page_end=table.pages[-1], table=table)
    text = ""
    for line in element.lines:
        text = _join(text, line.text)
    return Block(BlockKind.PARAGRAPH, text, page=element.page, page_end=element.page_end)
