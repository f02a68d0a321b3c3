"""Markdown and plain-text reader.

Paragraphs are separated by blank lines (Markdown semantics); a line that starts a new article
or chapter (第X条, 第X章) always starts a new paragraph, so files with one paragraph per line and no
blank lines read correctly too. Lines of one paragraph are joined without a separator, which is
how hard-wrapped Chinese text reads.
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.errors import IngestError
from corpus.model import Table
from corpus.numerals import CN_NUMBER
from corpus.readers.base import (Block, BlockKind, Extracted, Progress, content_hash,
                                 title_from_filename)
from corpus.readers.encoding import decode_text

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_STRUCTURE_START = re.compile(rf"^\s*第[{CN_NUMBER}0-9]+(?:条|章|节|编|分编)")
_INFO_END = "<!-- INFO END -->"
_HTML_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
_MD_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
# Zero-width characters left by web copy-paste: invisible, so a line of only these is blank.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


class TextReader:
    source_kind = "text"
    markdown = False

    def read(self, path: Path, data: bytes, progress: Progress) -> Extracted:
        text, encoding = decode_text(data, str(path))
        blocks, preamble = self._blocks(text)
        if not any(b.text.strip() for b in blocks):
            raise IngestError(str(path), "文件没有可读的正文", "the file has no readable text",
                              "请检查文件内容 / check the file's content")
        title, file_date = title_from_filename(path)
        return Extracted(source=path, source_kind=self.source_kind, blocks=blocks,
                         content_hash=content_hash(data), title_hint=title, preamble=preamble,
                         meta={"encoding": encoding, "file_date": file_date})

    def _blocks(self, text: str) -> tuple[list[Block], list[str]]:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        has_info_end = _INFO_END in text
        blocks: list[Block] = []
        preamble: list[str] = []
        in_preamble = has_info_end
        para: list[str] = []
        para_start = 0
        table_rows: list[tuple[str, int, int]] = []
        offset = 0

        def flush_para(end: int) -> None:
            nonlocal para
            if para:
                joined = "".join(_strip(line) for line in para)
                if in_preamble:
                    preamble.append(joined)
                else:
                    blocks.append(Block(BlockKind.PARAGRAPH, joined, char_start=para_start,
                                        char_end=end))
                para = []

        def flush_table() -> None:
            nonlocal table_rows
            if table_rows:
                blocks.append(_markdown_table(table_rows))
                table_rows = []

        prev_end = 0
        for line in text.split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            stripped = _strip(line)
            if self.markdown and _MD_TABLE_ROW.match(line):
                flush_para(prev_end)
                table_rows.append((line, start, end))
                prev_end = end
                continue
            flush_table()
            if not stripped:
                flush_para(prev_end)
                continue
            if stripped == _INFO_END:
                flush_para(prev_end)
                in_preamble = False
                continue
            if _HTML_COMMENT.match(line):
                continue
            heading = _HEADING.match(line) if self.markdown else None
            if heading:
                flush_para(prev_end)
                level = len(heading.group(1))
                body = heading.group(2)
                # The title heading sits before the history lines that INFO END closes.
                blocks.append(Block(BlockKind.HEADING, body, char_start=start + line.index(body),
                                    char_end=start + line.index(body) + len(body),
                                    heading_level=level))
                prev_end = end
                continue
            if para and (_STRUCTURE_START.match(stripped) or not self.markdown):
                flush_para(prev_end)
            if not para:
                para_start = start + (len(line) - len(line.lstrip()))
            para.append(line)
            prev_end = start + len(line.rstrip())
        flush_table()
        flush_para(prev_end)
        return blocks, preamble


class MarkdownReader(TextReader):
    source_kind = "markdown"
    markdown = True


def _strip(line: str) -> str:
    return line.strip().strip(_INVISIBLE).strip()


def _markdown_table(rows: list[tuple[str, int, int]]) -> Block:
    cells = [[c.strip() for c in line.strip().strip("|").split("|")]
             for line, _, _ in rows if not _MD_TABLE_RULE.match(line)]
    has_rule = len(rows) > 1 and _MD_TABLE_RULE.match(rows[1][0])
    header, body = (cells[:1], cells[1:]) if has_rule else ([], cells)
    table = Table(caption=None, header=header, rows=body)
    return Block(BlockKind.TABLE, table.to_text(), char_start=rows[0][1], char_end=rows[-1][2],
                 table=table)
