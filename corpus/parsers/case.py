"""案例 parser: a typical case has titled passages (基本案情, 裁判结果, 典型意义 …) and cites laws."""

from __future__ import annotations


from corpus.model import Clause, ClauseKind
from corpus.references import find_references
from corpus.readers.base import Block, BlockKind, span_provenance

CASE_SECTIONS = ("基本案情", "案情简介", "案件事实", "裁判结果", "处理结果", "处理情况", "查处情况",
                 "裁判理由", "裁判要旨", "裁判要点", "典型意义", "案例评析", "法律依据", "相关法条")

def section_name(block: Block) -> str | None:
    text = block.text.strip().strip("#").strip("【】[] ：:")
    for name in CASE_SECTIONS:
        if text == name or (block.kind is BlockKind.HEADING and text.startswith(name)):
            return name
    return None


def looks_like_case(blocks: list[Block]) -> bool:
    return len({name for b in blocks if (name := section_name(b))}) >= 2


def case_title(blocks: list[Block]) -> str | None:
    """A case's name is the heading ending in 案 just before its first section (the level-1
    heading above it is often a headline such as a 裁判要旨)."""
    for block in blocks:
        if section_name(block):
            return None
        text = block.text.strip()
        if block.kind is BlockKind.HEADING and text.endswith("案") and block.heading_level > 1:
            return text
    return None


def cited_laws(text: str) -> list[dict]:
    """《土地管理法》第七十七条 / 行政诉讼法第七十四条 → [{"law", "article"}] in order, deduplicated."""
    out: list[dict] = []
    for ref in find_references(text):
        if ref.law is None:
            continue
        item = {"law": ref.law, "article": ref.article}
        if item not in out:
            out.append(item)
    return out


def parse_case(doc_id: str, blocks: list[Block], source: str) -> list[Clause]:
    """One passage clause per section; text before the first section becomes 导语."""
    passages: list[tuple[str, list[Block]]] = []
    for block in blocks:
        name = section_name(block)
        if name:
            passages.append((name, []))
        elif block.kind is BlockKind.HEADING and (block.heading_level <= 1 or not passages):
            continue  # the case title and its headline
        else:
            if not passages:
                passages.append(("导语", []))
            passages[-1][1].append(block)
    clauses: list[Clause] = []
    counts: dict[str, int] = {}
    for name, body in passages:
        counts[name] = counts.get(name, 0) + 1
        key = name if counts[name] == 1 else f"{name}{counts[name]}"
        clauses.append(Clause(id=f"{doc_id}#{key}", kind=ClauseKind.PASSAGE, number=key,
                              label=name, text="\n".join(b.text for b in body),
                              provenance=span_provenance(source, body)))
    return clauses
