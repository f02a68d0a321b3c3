"""Paragraphs rebuilt from line layout, within a page and across a page break.

Chinese body text is hard-wrapped and justified, so a line that reaches the right margin
continues into the next one, and a short line (or one ending in 。；： followed by an indented
line) ends its paragraph. A line that opens an article or numbered clause (第X条, 4.0.1) always
starts a new paragraph, because the genre parsers key on it.
"""

from __future__ import annotations

import re
import statistics

from corpus.numerals import CN_NUMBER
from corpus.readers.pdf.layout import Line, Page, Para

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


def set_text_columns(pages: list[Page]) -> None:
    """Each page's text column (left, right): the median over pages of the same size and parity
    (printed books mirror their margins), so a page of short lines still knows its margin."""
    groups: dict[tuple[int, int, int], list[Page]] = {}
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


def paragraphs(page: Page) -> list[Para]:
    """The page's lines grouped into paragraphs (needs `set_text_columns` first)."""
    gaps = [b.y0 - a.y1 for a, b in zip(page.lines, page.lines[1:])
            if 0 <= b.y0 - a.y1 <= 1.5 * a.size]
    line_gap = statistics.median(gaps) if gaps else 0.0
    paras: list[Para] = []
    for line in page.lines:
        if paras and _continues(page, paras[-1].lines[-1], line, line_gap):
            paras[-1].lines.append(line)
        else:
            paras.append(Para([line], page.number, page.number))
    return paras


def continues_across(prev_page: Page, prev: Para, page: Page, para: Para) -> bool:
    """Whether `para`, first on `page`, continues `prev`, last on the page before."""
    last, first = prev.lines[-1], para.lines[0]
    return (_is_full(prev_page, last) and not _ends_sentence(last.text)
            and not _strong_start(first.text) and not _is_indented(page, first)
            and abs(last.size - first.size) <= 1.5)


def _continues(page: Page, prev: Line, line: Line, line_gap: float) -> bool:
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


def _is_full(page: Page, line: Line) -> bool:
    return line.x1 >= page.right - 1.5 * line.size


def _is_indented(page: Page, line: Line) -> bool:
    return line.x0 > page.left + 1.0 * line.size


def _is_centered(page: Page, line: Line) -> bool:
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
