"""法律条文 parser: 编/分编/章/节 headings, 第X条 articles, and 款/项/目 inside an article.

Input is the reader's block stream; output is the clause tree. Articles keep their text verbatim
(body without the 第X条 label, paragraphs joined by newlines: the form the law database uses too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from corpus.model import Clause, ClauseKind, Provenance
from corpus.numerals import CN_NUMBER, ArticleNo, cn_to_int
from corpus.readers.base import Block, BlockKind, span_provenance

_ARTICLE = re.compile(rf"^\s*(第[{CN_NUMBER}0-9]+条(?:之[{CN_NUMBER}0-9]+)?)[\s\u3000]*(.*)$", re.S)
_HEADING = re.compile(rf"^\s*第([{CN_NUMBER}0-9]+)(分编|编|章|节)[\s\u3000]*(.*)$")
_APPENDIX = re.compile(r"^\s*(附则|附件[一二三四五六七八九十0-9]*|附录[A-Z一二三四五六七八九十0-9]*)[\s\u3000:：]*(.*)$")
_ITEM = re.compile(rf"^\s*[（(]([{CN_NUMBER}]+)[)）]")
_SUBITEM = re.compile(r"^\s*([0-9]+)[.．、]")

_HEADING_KIND = {"编": ClauseKind.PART, "分编": ClauseKind.SUBPART, "章": ClauseKind.CHAPTER,
                 "节": ClauseKind.SECTION}
_RANK = {ClauseKind.PART: 0, ClauseKind.SUBPART: 1, ClauseKind.CHAPTER: 2,
         ClauseKind.SECTION: 3, ClauseKind.APPENDIX: 2}


def article_start(text: str) -> re.Match[str] | None:
    return _ARTICLE.match(text)


def heading_start(text: str) -> re.Match[str] | None:
    return _HEADING.match(text)


@dataclass
class _OpenArticle:
    number: ArticleNo
    label: str
    paragraphs: list[str]
    blocks: list[Block] = field(default_factory=list)
    path: tuple[str, ...] = ()
    tables: list[Clause] = field(default_factory=list)


def build_article(doc_id: str, number: ArticleNo, label: str, paragraphs: list[str],
                  path: tuple[str, ...], provenance: Provenance | None,
                  key_suffix: str = "") -> Clause:
    """An article with its 款/项/目 children. Paragraphs that open with （一） are 项 of the
    preceding 款; those that open with 1. are 目 of the preceding 项."""
    key = number.key + key_suffix
    article_id = f"{doc_id}#{key}"
    article = Clause(id=article_id, kind=ClauseKind.ARTICLE, number=key, label=label,
                     text="\n".join(paragraphs), path=path, provenance=provenance)
    paragraph: Clause | None = None
    item: Clause | None = None
    for text in paragraphs:
        item_match = _ITEM.match(text)
        sub_match = _SUBITEM.match(text)
        if item_match and paragraph is not None:
            n = cn_to_int(item_match.group(1))
            item = Clause(id=f"{paragraph.id}-{n}", kind=ClauseKind.ITEM,
                          number=f"{paragraph.number}-{n}", label=f"第{item_match.group(1)}项",
                          text=text, path=path)
            paragraph.children.append(item)
        elif sub_match and item is not None:
            n = int(sub_match.group(1))
            item.children.append(Clause(id=f"{item.id}-{n}", kind=ClauseKind.SUBITEM,
                                        number=f"{item.number}-{n}", label=f"第{n}目",
                                        text=text, path=path))
        else:
            k = len(article.children) + 1
            paragraph = Clause(id=f"{article_id}-{k}", kind=ClauseKind.PARAGRAPH,
                               number=f"{key}-{k}", label=f"第{k}款", text=text, path=path)
            article.children.append(paragraph)
            item = None
    for child in article.walk():
        if child is not article:
            child.provenance = provenance
    return article


def parse_statute(doc_id: str, blocks: list[Block], source: str) -> tuple[list[Clause], list[str]]:
    """Return (top-level clauses, warnings). Blocks before the first heading or article are
    not clauses (title, 题注); the caller reads metadata from them."""
    roots: list[Clause] = []
    stack: list[Clause] = []  # open headings, outermost first
    current: _OpenArticle | None = None
    seen: dict[str, int] = {}
    heading_ids: set[str] = set()
    warnings: list[str] = []
    tables = 0

    def close_article() -> None:
        nonlocal current
        if current is None:
            return
        key = current.number.key
        seen[key] = seen.get(key, 0) + 1
        suffix = ""
        if seen[key] > 1:  # never drop text: a repeated number gets a visible suffix
            suffix = f"~{seen[key]}"
            warnings.append(f"{current.label} 重复出现（第 {seen[key]} 次），编号记为 {key}{suffix}")
        article = build_article(doc_id, current.number, current.label, current.paragraphs,
                                current.path, span_provenance(source, current.blocks), suffix)
        article.children.extend(current.tables)
        (stack[-1].children if stack else roots).append(article)
        current = None

    def open_heading(kind: ClauseKind, number: str, label: str, title: str, block: Block) -> None:
        while stack and _RANK[stack[-1].kind] >= _RANK[kind]:
            stack.pop()
        path = tuple(f"{c.label} {c.text}".strip() for c in stack)
        node_path = "/".join([c.number for c in stack] + [number])
        base, repeat = node_path, 1
        while node_path in heading_ids:  # chapter numbers restarting without a 编 heading
            repeat += 1
            node_path = f"{base}~{repeat}"
        heading_ids.add(node_path)
        node = Clause(id=f"{doc_id}#{node_path}", kind=kind, number=node_path, label=label,
                      text=title, path=path, provenance=span_provenance(source, [block]))
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    started = False
    for block in blocks:
        if block.kind is BlockKind.TABLE:
            # A table stays a table: a child clause of its article (or heading), not text
            # spliced into the article, so the article's words stay verbatim.
            tables += 1
            if current is not None:
                table_id = f"{doc_id}#{current.number.key}-表{tables}"
            else:
                table_id = f"{stack[-1].id}-表{tables}" if stack else f"{doc_id}#表{tables}"
            caption = block.table.caption if block.table else None
            table = Clause(id=table_id, kind=ClauseKind.TABLE, number=f"表{tables}",
                           label=caption or f"表{tables}", text=block.text,
                           path=current.path if current else (),
                           provenance=span_provenance(source, [block]), table=block.table)
            if current is not None:
                current.tables.append(table)
            else:
                (stack[-1].children if stack else roots).append(table)
            continue
        text = block.text.strip()
        heading = _HEADING.match(text)
        appendix = _APPENDIX.match(text) if not heading else None
        is_heading_like = block.kind is BlockKind.HEADING or len(text) <= 40
        if heading and is_heading_like and not text.endswith(("。", "；")):
            close_article()
            started = True
            kind = _HEADING_KIND[heading.group(2)]
            label = f"第{heading.group(1)}{heading.group(2)}"
            open_heading(kind, label, label, heading.group(3).strip(), block)
            continue
        if appendix and block.kind is BlockKind.HEADING and started:
            close_article()
            open_heading(ClauseKind.APPENDIX, appendix.group(1), appendix.group(1),
                         appendix.group(2).strip(), block)
            continue
        article = _ARTICLE.match(text)
        number = ArticleNo.parse(article.group(1)) if article else None
        if article and not _plausible_article_start(text, article, number, current):
            article = None
        if article and number is not None:
            close_article()
            started = True
            path = tuple(f"{c.label} {c.text}".strip() for c in stack)
            body = article.group(2).strip()
            current = _OpenArticle(number, article.group(1), [body] if body else [], [block], path)
            continue
        if current is not None:
            current.paragraphs.append(text)
            current.blocks.append(block)
        elif started:
            # Text under a heading but outside any article (e.g. an appendix body).
            if stack:
                stack[-1].text = f"{stack[-1].text}\n{text}".strip()
    close_article()
    return roots, warnings


def _plausible_article_start(text: str, match: re.Match[str], number: ArticleNo,
                             current: _OpenArticle | None) -> bool:
    """'第二十条 …' opens an article; '第二十条规定的…' inside an article is a reference,
    unless it is exactly the next number."""
    after = text[match.end(1):match.end(1) + 1]
    if after == "" or after.isspace() or after == "\u3000":
        return True
    if current is None:
        return True
    prev = current.number
    return number in (ArticleNo(prev.main + 1), ArticleNo(prev.main, prev.sub + 1))


def split_article_text(text: str) -> list[str]:
    """The law database stores an article's 款 separated by newlines."""
    return [line.strip() for line in text.split("\n") if line.strip()]
