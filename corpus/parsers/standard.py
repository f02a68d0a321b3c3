"""标准条文 parser: numbered clauses (1 总则, 3.2 城市建设用地, 3.2.1 …), their numbered items,
tables with captions (表 3.2.1 …), and appendices (附录 A, A.0.1)."""

from __future__ import annotations

import re

from corpus.model import Clause, ClauseKind
from corpus.readers.base import Block, BlockKind, span_provenance

_NUMBERED = re.compile(r"^\s*((?:[A-Z]|\d{1,2})(?:\.\d{1,3}){0,4})[\s\u3000]+(\S.*)$", re.S)
_DOTTED = re.compile(r"^\s*([A-Z](?:\.\d{1,3}){1,4}|\d{1,2}(?:\.\d{1,3}){1,4})[\s\u3000]+(\S.*)$",
                     re.S)
_TABLE_CAPTION = re.compile(r"^\s*(?:续)?表\s*([A-Z]?\d+(?:[.\-]\d+)*)")
_APPENDIX = re.compile(r"^\s*附录\s*([A-Z])[\s\u3000]*(.*)$")
_TITLE_PUNCT = re.compile(r"[。；，;,：:]")


def _is_title(text: str) -> bool:
    return len(text) <= 30 and not _TITLE_PUNCT.search(text)


def _key(number: str) -> tuple:
    return tuple(int(p) if p.isdigit() else ord(p) - 1000 for p in number.split("."))


def numbered_clause_count(blocks: list[Block]) -> int:
    return sum(1 for b in blocks if b.kind is not BlockKind.TABLE and _DOTTED.match(b.text))


def parse_standard(doc_id: str, blocks: list[Block], source: str) -> tuple[list[Clause], list[str]]:
    roots: list[Clause] = []
    nodes: dict[str, Clause] = {}
    node_blocks: dict[str, list[Block]] = {}
    current: Clause | None = None
    chapter: str | None = None
    last_key: tuple = ()
    tables = 0
    warnings: list[str] = []

    def attach(node: Clause) -> None:
        parts = node.number.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            parent = nodes.get(".".join(parts[:cut]))
            if parent is not None:
                parent.children.append(node)
                return
        if chapter and chapter in nodes and node.number != chapter:
            nodes[chapter].children.append(node)
        else:
            roots.append(node)

    def open_node(kind: ClauseKind, number: str, label: str, text: str, block: Block) -> Clause:
        nonlocal last_key
        if number in nodes:
            warnings.append(f"条文编号 {number} 重复出现，后者记为 {number}~2")
            number = f"{number}~2"
        path = tuple(f"{nodes[p].label} {nodes[p].text.split(chr(10))[0]}".strip()
                     for p in _prefixes(number) if p in nodes)
        node = Clause(id=f"{doc_id}#{number}", kind=kind, number=number, label=label, text=text,
                      path=path)
        nodes[number] = node
        node_blocks[number] = [block]
        attach(node)
        last_key = _key(number.split("~")[0]) if number[0] != "附" else last_key
        return node

    for block in blocks:
        text = block.text.strip()
        if block.kind is BlockKind.TABLE and block.table is not None:
            tables += 1
            caption = block.table.caption or ""
            cap = _TABLE_CAPTION.match(caption)
            number = f"表{cap.group(1)}" if cap else f"表{tables}"
            if number in nodes:
                number = f"{number}~{tables}"
            table_clause = Clause(id=f"{doc_id}#{number}", kind=ClauseKind.TABLE, number=number,
                                  label=caption or number, text=block.text,
                                  path=current.path + (current.label,) if current else (),
                                  provenance=span_provenance(source, [block]), table=block.table)
            nodes[number] = table_clause
            (current.children if current else roots).append(table_clause)
            continue
        appendix = _APPENDIX.match(text)
        if appendix:
            chapter = appendix.group(1)
            current = open_node(ClauseKind.APPENDIX, appendix.group(1), f"附录{appendix.group(1)}",
                                appendix.group(2).strip(), block)
            continue
        match = _NUMBERED.match(text)
        if match and _accept_number(match.group(1), match.group(2), chapter, last_key, block):
            number, body = match.group(1), match.group(2).strip()
            depth = number.count(".") + 1
            if depth == 1:
                chapter = number
                current = open_node(ClauseKind.CHAPTER, number, number, body, block)
            elif _is_title(body) and depth == 2:
                current = open_node(ClauseKind.SECTION, number, number, body, block)
            else:
                current = open_node(ClauseKind.NUMBERED, number, number, body, block)
            continue
        if current is None:
            continue  # front matter (封面, 前言) is metadata, not clauses
        if current.kind is ClauseKind.NUMBERED:
            item = re.match(r"^\s*(\d{1,2})[\s\u3000、.．]\s*\S", text)
            if item:
                n = item.group(1)
                current.children.append(Clause(id=f"{current.id}-{n}", kind=ClauseKind.ITEM,
                                               number=f"{current.number}-{n}", label=n, text=text,
                                               path=current.path,
                                               provenance=span_provenance(source, [block])))
        current.text = f"{current.text}\n{text}" if current.text else text
        node_blocks[current.number].append(block)

    for number, node in nodes.items():
        if node.kind is not ClauseKind.TABLE:
            node.provenance = span_provenance(source, node_blocks[number])
    return roots, warnings


def _prefixes(number: str) -> list[str]:
    parts = number.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _accept_number(number: str, body: str, chapter: str | None, last_key: tuple,
                   block: Block) -> bool:
    """Numbers must move forward. A bare '3 …' is a new chapter only when it is above the
    current chapter and reads as a title; otherwise it is an item of a clause ('1 采用…；')."""
    parts = number.split(".")
    title_like = _is_title(body.strip()) or block.kind is BlockKind.HEADING
    if len(parts) == 1:
        if not parts[0].isdigit():
            return False
        if chapter is None:
            return title_like
        return chapter.isdigit() and int(parts[0]) > int(chapter) and title_like
    if chapter is not None and not chapter.isdigit():
        return parts[0] == chapter and _key(number) > last_key  # inside 附录 A: A.0.1 …
    if not parts[0].isdigit():
        return False
    return _key(number) > last_key
