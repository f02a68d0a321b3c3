"""The PDF reader itself: open and validate the file, run each page through the stages, report
progress, and package the result as `Extracted`.

Opening refuses what cannot be read faithfully: empty, corrupt, truncated, encrypted, page-less
or over-long files. Any failure inside a page becomes an error that names the page.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pymupdf

from corpus.errors import IngestError
from corpus.readers.base import Extracted, Progress, content_hash, title_from_filename
from corpus.readers.pdf.blocks import build_blocks
from corpus.readers.pdf.layout import Page
from corpus.readers.pdf.lines import text_lines
from corpus.readers.pdf.ocr import is_scanned, ocr_engine, ocr_lines, require_ocr
from corpus.readers.pdf.tables import find_tables, table_regions

_T = TypeVar("_T")


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
            pages: list[Page] = []
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

        blocks = build_blocks(pages)
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

    def _extract_page(self, doc: pymupdf.Document, index: int) -> Page:
        page = doc[index]
        rect = page.rect
        out = Page(number=page.number + 1, width=rect.width, height=rect.height)
        lines = text_lines(page)
        if is_scanned(page, lines):
            out.needs_ocr = True
            return out
        regions = table_regions(page) if self.detect_tables else []
        if regions:
            out.tables, consumed = find_tables(page, regions, lines)
            lines = [ln for i, ln in enumerate(lines) if i not in consumed]
        out.lines = lines
        return out

    def _ocr(self, source: str, doc: pymupdf.Document, pages: list[Page], ocr_pages: list[int],
             done: int, total: int, progress: Progress) -> None:
        """Fill the scanned pages' lines by OCR; they are counted done only now."""
        require_ocr(source, ocr_pages)
        engine = _guard(source, ocr_pages[0], ocr_engine)
        for number in ocr_pages:
            pages[number - 1].lines = _guard(source, number, ocr_lines, engine, doc, number - 1,
                                             self.ocr_dpi)
            done += 1
            progress(done, total, "pages")


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
