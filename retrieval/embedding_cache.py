"""Embedding cache: vectors keyed by (model, text hash) in their own SQLite file.

Embedding is the slow part of indexing (tens of milliseconds per clause on a small CPU), so a
vector is computed once per model and text: re-ingesting a revised law embeds only the clauses
whose text changed, and an interrupted build resumes where it stopped (every batch is committed
on its own; the cache is content-addressed, so a partial write is never wrong, only incomplete).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from corpus.readers.base import Progress, no_progress
from retrieval.embeddings import Embedder

BATCH = 32


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, "
                           "hash TEXT NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (model, hash))")

    def close(self) -> None:
        self._conn.close()

    def get(self, model: str, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        hashes = list(dict.fromkeys(hashes))
        for start in range(0, len(hashes), 500):  # SQLite's bound-parameter limit
            chunk = hashes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for digest, blob in self._conn.execute(
                    f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({marks})",
                    [model, *chunk]):
                found[digest] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, model: str, hashes: list[str], vectors: np.ndarray) -> None:
        rows = [(model, h, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for h, v in zip(hashes, vectors)]
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)

    def vectors_for(self, embedder: Embedder, items: dict[str, str],
                    progress: Progress = no_progress) -> dict[str, np.ndarray]:
        """Vectors for {hash: text}: cached ones read, the rest embedded in batches (each batch
        committed), with progress counted in texts."""
        vectors = self.get(embedder.name, items)
        missing = [h for h in items if h not in vectors]
        total, done = len(items), len(vectors)
        progress(done, total, "向量 / embedding")
        # Similar lengths in a batch waste less padding.
        missing.sort(key=lambda h: len(items[h]))
        for start in range(0, len(missing), BATCH):
            batch = missing[start:start + BATCH]
            embedded = embedder.embed_passages([items[h] for h in batch])
            self.put(embedder.name, batch, embedded)
            vectors.update(zip(batch, embedded))
            done += len(batch)
            progress(done, total, "向量 / embedding")
        return vectors
