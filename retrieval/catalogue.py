"""The index catalogue: which units the search indexes hold, under which numbers, and which
generation of index files is current.

Unit numbers are the int64 ids faiss and BM25 use. The index files of one generation are
written beside the current ones and the catalogue switches to them in one SQLite commit, so a
failed or interrupted update leaves the previous indexes in use and intact.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    num INTEGER PRIMARY KEY AUTOINCREMENT, clause_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL, hash TEXT NOT NULL, tokens TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS units_doc ON units(doc_id);
CREATE TABLE IF NOT EXISTS documents (doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL);
-- terms each document defines (本法所称…是指): part of the segmenter's dictionary
CREATE TABLE IF NOT EXISTS terms (doc_id TEXT PRIMARY KEY, terms TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class IndexState:
    generation: int
    model: str | None  # embedder name of the vectors; None: no dense index
    dim: int | None
    vocabulary_hash: str | None
    tokenizer: str | None = None  # lexical.TOKENIZER the stored tokens were made with


@dataclass(frozen=True)
class IndexFiles:
    """The files of one generation."""

    folder: Path
    generation: int

    @property
    def vectors(self) -> Path:
        return self.folder / f"vectors.{self.generation}.faiss"

    @property
    def bm25(self) -> Path:
        return self.folder / f"bm25.{self.generation}"

    @property
    def vocabulary(self) -> Path:
        return self.folder / f"vocabulary.{self.generation}.txt"

    def remove(self) -> None:
        self.vectors.unlink(missing_ok=True)
        self.vocabulary.unlink(missing_ok=True)
        shutil.rmtree(self.bm25, ignore_errors=True)


class Catalogue:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.conn = sqlite3.connect(folder / "catalogue.sqlite", isolation_level=None,
                                    check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def state(self) -> IndexState:
        values = {row["key"]: json.loads(row["value"])
                  for row in self.conn.execute("SELECT key, value FROM state")}
        return IndexState(values.get("generation", 0), values.get("model"), values.get("dim"),
                          values.get("vocabulary_hash"), values.get("tokenizer"))

    def set_state(self, state: IndexState) -> None:
        """Inside the caller's transaction."""
        self.conn.executemany("INSERT OR REPLACE INTO state VALUES (?, ?)",
                              [(k, json.dumps(v)) for k, v in vars(state).items()])

    def files(self, generation: int | None = None) -> IndexFiles:
        return IndexFiles(self.folder, self.state().generation if generation is None else generation)

    def document_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT doc_id, content_hash FROM documents").fetchall())

    def units_of(self, doc_id: str) -> dict[str, sqlite3.Row]:
        return {row["clause_id"]: row for row in self.conn.execute(
            "SELECT num, clause_id, hash FROM units WHERE doc_id = ?", (doc_id,))}

    def unit_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT num, clause_id, doc_id, hash FROM units "
                                 "ORDER BY num").fetchall()

    def remove_old_generations(self, keep: int) -> None:
        for path in self.folder.iterdir():
            parts = path.name.split(".")
            if len(parts) >= 2 and parts[0] in ("vectors", "bm25", "vocabulary") \
                    and parts[1].isdigit() and int(parts[1]) != keep:
                IndexFiles(self.folder, int(parts[1])).remove()
