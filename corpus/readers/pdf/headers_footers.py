"""Removal of running headers and footers: page numbers, and lines (a standard's code, a
chapter title) repeated in the top or bottom margin of most pages."""

from __future__ import annotations

import re
import statistics

from corpus.readers.pdf.layout import Line, Page

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－‒―\s]*\d{1,4}[-—–－‒―\s]*|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|[-—–－\s]*[ivxlcIVXLC]{1,6}[-—–－\s]*|page\s*\d{1,4}(?:\s*of\s*\d+)?)$",
    re.I)
_MARGIN_ZONE = 0.09  # fraction of the page height where running headers and footers live


def drop_running_lines(pages: list[Page]) -> None:
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


def _in_margin(page: Page, line: Line) -> bool:
    zone = _MARGIN_ZONE * page.height
    return line.y1 <= zone or line.y0 >= page.height - zone


def _running_key(text: str) -> str:
    """Lines that differ only in numbers ("第 3 页", "GB 50137-2011 — 7") count as repeats."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))
