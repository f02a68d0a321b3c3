"""Keeps the search indexes (BM25 and faiss) in step with the clause store, incrementally.

A sync compares each document's content hash with the one indexed: only new, changed and removed
documents are touched, and inside a changed document only clauses whose text changed get new
vectors (from the embedding cache when that text was embedded before). The new generation of
index files is written beside the current one and switched to in one catalogue commit, so a
failure leaves the previous indexes as they were.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from corpus.definitions import find_definitions
from corpus.readers.base import Progress, no_progress
from corpus.store import ClauseStore
from retrieval import vector_index
from retrieval.catalogue import Catalogue, IndexFiles, IndexState
from retrieval.embedding_cache import EmbeddingCache
from retrieval.embeddings import Embedder
from retrieval.lexical import TOKENIZER, Bm25Index, SegmenterVocabulary, dump_tokens
from retrieval.units import Unit, units_of
from retrieval.vector_index import VectorIndex

_RETOKENIZE_ALL_ABOVE = 2000  # changed dictionary words; beyond this a full pass is cheaper


@dataclass
class IndexReport:
    units: int = 0
    documents_changed: int = 0
    documents_removed: int = 0
    units_added: int = 0
    units_updated: int = 0
    units_removed: int = 0
    retokenized: int = 0
    vectors_embedded: int = 0
    dense: bool = False
    model: str | None = None
    vector_index: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Plan:
    """What a sync will change, worked out before anything is written."""

    removed_docs: list[str] = field(default_factory=list)
    changed_docs: dict[str, str] = field(default_factory=dict)  # doc_id → content hash
    doc_terms: dict[str, list[str]] = field(default_factory=dict)
    new_units: list[Unit] = field(default_factory=list)  # not indexed yet
    changed_units: list[tuple[int, Unit]] = field(default_factory=list)  # (num, new text)
    stale_nums: list[int] = field(default_factory=list)  # units that no longer exist


class IndexBuilder:
    def __init__(self, store: ClauseStore, catalogue: Catalogue, cache: EmbeddingCache,
                 embedder: Embedder | None) -> None:
        self.store, self.catalogue, self.cache, self.embedder = store, catalogue, cache, embedder

    def sync(self, progress: Progress = no_progress) -> IndexReport:
        report = IndexReport(dense=self.embedder is not None,
                             model=self.embedder.name if self.embedder else None)
        clock = time.perf_counter()
        state = self.catalogue.state()
        plan = self._plan(progress)
        model_changed = (self.embedder.name if self.embedder else None) != state.model
        tokenizer_changed = state.generation > 0 and state.tokenizer != TOKENIZER
        if not plan.removed_docs and not plan.changed_docs and not model_changed \
                and not tokenizer_changed:
            report.units = self._count_units()
            report.vector_index = self._vector_kind(state)
            return report
        report.seconds["plan"] = round(time.perf_counter() - clock, 2)

        vectors, report.vectors_embedded = self._vectors(plan, model_changed, progress)
        report.seconds["embed"] = round(time.perf_counter() - clock - report.seconds["plan"], 2)

        new = IndexFiles(self.catalogue.folder, state.generation + 1)
        new.remove()  # leftovers of an interrupted sync
        conn = self.catalogue.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            added_nums = self._apply_units(plan, report)
            vocabulary, report.retokenized = self._vocabulary(state, plan, progress)
            vocabulary.save(new.vocabulary)
            self._write_bm25(new)
            dim = self._write_vectors(state, new, plan, added_nums, vectors, model_changed)
            vocab_hash = _hash_words(vocabulary.words)
            self.catalogue.set_state(IndexState(new.generation, report.model, dim, vocab_hash,
                                                TOKENIZER))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            new.remove()
            raise
        self.catalogue.remove_old_generations(keep=new.generation)
        report.units = self._count_units()
        report.documents_changed = len(plan.changed_docs)
        report.documents_removed = len(plan.removed_docs)
        report.vector_index = self._vector_kind(self.catalogue.state())
        report.seconds["total"] = round(time.perf_counter() - clock, 2)
        return report

    # ------------------------------------------------------------------ planning

    def _plan(self, progress: Progress) -> _Plan:
        plan = _Plan()
        indexed = self.catalogue.document_hashes()
        records = {r.doc_id: r for r in self.store.documents()}
        plan.removed_docs = [d for d in indexed if d not in records]
        plan.changed_docs = {d: r.content_hash for d, r in records.items()
                             if indexed.get(d) != r.content_hash}
        for done, doc_id in enumerate(plan.changed_docs, 1):
            progress(done, len(plan.changed_docs), doc_id)
            units = list(units_of(self.store, records[doc_id]))
            plan.doc_terms[doc_id] = sorted({d.term for u in units for d in find_definitions(u.text)})
            old = self.catalogue.units_of(doc_id)
            current = {u.clause_id for u in units}
            plan.stale_nums += [row["num"] for cid, row in old.items() if cid not in current]
            for unit in units:
                row = old.get(unit.clause_id)
                if row is None:
                    plan.new_units.append(unit)
                elif row["hash"] != unit.content_hash:
                    plan.changed_units.append((row["num"], unit))
        for doc_id in plan.removed_docs:
            plan.stale_nums += [row["num"] for row in self.catalogue.units_of(doc_id).values()]
        return plan

    def _vectors(self, plan: _Plan, model_changed: bool,
                 progress: Progress) -> tuple[dict[str, np.ndarray], int]:
        """Vectors by content hash for every unit the faiss index must (re)receive."""
        if self.embedder is None:
            return {}, 0
        texts = {u.content_hash: u.embedded_text
                 for u in plan.new_units + [u for _, u in plan.changed_units]}
        if model_changed:  # every unit needs a vector of the new model
            texts.update(self._all_unit_texts(plan))
        cached = len(self.cache.get(self.embedder.name, texts))
        vectors = self.cache.vectors_for(self.embedder, texts, progress)
        return vectors, len(texts) - cached

    def _all_unit_texts(self, plan: _Plan) -> dict[str, str]:
        """Texts of the indexed units that this sync keeps as they are."""
        touched = set(plan.changed_docs) | set(plan.removed_docs)
        keep = {row["doc_id"] for row in self.catalogue.unit_rows()} - touched
        texts: dict[str, str] = {}
        for doc_id in keep:
            for unit in units_of(self.store, self.store.document(doc_id)):
                texts[unit.content_hash] = unit.embedded_text
        return texts

    # ------------------------------------------------------------------ writing

    def _apply_units(self, plan: _Plan, report: IndexReport) -> list[int]:
        conn = self.catalogue.conn
        for doc_id in plan.removed_docs:
            conn.execute("DELETE FROM units WHERE doc_id = ?", (doc_id,))
            conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
        if plan.stale_nums:
            conn.executemany("DELETE FROM units WHERE num = ?", [(n,) for n in plan.stale_nums])
        conn.executemany("UPDATE units SET hash = ?, tokens = '' WHERE num = ?",
                         [(u.content_hash, num) for num, u in plan.changed_units])
        added: list[int] = []
        for unit in plan.new_units:
            cursor = conn.execute("INSERT INTO units (clause_id, doc_id, hash, tokens) "
                                  "VALUES (?, ?, ?, '')",
                                  (unit.clause_id, unit.doc_id, unit.content_hash))
            added.append(int(cursor.lastrowid))
        conn.executemany("INSERT OR REPLACE INTO documents VALUES (?, ?)",
                         list(plan.changed_docs.items()))
        conn.executemany("DELETE FROM terms WHERE doc_id = ?", [(d,) for d in plan.removed_docs])
        conn.executemany("INSERT OR REPLACE INTO terms VALUES (?, ?)",
                         [(d, "\n".join(t)) for d, t in plan.doc_terms.items()])
        report.units_added, report.units_updated = len(added), len(plan.changed_units)
        report.units_removed = len(plan.stale_nums)
        return added

    def _vocabulary(self, state: IndexState, plan: _Plan,
                    progress: Progress) -> tuple[SegmenterVocabulary, int]:
        """The segmenter dictionary from the store as it is now, and the units tokenised again:
        new or changed ones, and those containing a word that entered or left the dictionary."""
        from kg.linking import (
            build_vocabulary,  # spaCy loads with it: only when indexing
        )

        conn = self.catalogue.conn
        terms = [t for (text,) in conn.execute("SELECT terms FROM terms") for t in text.split("\n")
                 if t]
        names = [(r.short_name, r.title) for r in self.store.documents()]
        words = [surface for _, _, surface in build_vocabulary(names, terms)]
        vocabulary = SegmenterVocabulary(words)
        old_files = IndexFiles(self.catalogue.folder, state.generation)
        old_words = set(SegmenterVocabulary.load(old_files.vocabulary).words) \
            if state.vocabulary_hash else set()
        changed_words = old_words ^ set(vocabulary.words)
        if not old_words or len(changed_words) > _RETOKENIZE_ALL_ABOVE \
                or state.tokenizer != TOKENIZER:
            rows = conn.execute("SELECT num, clause_id FROM units").fetchall()
        else:
            rows = conn.execute("SELECT num, clause_id FROM units WHERE tokens = ''").fetchall()
            if changed_words:
                pattern = re.compile("|".join(map(re.escape, sorted(changed_words, key=len,
                                                                       reverse=True))))
                rows += [r for r in conn.execute("SELECT num, clause_id FROM units "
                                                 "WHERE tokens != ''")
                         if pattern.search(self._indexed_text(r["clause_id"]))]
        for done, row in enumerate(rows, 1):
            if done % 200 == 0 or done == len(rows):
                progress(done, len(rows), "分词 / tokenising")
            tokens = vocabulary.tokens(self._indexed_text(row["clause_id"]))
            conn.execute("UPDATE units SET tokens = ? WHERE num = ?",
                         (dump_tokens(tokens), row["num"]))
        return vocabulary, len(rows)

    def _indexed_text(self, clause_id: str) -> str:
        clause = self.store.clause(clause_id)
        record = self.store.document(clause.doc_id)
        return Unit(clause.id, clause.doc_id, record.short_name, clause.label,
                    clause.text).indexed_text

    def _write_bm25(self, files: IndexFiles) -> None:
        rows = self.catalogue.conn.execute("SELECT num, tokens FROM units ORDER BY num").fetchall()
        index = Bm25Index.build([r["num"] for r in rows], [json.loads(r["tokens"]) for r in rows])
        index.save(files.bm25)

    def _write_vectors(self, state: IndexState, files: IndexFiles, plan: _Plan,
                       added_nums: list[int], vectors: dict[str, np.ndarray],
                       model_changed: bool) -> int | None:
        if self.embedder is None:
            return None
        rows = self.catalogue.unit_rows()
        old_path = self.catalogue.files(state.generation).vectors
        if model_changed or not old_path.exists() or self._kind_changes(old_path, len(rows)):
            index = self._fresh_index(rows, vectors)
        else:
            index = VectorIndex.load(old_path, writable=True)
            changed = [num for num, _ in plan.changed_units]
            index.remove(np.asarray(plan.stale_nums + changed, dtype=np.int64))
            pairs = list(zip(added_nums, plan.new_units)) + plan.changed_units
            if pairs:
                index.add(np.asarray([n for n, _ in pairs], dtype=np.int64),
                          np.stack([vectors[u.content_hash] for _, u in pairs]))
        index.save(files.vectors)
        return self.embedder.dim

    def _fresh_index(self, rows: list, vectors: dict[str, np.ndarray]) -> VectorIndex:
        missing = {r["hash"] for r in rows} - set(vectors)
        if missing:
            vectors = {**vectors, **self.cache.get(self.embedder.name, missing)}
        matrix = np.stack([vectors[r["hash"]] for r in rows]) if rows else \
            np.zeros((0, self.embedder.dim), dtype=np.float32)
        sample = matrix[np.random.default_rng(0).permutation(len(matrix))[:100_000]]
        index = VectorIndex.for_size(self.embedder.dim, len(rows), sample)
        index.add(np.asarray([r["num"] for r in rows], dtype=np.int64), matrix)
        return index

    @staticmethod
    def _kind_changes(path: Path, n: int) -> bool:
        """Crossing the size threshold either way rebuilds the index as the other kind."""
        wanted = "exact" if n < vector_index.APPROXIMATE_FROM else "ivf-sq8"
        return VectorIndex.load(path).kind != wanted

    def _count_units(self) -> int:
        return self.catalogue.conn.execute("SELECT count(*) FROM units").fetchone()[0]

    def _vector_kind(self, state: IndexState) -> str | None:
        path = self.catalogue.files(state.generation).vectors
        return VectorIndex.load(path).kind if state.model and path.exists() else None


def _hash_words(words: list[str]) -> str:
    return hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()[:16]
