"""HTML reader: headings, paragraphs and tables of a web page, without its navigation chrome.

Text comes from the innermost block-level elements, so nested <div>s never repeat text; a <br>
ends a paragraph (government pages often put one article per line inside a single <p> or <div>).
Tables used for page layout (nested tables, cells full of paragraphs) are read as containers,
not as data tables.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from corpus.model import Table
from corpus.readers.base import (Block, BlockKind, Extracted, Progress, content_hash,
                                 title_from_filename)
from corpus.readers.encoding import decode_text
from corpus.readers.extracted_text import assign_offsets, refuse_blank, require_text
from corpus.readers.tables import (Grid, Merge, attach_caption, header_depth, make_table,
                                   table_block)

_DROP = ("script", "style", "noscript", "template", "nav", "header", "footer", "iframe",
         "object", "svg", "head")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {"address", "article", "aside", "blockquote", "body", "center", "dd", "details",
           "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure", "form", "hgroup",
           "li", "main", "menu", "ol", "p", "pre", "section", "summary", "ul", "html"}
_BREAKS = sorted(_BLOCKS | set(_HEADINGS) | {"table", "br", "hr"})
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)
_GB_ALIASES = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "euc-cn"}
_LINE_BREAK = "\u2028"  # stands for <br> until whitespace is normalised
_CJK_WRAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t\r\n\f]*\n[ \t\r\n\f]*"
                       r"(?=[\u3000-\u9fff\uff00-\uffef])")
_SPACES = re.compile(r"[ \t\r\n\f]+")
_MAX_SPAN = 1000


class HtmlReader:
    source_kind = "html"

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        refuse_blank(data, path)
        text, encoding = _decode(data, str(path))
        soup = BeautifulSoup(text, "lxml")
        title = _title(soup)
        _drop_chrome(soup)
        blocks: list[Block] = []
        _walk(soup.body or soup, blocks)
        require_text(blocks, path)
        assign_offsets(blocks)
        file_title, file_date = title_from_filename(path)
        progress(1, 1, path.name)
        return Extracted(source=path, source_kind=self.source_kind, blocks=blocks,
                         content_hash=content_hash(data), title_hint=title or file_title,
                         meta={"encoding": encoding, "file_date": file_date})


# ---------------------------------------------------------------- decoding

def _decode(data: bytes, source: str) -> tuple[str, str]:
    declared = _declared_charset(data)
    if declared and declared != "utf-8":
        # Pages often keep a stale "gb2312" meta after being re-saved as UTF-8; valid UTF-8
        # with non-ASCII bytes is practically never GB text, so the bytes win over the meta.
        if not _is_utf8_text(data):
            try:
                return data.decode(declared), declared
            except UnicodeDecodeError:
                pass
    return decode_text(data, source)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii").lower()
    if name in _GB_ALIASES:
        return "gb18030"  # a superset: GB2312/GBK pages routinely use characters beyond them
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _is_utf8_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return any(byte > 0x7F for byte in data)


# ---------------------------------------------------------------- structure

def _title(soup: BeautifulSoup) -> str | None:
    for element in (soup.title, soup.find("h1")):
        if element is not None:
            text = _clean(_inline_text(element)).replace("\n", " ")
            if text:
                return text
    return None


def _drop_chrome(soup: BeautifulSoup) -> None:
    for element in soup.find_all(_DROP):
        if element.decomposed:  # inside an element dropped just before
            continue
        # An <article>'s own <header> holds its title: keep it; drop the page's header.
        if element.name in ("header", "footer") and element.find_parent(["article", "main"]):
            continue
        element.decompose()
    for element in soup.find_all(lambda tag: tag.has_attr("hidden") or _hidden_style(tag)):
        if not element.decomposed:
            element.decompose()


def _hidden_style(tag: Tag) -> bool:
    style = (tag.get("style") or "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def _walk(container: Tag, blocks: list[Block]) -> None:
    """Emit blocks for `container`'s content in document order; inline runs between block
    children become paragraphs of their own."""
    run: list[str] = []

    def flush() -> None:
        text = _clean("".join(run))
        run.clear()
        for line in filter(None, text.split("\n")):
            blocks.append(Block(BlockKind.PARAGRAPH, line))

    for child in container.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                run.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in _HEADINGS:
            flush()
            text = _clean(_inline_text(child)).replace("\n", " ")
            if text:
                blocks.append(Block(BlockKind.HEADING, text, heading_level=_HEADINGS[name]))
        elif name == "table":
            flush()
            _table(child, blocks)
        elif name in ("br", "hr"):
            flush()
        elif name in _BLOCKS or child.find(_BREAKS) is not None:
            flush()
            _walk(child, blocks)
            flush()
        else:
            run.append(_inline_text(child))
    flush()


def _inline_text(element: Tag) -> str:
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):
                parts.append(str(node))
        elif isinstance(node, Tag) and node.name == "br":
            parts.append(_LINE_BREAK)
    return "".join(parts)


def _clean(text: str) -> str:
    """Collapse HTML whitespace; a source line break between two CJK characters is only
    wrapping, so it disappears instead of becoming a space. Lines come back separated by \\n."""
    text = text.replace("\xa0", " ")
    text = _CJK_WRAP.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split(_LINE_BREAK))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------- tables

def _own_rows(table: Tag) -> list[Tag]:
    return [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]


def _own_cells(tr: Tag) -> list[Tag]:
    return tr.find_all(["td", "th"], recursive=False)


def _is_layout(table: Tag, rows: list[Tag]) -> bool:
    if (table.get("role") or "").lower() in ("presentation", "none"):
        return True
    if table.find("table") is not None:
        return True
    for tr in rows:
        for cell in _own_cells(tr):
            if cell.find(list(_HEADINGS)) is not None:
                return True
            paragraphs = [p for p in cell.find_all(["p", "div", "li"]) if p.get_text(strip=True)]
            if len(paragraphs) >= 3 or len(cell.get_text(strip=True)) > 1000:
                return True
    return False


def _table(table: Tag, blocks: list[Block]) -> None:
    rows = _own_rows(table)
    if _is_layout(table, rows):
        for tr in rows:
            for cell in _own_cells(tr):
                _walk(cell, blocks)
        return
    grid, merges, header_rows = _table_grid(rows)
    if not grid:
        return
    caption_tag = table.find("caption")
    caption = None
    if caption_tag is not None and caption_tag.find_parent("table") is table:
        caption = _clean(_inline_text(caption_tag)).replace("\n", " ") or None
    result: Table = make_table(grid, merges, header_depth(len(grid), merges, header_rows),
                               caption=caption)
    attach_caption(blocks, result)
    blocks.append(table_block(result))


def _span(cell: Tag, attribute: str) -> int:
    try:
        value = int(str(cell.get(attribute, "1")).strip() or "1")
    except ValueError:
        return 1
    return max(0, min(value, _MAX_SPAN))


def _table_grid(rows: list[Tag]) -> tuple[Grid, list[Merge], int]:
    """Place cells on a grid honouring colspan/rowspan; return (grid, merges, number of leading
    header rows: those in <thead> or made only of <th>)."""
    n_rows = len(rows)
    cells: dict[tuple[int, int], str | None] = {}
    merges: list[Merge] = []
    header_flags: list[bool] = []
    for r, tr in enumerate(rows):
        tds = _own_cells(tr)
        header_flags.append(bool(tds) and (tr.find_parent("thead") is not None
                                           or all(td.name == "th" for td in tds)))
        col = 0
        for td in tds:
            while (r, col) in cells:
                col += 1
            colspan = max(1, _span(td, "colspan"))
            rowspan = _span(td, "rowspan") or n_rows - r  # rowspan="0": to the end
            rowspan = max(1, min(rowspan, n_rows - r))
            for rr in range(r, r + rowspan):
                for cc in range(col, col + colspan):
                    cells.setdefault((rr, cc), None)
            cells[(r, col)] = _clean(_inline_text(td))
            if rowspan > 1 or colspan > 1:
                merges.append((r, col, rowspan, colspan))
            col += colspan
    if not cells:
        return [], [], 0
    width = max(c for _, c in cells) + 1
    grid: Grid = [[cells.get((r, c), "") for c in range(width)] for r in range(n_rows)]
    header_rows = 0
    while header_rows < len(header_flags) and header_flags[header_rows]:
        header_rows += 1
    return grid, merges, max(header_rows, 1)
