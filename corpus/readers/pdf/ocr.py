"""Scanned pages: telling them apart, and reading them with RapidOCR.

RapidOCR is an optional dependency (`guihua[ocr]`). A page goes through it when it has (almost)
no text but a page-sized image, or when its text layer is unmappable glyph codes.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

import pymupdf

from corpus.errors import IngestError
from corpus.readers.pdf.layout import Line
from corpus.readers.pdf.lines import append_to_row, clean_text

_SCAN_MAX_CHARS = 20  # a scan may carry a stamp or page number as real text
_SCAN_MIN_IMAGE_COVER = 0.5
_GARBLED_RATIO = 0.3
_OCR_MAX_SIDE_PX = 4000


# --- the engine: optional, created once per process -----------------------------------------

def ocr_available() -> bool:
    """Whether RapidOCR can be imported (tests monkeypatch this to simulate its absence)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def require_ocr(source: str, ocr_pages: list[int]) -> None:
    """Raise, naming the scanned pages, unless OCR is installed."""
    if not ocr_available():
        ranges = _page_ranges(ocr_pages)
        raise IngestError(
            source, f"第 {'、'.join(ranges)} 页是扫描图像，需要文字识别（OCR），但未安装 OCR 组件",
            f"page(s) {', '.join(ranges)} are scanned images and need OCR, which is not "
            "installed",
            "安装 OCR 组件后重试 / install it and retry: pip install 'guihua[ocr]' "
            "(rapidocr-onnxruntime)")


def _page_ranges(numbers: list[int]) -> list[str]:
    """[1, 2, 3, 7] → ['1-3', '7']: a scanned book must not produce a 300-number message."""
    ranges: list[list[int]] = []
    for n in numbers:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return [str(a) if a == b else f"{a}-{b}" for a, b in ranges]


_ENGINE: Any = None
_ENGINE_LOCK = threading.Lock()


def ocr_engine() -> Any:
    global _ENGINE
    with _ENGINE_LOCK:  # model loading takes a second or two; never do it twice
        if _ENGINE is None:
            from rapidocr_onnxruntime import RapidOCR
            _ENGINE = RapidOCR()
        return _ENGINE


# --- scanned-page detection -----------------------------------------------------------------

def is_scanned(page: pymupdf.Page, lines: list[Line]) -> bool:
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


# --- recognition ----------------------------------------------------------------------------

def ocr_lines(engine: Any, doc: pymupdf.Document, index: int, dpi: int) -> list[Line]:
    """Page `index` rendered and recognised, as visual lines in PDF points."""
    import numpy as np  # a dependency of rapidocr

    page = doc[index]
    longest_in = max(page.rect.width, page.rect.height) / 72
    dpi = max(72, min(dpi, int(_OCR_MAX_SIDE_PX / longest_in)))  # A0 drawings: cap the pixels
    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    image = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
    image = np.ascontiguousarray(image[:, : pix.width])
    result, _ = engine(image)
    scale = page.rect.width / pix.width  # pixels back to PDF points
    boxes: list[Line] = []
    for points, text, _score in result or []:
        text = clean_text(str(text)).strip()
        if not text:
            continue
        xs = [p[0] * scale for p in points]
        ys = [p[1] * scale for p in points]
        height = max(ys) - min(ys)
        # A detection box is about 1.3 times the glyph size; `size` drives layout tolerances.
        boxes.append(Line(text, min(xs), min(ys), max(xs), max(ys), height / 1.3, 0))
    return _ocr_rows(boxes)


def _ocr_rows(boxes: list[Line]) -> list[Line]:
    """Group OCR boxes into visual lines, top to bottom, then left to right within a row."""
    rows: list[list[Line]] = []
    for box in sorted(boxes, key=lambda b: b.center_y):
        row = rows[-1] if rows else None
        if row and abs(box.center_y - row[0].center_y) < 0.5 * (row[0].y1 - row[0].y0):
            row.append(box)
        else:
            rows.append([box])
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda b: b.x0)
        line = row[0]
        for box in row[1:]:
            append_to_row(line, box)
        lines.append(line)
    return lines
