"""The clause store: the system of record for parsed documents (SQLite under the data directory).

One transaction per document, so a failure leaves the store as it was. Every write is logged in
`changes`, which later layers (graph, indexes) replay to follow re-ingests incrementally.
Versions of one law share a short name; `valid_from` of the next version closes the previous.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from corpus.errors import AmbiguousNameError, DuplicateDocumentError, NotFoundError
from corpus.model import Clause, Document, Provenance, Table
from corpus.numerals import ArticleNo
from corpus.parsers.metadata import short_name_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, short_name TEXT NOT NULL, level TEXT NOT NULL,
    version TEXT NOT NULL, source TEXT NOT NULL UNIQUE, source_kind TEXT NOT NULL,
    origin TEXT NOT NULL, content_hash TEXT NOT NULL, issuing_body TEXT, region TEXT,
    promulgated TEXT, effective TEXT, repealed TEXT, status TEXT NOT NULL, genre TEXT NOT NULL,
    valid_from TEXT, meta TEXT NOT NULL, n_clauses INTEGER NOT NULL, ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_short_name ON documents(short_name);
CREATE TABLE IF NOT EXISTS clauses (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    parent_id TEXT, seq INTEGER NOT NULL, kind TEXT NOT NULL, number TEXT NOT NULL,
    label TEXT NOT NULL, text TEXT NOT NULL, path TEXT NOT NULL, file TEXT, page INTEGER,
    page_end INTEGER, char_start INTEGER, char_end INTEGER, locator TEXT, table_json TEXT
);
CREATE INDEX IF NOT EXISTS clauses_doc ON clauses(doc_id, number);
CREATE TABLE IF NOT EXISTS shadowed (
    doc_id TEXT PRIMARY KEY, source TEXT NOT NULL, content_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, action TEXT NOT NULL,
    content_hash TEXT, at TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class DocumentRecord:
    doc_id: str
    title: str
    short_name: str
    level: str
    version: str
    source: str
    source_kind: str
    origin: str
    content_hash: str
    issuing_body: str | None
    region: str | None
    promulgated: str | None
    effective: str | None
    repealed: str | None
    status: str
    genre: str
    valid_from: str | None
    valid_to: str | None
    n_clauses: int
    meta: dict

    def status_on(self, day: date) -> str:
        """Status as of a day: 尚未生效 before valid_from, 已废止/历史版本 after valid_to."""
        iso = day.isoformat()
        if self.valid_from and iso < self.valid_from:
            return "尚未生效"
        if self.repealed and iso >= self.repealed:
            return "已废止"
        if self.valid_to and iso >= self.valid_to:
            return "历史版本"
        if self.status in ("已废止",) and not self.repealed:
            return self.status
        return "现行有效"

    def in_force_on(self, day: date) -> bool:
        return self.status_on(day) == "现行有效"


@dataclass(frozen=True)
class ClauseRecord:
    id: str
    doc_id: str
    parent_id: str | None
    kind: str
    number: str
    label: str
    text: str
    path: tuple[str, ...]
    provenance: Provenance
    table: Table | None


@dataclass(frozen=True)
class PutResult:
    action: str  # added, replaced, unchanged, shadowed-embedded, kept-user-version, same-content
    doc_id: str
    replaced: str | None = None  # the doc_id this write replaced, if any
    note: str = ""


class ClauseStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "ClauseStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writes -------------------------------------------------------------------------

    def put(self, doc: Document) -> PutResult:
        """Add or replace one document atomically. A source re-ingested unchanged is a no-op;
        a changed source replaces what it contributed. A user file for the same version as an
        embedded law takes its place (the embedded one comes back if the file is removed)."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = self._put(doc)
            conn.execute("COMMIT")
            return result
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _put(self, doc: Document) -> PutResult:
        conn = self._conn
        by_source = conn.execute("SELECT doc_id, content_hash FROM documents WHERE source = ?",
                                 (doc.source,)).fetchone()
        if by_source and by_source["content_hash"] == doc.content_hash \
                and by_source["doc_id"] == doc.doc_id:
            return PutResult("unchanged", doc.doc_id)
        by_id = conn.execute("SELECT source, origin, content_hash FROM documents WHERE doc_id = ?",
                             (doc.doc_id,)).fetchone()
        action = "added"
        replaced = None
        if by_id and by_id["source"] != doc.source:
            if by_id["origin"] == "embedded" and doc.origin == "user":
                conn.execute("INSERT OR REPLACE INTO shadowed VALUES (?, ?, ?)",
                             (doc.doc_id, by_id["source"], by_id["content_hash"]))
                self._delete(doc.doc_id, "shadowed")
                action, replaced = "replaced", doc.doc_id
            elif by_id["origin"] == "user" and doc.origin == "embedded":
                conn.execute("INSERT OR REPLACE INTO shadowed VALUES (?, ?, ?)",
                             (doc.doc_id, doc.source, doc.content_hash))
                return PutResult("kept-user-version", doc.doc_id,
                                 note=f"已有用户导入的同版本文件 {by_id['source']}")
            elif by_id["content_hash"] == doc.content_hash:
                return PutResult("same-content", doc.doc_id,
                                 note=f"与已导入的 {by_id['source']} 内容相同，未重复导入")
            else:
                raise DuplicateDocumentError(
                    doc.source,
                    f"《{doc.title}》{doc.version} 版已由 {by_id['source']} 导入，两者内容不同",
                    f"version {doc.version} of {doc.title} was already ingested from "
                    f"{by_id['source']} with different text",
                    "若为新版本，请在文件名中注明版本日期，如 名称(2024-01-01).md；若要替换，"
                    f"先执行 guihua remove {doc.doc_id} / name the version date in the file name, "
                    "or remove the other document first")
        if by_source:
            self._delete(by_source["doc_id"], "replaced")
            action, replaced = "replaced", by_source["doc_id"]
        self._insert(doc)
        conn.execute("DELETE FROM shadowed WHERE doc_id = ? AND source = ?",
                     (doc.doc_id, doc.source))
        self._log(doc.doc_id, action, doc.content_hash)
        return PutResult(action, doc.doc_id, replaced)

    def _insert(self, doc: Document) -> None:
        rows = []
        for seq, (clause, parent) in enumerate(_walk_with_parent(doc.clauses)):
            prov = clause.provenance or Provenance(file=doc.source)
            rows.append((clause.id, doc.doc_id, parent, seq, clause.kind.value, clause.number,
                         clause.label, clause.text, json.dumps(clause.path, ensure_ascii=False),
                         prov.file, prov.page, prov.page_end, prov.char_start, prov.char_end,
                         prov.locator,
                         json.dumps(clause.table.to_dict(), ensure_ascii=False)
                         if clause.table else None))
        valid_from = doc.valid_from.isoformat() if doc.valid_from else None
        self._conn.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (doc.doc_id, doc.title, doc.short_name, doc.level.value, doc.version, doc.source,
             doc.source_kind, doc.origin, doc.content_hash, doc.issuing_body, doc.region,
             _iso(doc.promulgated), _iso(doc.effective), _iso(doc.repealed), doc.status.value,
             doc.genre, valid_from, json.dumps(doc.meta, ensure_ascii=False, default=str),
             len(rows), datetime.now(timezone.utc).isoformat(timespec="seconds")))
        self._conn.executemany(
            "INSERT INTO clauses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def _delete(self, doc_id: str, action: str) -> None:
        self._conn.execute("DELETE FROM clauses WHERE doc_id = ?", (doc_id,))
        self._conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        self._log(doc_id, action, None)

    def _log(self, doc_id: str, action: str, content_hash: str | None) -> None:
        self._conn.execute("INSERT INTO changes (doc_id, action, content_hash, at) VALUES (?,?,?,?)",
                           (doc_id, action, content_hash,
                            datetime.now(timezone.utc).isoformat(timespec="seconds")))

    def remove(self, doc_id: str) -> str | None:
        """Delete one document. Returns the embedded source it had displaced, if any, so the
        caller can restore it."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            if not conn.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone():
                raise NotFoundError(f"文档不存在 / no such document: {doc_id}")
            self._delete(doc_id, "removed")
            shadow = conn.execute("SELECT source FROM shadowed WHERE doc_id = ?",
                                  (doc_id,)).fetchone()
            conn.execute("DELETE FROM shadowed WHERE doc_id = ?", (doc_id,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return shadow["source"] if shadow else None

    # ---- reads --------------------------------------------------------------------------

    def document_for_source(self, source: str) -> DocumentRecord | None:
        row = self._conn.execute("SELECT doc_id FROM documents WHERE source = ?",
                                 (source,)).fetchone()
        return self.document(row["doc_id"]) if row else None

    def document(self, doc_id: str) -> DocumentRecord:
        row = self._conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"文档不存在 / no such document: {doc_id}")
        return self.versions(row["short_name"], _by_id=doc_id)[0]

    def documents(self) -> list[DocumentRecord]:
        names = [r[0] for r in self._conn.execute(
            "SELECT DISTINCT short_name FROM documents ORDER BY short_name")]
        return [rec for name in names for rec in self.versions(name)]

    def versions(self, short_name: str, _by_id: str | None = None) -> list[DocumentRecord]:
        """All versions of a document, oldest first, each with valid_to = the next one's
        valid_from."""
        rows = self._conn.execute(
            "SELECT * FROM documents WHERE short_name = ? ORDER BY COALESCE(valid_from, version)",
            (short_name,)).fetchall()
        records = []
        for i, row in enumerate(rows):
            nxt = next((r["valid_from"] for r in rows[i + 1:] if r["valid_from"]), None)
            valid_to = row["repealed"] or nxt
            records.append(_document_record(row, valid_to))
        if _by_id is not None:
            return [r for r in records if r.doc_id == _by_id]
        return records

    def counts(self) -> dict[str, int]:
        docs, clauses = self._conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(n_clauses), 0) FROM documents").fetchone()
        return {"documents": docs, "clauses": clauses}

    def resolve_name(self, name: str, exact: bool = False) -> str:
        """A law name as people write it → the stored short name.
        Accepts 《中华人民共和国土地管理法》, 土地管理法, or (unless `exact`) a unique fragment
        (城乡规划条例 → 上海市城乡规划条例 only if no other document matches). Citations in legal
        text are resolved `exact`: 增值税暂行条例 must not become 土地增值税暂行条例."""
        cleaned = short_name_of(name)
        conn = self._conn
        matches = conn.execute("SELECT DISTINCT short_name FROM documents WHERE short_name = ? "
                               "OR title = ?", (cleaned, re.sub(r"[《》\s]", "", name))).fetchall()
        if matches:
            return matches[0][0]
        if exact:
            raise NotFoundError(f"未找到名为「{name}」的法规或文件 / no document named {name!r}")
        like = [r[0] for r in conn.execute(
            "SELECT DISTINCT short_name FROM documents WHERE short_name LIKE ? ORDER BY "
            "LENGTH(short_name)", (f"%{cleaned}%",))]
        if len(like) == 1:
            return like[0]
        if not like:
            raise NotFoundError(f"未找到名为「{name}」的法规或文件 / no document named {name!r}；"
                                "可用 guihua docs 查看已导入文件 / run `guihua docs` to list them")
        raise AmbiguousNameError(f"「{name}」对应多个文件 / {name!r} is ambiguous: "
                                 + "、".join(like[:10]))

    def version_as_of(self, short_name: str, day: date | None) -> DocumentRecord:
        """The version in force on `day` (default: today). Without a date, a law that is
        adopted but not yet in force is still returned (its status says 尚未生效)."""
        versions = self.versions(short_name)
        if not versions:
            raise NotFoundError(f"未找到「{short_name}」/ not found: {short_name}")
        target = day or date.today()
        for record in reversed(versions):
            if record.in_force_on(target):
                return record
        if day is None:
            return versions[-1]
        earliest = versions[0]
        if earliest.valid_from and target.isoformat() < earliest.valid_from:
            raise NotFoundError(
                f"《{short_name}》于 {target} 尚未生效（最早版本自 {earliest.valid_from} 起施行）/ "
                f"{short_name} was not in force on {target}; earliest version from "
                f"{earliest.valid_from}")
        raise NotFoundError(f"《{short_name}》于 {target} 无有效版本（已废止）/ "
                            f"{short_name} had no version in force on {target}")

    def version_for_citation(self, short_name: str, day: date | None) -> DocumentRecord | None:
        """The version a citation made on `day` (default today) points at: the one in force
        then; failing that the latest before it, or else the earliest (not yet in force), so a
        checker can say which and why."""
        versions = self.versions(short_name)
        if not versions:
            return None
        when = day or date.today()
        in_force = [v for v in versions if v.in_force_on(when)]
        if in_force:
            return in_force[-1]
        earlier = [v for v in versions if (v.valid_from or "") <= when.isoformat()]
        return earlier[-1] if earlier else versions[0]

    def clause(self, clause_id: str) -> ClauseRecord:
        row = self._conn.execute("SELECT * FROM clauses WHERE id = ?", (clause_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"条文不存在 / no such clause: {clause_id}")
        return _clause_record(row)

    def article(self, doc_id: str, number: str) -> ClauseRecord:
        """A citable clause of one document by number: '35', '第三十五条', '10之1', '4.0.1'."""
        key = _normalise_number(number)
        row = self._conn.execute("SELECT * FROM clauses WHERE doc_id = ? AND number = ?",
                                 (doc_id, key)).fetchone()
        if row is None:
            raise NotFoundError(f"{doc_id} 中没有第 {number} 条 / no clause {number} in {doc_id}")
        return _clause_record(row)

    def clauses(self, doc_id: str) -> Iterator[ClauseRecord]:
        for row in self._conn.execute("SELECT * FROM clauses WHERE doc_id = ? ORDER BY seq",
                                      (doc_id,)):
            yield _clause_record(row)

    def changes_since(self, seq: int = 0) -> list[dict]:
        return [dict(r) for r in self._conn.execute(
            "SELECT * FROM changes WHERE seq > ? ORDER BY seq", (seq,))]


def _normalise_number(number: str) -> str:
    number = number.strip()
    try:
        return ArticleNo.parse(number).key
    except ValueError:
        return number


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _walk_with_parent(clauses: list[Clause], parent: str | None = None
                      ) -> Iterator[tuple[Clause, str | None]]:
    for clause in clauses:
        yield clause, parent
        yield from _walk_with_parent(clause.children, clause.id)


def _document_record(row: sqlite3.Row, valid_to: str | None) -> DocumentRecord:
    data = dict(row)
    data.pop("ingested_at")
    data["meta"] = json.loads(data["meta"])
    return DocumentRecord(**data, valid_to=valid_to)


def _clause_record(row: sqlite3.Row) -> ClauseRecord:
    return ClauseRecord(
        id=row["id"], doc_id=row["doc_id"], parent_id=row["parent_id"], kind=row["kind"],
        number=row["number"], label=row["label"], text=row["text"],
        path=tuple(json.loads(row["path"])),
        provenance=Provenance(file=row["file"], page=row["page"], page_end=row["page_end"],
                              char_start=row["char_start"], char_end=row["char_end"],
                              locator=row["locator"]),
        table=Table.from_dict(json.loads(row["table_json"])) if row["table_json"] else None)
