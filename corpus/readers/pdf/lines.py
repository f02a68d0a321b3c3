"""A page's text layer as visual lines: fragments on one baseline joined, text normalised.

Also the two joins every later stage needs: fragments of one row (`append_to_row`) and
hard-wrapped lines of one paragraph (`join_wrapped`).
"""

from __future__ import annotations

import unicodedata

import pymupdf

from corpus.readers.pdf.layout import Line

_TEXT_FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES  # image bytes are slow

# Kangxi radicals and compatibility ideographs are what many Chinese PDF fonts map their glyphs
# to; they look identical but defeat search, so fold them (only them) to the unified ideographs.
_CJK_FOLD = {cp: unicodedata.normalize("NFKC", chr(cp))
             for cp in [*range(0x2E80, 0x2FE0), *range(0xF900, 0xFB00), *range(0x2F800, 0x2FA20)]
             if len(unicodedata.normalize("NFKC", chr(cp))) == 1
             and unicodedata.normalize("NFKC", chr(cp)) != chr(cp)}
_CJK_FOLD.update({cp: None for cp in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F,
                                      0xAD]})


def clean_text(text: str) -> str:
    return text.translate(_CJK_FOLD)


def text_lines(page: pymupdf.Page) -> list[Line]:
    """The page's visual lines in reading order; fragments on one baseline are joined."""
    lines: list[Line] = []
    content = page.get_text("dict", flags=_TEXT_FLAGS, sort=True)
    for block_no, block in enumerate(content["blocks"]):
        if block.get("type", 0) != 0:
            continue
        for raw in block["lines"]:
            spans = raw["spans"]
            text = clean_text("".join(s["text"] for s in spans))
            if not text.strip():
                continue
            size = max(s["size"] for s in spans) or 10.0
            x0, y0, x1, y1 = raw["bbox"]
            line = Line(text, x0, y0, x1, y1, size, block_no)
            _trim(line)
            if lines and _same_row(lines[-1], line):
                append_to_row(lines[-1], line)
            else:
                lines.append(line)
    return lines


def _trim(line: Line) -> None:
    """Strip the text, moving x0/x1 past the stripped blanks so indentation stays measurable."""
    lead = len(line.text) - len(line.text.lstrip())
    trail = len(line.text) - len(line.text.rstrip())
    if lead or trail:
        widths = [line.size if ch == "\u3000" else line.size / 2 for ch in line.text]
        line.x0 += sum(widths[:lead])
        line.x1 -= sum(widths[len(widths) - trail:]) if trail else 0.0
        line.text = line.text.strip()


def _same_row(prev: Line, line: Line) -> bool:
    overlap = min(prev.y1, line.y1) - max(prev.y0, line.y0)
    height = min(prev.y1 - prev.y0, line.y1 - line.y0)
    return height > 0 and overlap >= 0.6 * height and line.x0 >= prev.x1 - 2


def append_to_row(prev: Line, line: Line) -> None:
    """Extend `prev` by `line`, the next fragment to its right on the same visual row."""
    gap = line.x0 - prev.x1
    prev.text += (" " if gap > 0.4 * max(prev.size, line.size) else "") + line.text
    prev.x1 = line.x1
    prev.y0, prev.y1 = min(prev.y0, line.y0), max(prev.y1, line.y1)
    prev.size = max(prev.size, line.size)


def join_wrapped(left: str, right: str) -> str:
    """Join hard-wrapped lines: nothing between CJK or inside a number, a space between two
    Latin words (Latin text only wraps at spaces)."""
    if left and right:
        a, b = left[-1], right[0]
        if a.isascii() and b.isascii() and a.isalnum() and b.isalnum() \
                and not (a.isdigit() and b.isdigit()):
            return f"{left} {right}"
    return left + right
