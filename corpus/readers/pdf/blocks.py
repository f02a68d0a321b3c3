"""Pages of lines and tables → the reader's blocks, in reading order.

Each page's paragraphs and tables are interleaved by position; a paragraph or table cut by a
page break is stitched back together.
"""

from __future__ import annotations

from corpus.readers.base import Block, BlockKind
from corpus.readers.extracted_text import assign_offsets
from corpus.readers.pdf.headers_footers import drop_running_lines
from corpus.readers.pdf.layout import Page, PageTable, Para
from corpus.readers.pdf.lines import join_wrapped
from corpus.readers.pdf.paragraphs import continues_across, paragraphs, set_text_columns
from corpus.readers.pdf.tables import continues_table, merge_tables


def build_blocks(pages: list[Page]) -> list[Block]:
    drop_running_lines(pages)
    set_text_columns(pages)
    items: list[Para | PageTable] = []
    for page in pages:
        for k, element in enumerate(_page_elements(page)):
            if k == 0 and items and _last_page(items[-1]) == page.number - 1 \
                    and _stitch(items[-1], pages[page.number - 2], element, page):
                continue
            items.append(element)
    blocks = [_to_block(element) for element in items]
    assign_offsets(blocks)
    return blocks


def _page_elements(page: Page) -> list[Para | PageTable]:
    """Paragraphs and tables in reading order: each table goes before the first paragraph that
    starts below its top."""
    elements: list[Para | PageTable] = list(paragraphs(page))
    for table in sorted(page.tables, key=lambda t: t.bbox[1]):
        at = next((i for i, e in enumerate(elements)
                   if isinstance(e, Para) and e.lines[0].y0 > table.bbox[1]), len(elements))
        elements.insert(at, table)
    return elements


def _stitch(prev: Para | PageTable, prev_page: Page, element: Para | PageTable,
            page: Page) -> bool:
    """Fold a page's first element into the previous page's last one when it continues it."""
    if isinstance(prev, Para) and isinstance(element, Para):
        if continues_across(prev_page, prev, page, element):
            prev.lines.extend(element.lines)
            prev.page_end = page.number
            return True
    if isinstance(prev, PageTable) and isinstance(element, PageTable):
        if continues_table(prev.table, element.table):
            merge_tables(prev.table, element.table, page.number)
            return True
    return False


def _last_page(element: Para | PageTable) -> int:
    return element.table.pages[-1] if isinstance(element, PageTable) else element.page_end


def _to_block(element: Para | PageTable) -> Block:
    if isinstance(element, PageTable):
        table = element.table
        return Block(BlockKind.TABLE, table.to_text(), page=table.pages[0],
                     page_end=table.pages[-1], table=table)
    text = ""
    for line in element.lines:
        text = join_wrapped(text, line.text)
    return Block(BlockKind.PARAGRAPH, text, page=element.page, page_end=element.page_end)
