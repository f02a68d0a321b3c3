"""Genre parsers: from a reader's blocks to a `Document` with its clause tree.

The genre (statute, standard, case, table, generic) is detected from the text itself, so a law
arrives right whether it came as Markdown, PDF or DOCX.
"""

from __future__ import annotations

import re

from corpus.model import Clause, ClauseKind, Document, Level, Status
from corpus.parsers.case import case_title, cited_laws, looks_like_case, parse_case
from corpus.parsers.metadata import infer_metadata
from corpus.parsers.standard import numbered_clause_count, parse_standard
from corpus.parsers.statute import article_start, heading_start, parse_statute
from corpus.readers.base import Block, BlockKind, Extracted, span_provenance

GENRES = ("statute", "standard", "case", "table", "generic")


def detect_genre(blocks: list[Block]) -> str:
    text_blocks = [b for b in blocks if b.kind is not BlockKind.TABLE]
    if not text_blocks:
        return "table"
    if looks_like_case(blocks):
        return "case"
    articles = sum(1 for b in text_blocks if article_start(b.text))
    numbered = numbered_clause_count(blocks)
    if articles >= 2 and articles >= numbered:
        return "statute"
    if numbered >= 3:
        return "standard"
    return "generic"


def _split_title(blocks: list[Block], genre: str) -> tuple[list[str], list[Block], list[Block]]:
    """Return (title parts, front-matter blocks, body blocks). The title is the leading level-1
    headings, or else a short first paragraph; front matter is what precedes the first
    structural line (题注 such as adoption and amendment dates)."""
    titles: list[str] = []
    index = 0
    while index < len(blocks) and blocks[index].kind is BlockKind.HEADING \
            and blocks[index].heading_level <= 1:
        titles.append(blocks[index].text.strip())
        index += 1
    if not titles and blocks and blocks[0].kind is not BlockKind.TABLE:
        first = blocks[0].text.strip()
        if len(first) <= 60 and not article_start(first) and not heading_start(first) \
                and not first.endswith("。"):
            titles.append(first)
            index = 1
    if genre not in ("statute",):
        return titles, [], blocks[index:]
    body_start = index
    while body_start < len(blocks):
        text = blocks[body_start].text
        if article_start(text) or heading_start(text) or blocks[body_start].kind is BlockKind.HEADING:
            break
        body_start += 1
    if body_start == len(blocks):  # no structure at all: keep everything as body
        return titles, [], blocks[index:]
    return titles, blocks[index:body_start], blocks[body_start:]


def build_document(extracted: Extracted, level: Level | None = None, genre: str | None = None,
                   origin: str = "user") -> Document:
    genre = genre or detect_genre(extracted.blocks)
    titles, front, body = _split_title(extracted.blocks, genre)
    title = "".join(titles) or extracted.title_hint or extracted.source.stem
    if extracted.title_hint and len(titles) == 0:
        title = extracted.title_hint
    headline = None
    if genre == "case" and (name := case_title(extracted.blocks)):
        headline, title = title, name
    preamble = extracted.preamble + [b.text for b in front]
    meta = infer_metadata(title, preamble, genre, extracted.meta.get("file_date"), level)
    version = meta.version or f"h{extracted.content_hash[:10]}"
    doc_id = f"{meta.short_name}@{version}"
    source = str(extracted.source)
    warnings: list[str] = []
    extra: dict = {"preamble": preamble}
    if headline:
        extra["headline"] = headline
    if meta.doc_number:
        extra["doc_number"] = meta.doc_number
    if genre == "statute":
        clauses, warnings = parse_statute(doc_id, body, source)
    elif genre == "standard":
        clauses, warnings = parse_standard(doc_id, body, source)
    elif genre == "case":
        clauses = parse_case(doc_id, body, source)
        extra["cites"] = cited_laws("\n".join(b.text for b in body))
    elif genre == "table":
        clauses = _parse_tables(doc_id, body, source)
    else:
        clauses = _parse_generic(doc_id, body, source)
    if warnings:
        extra["warnings"] = warnings
    extra.update({k: v for k, v in extracted.meta.items() if v})
    return Document(title=meta.title, short_name=meta.short_name, level=meta.level,
                    version=version, clauses=clauses, source=source,
                    source_kind=extracted.source_kind, content_hash=extracted.content_hash,
                    issuing_body=meta.issuing_body, region=meta.region,
                    promulgated=meta.promulgated, effective=meta.effective,
                    repealed=meta.repealed,
                    status=Status.REPEALED if meta.repealed else Status.IN_FORCE,
                    genre=genre, origin=origin, meta=extra)


def _parse_tables(doc_id: str, blocks: list[Block], source: str) -> list[Clause]:
    clauses = []
    for n, block in enumerate((b for b in blocks if b.kind is BlockKind.TABLE), start=1):
        caption = block.table.caption if block.table else None
        clauses.append(Clause(id=f"{doc_id}#表{n}", kind=ClauseKind.TABLE, number=f"表{n}",
                              label=caption or f"表{n}", text=block.text,
                              provenance=span_provenance(source, [block]), table=block.table))
    return clauses


_OUTLINE = re.compile(r"^\s*(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[)）])")


def _parse_generic(doc_id: str, blocks: list[Block], source: str) -> list[Clause]:
    """Passages split at headings (or outline lines such as 一、 / （一）); tables stay tables."""
    clauses: list[Clause] = []
    label = ""
    run: list[Block] = []

    def flush() -> None:
        if run:
            n = len(clauses) + 1
            clauses.append(Clause(id=f"{doc_id}#段{n}", kind=ClauseKind.PASSAGE, number=f"段{n}",
                                  label=label or f"段{n}", text="\n".join(b.text for b in run),
                                  provenance=span_provenance(source, run)))

    for block in blocks:
        if block.kind is BlockKind.TABLE:
            flush()
            run = []
            n = len(clauses) + 1
            clauses.append(Clause(id=f"{doc_id}#表{n}", kind=ClauseKind.TABLE, number=f"表{n}",
                                  label=(block.table.caption if block.table else None) or f"表{n}",
                                  text=block.text, provenance=span_provenance(source, [block]),
                                  table=block.table))
            continue
        is_heading = block.kind is BlockKind.HEADING or (
            _OUTLINE.match(block.text) and len(block.text) <= 30)
        if is_heading:
            flush()
            run = [block]
            label = block.text.strip()
        else:
            run.append(block)
    flush()
    return clauses
