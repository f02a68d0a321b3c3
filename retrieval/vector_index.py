"""Clause vectors in faiss, keyed by int64 unit numbers (the index catalogue maps them to clause
ids).

Inner product over L2-normalised vectors (cosine). Below `APPROXIMATE_FROM` vectors the index is
exact (a flat index); beyond it, an inverted file with 8-bit scalar quantisation (IVF-SQ8): a
quarter of the memory, recall close to exact at the default probe count, and, unlike HNSW, it can
remove vectors in place. Both kinds support incremental add and remove by id.

Saved atomically to one file; loaded either writable (in memory, for updates) or memory-mapped
read-only (for search). faiss aborts the process when a mapped index is written to, so the
read-only flag is enforced here rather than left to faiss.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import faiss
import numpy as np

APPROXIMATE_FROM = 200_000  # vectors; a flat scan of 200k × 384 floats: ~16 ms p50 here
DEFAULT_NPROBE = 64
# MMAP_IFC maps flat codes and IVF lists alike; adding IO_FLAG_MMAP makes faiss 1.15 refuse IVF.
_MMAP_FLAGS = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY


class ReadOnlyIndexError(RuntimeError):
    pass


def ivf_lists_for(n: int) -> int:
    """Inverted lists for n vectors: ~4·√n, the usual faiss rule of thumb, at least 16."""
    return max(16, int(4 * math.sqrt(n)))


class VectorIndex:
    def __init__(self, index: faiss.Index, writable: bool = True, nprobe: int = DEFAULT_NPROBE):
        self._index = index
        self.writable = writable
        self.nprobe = nprobe

    @classmethod
    def exact(cls, dim: int) -> VectorIndex:
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def approximate(cls, training: np.ndarray, n_lists: int | None = None,
                    nprobe: int = DEFAULT_NPROBE) -> VectorIndex:
        """IVF-SQ8 trained on `training` (a sample of the vectors it will hold)."""
        n_lists = n_lists or ivf_lists_for(len(training))
        index = faiss.index_factory(training.shape[1], f"IVF{n_lists},SQ8",
                                    faiss.METRIC_INNER_PRODUCT)
        index.train(_as_float32(training))
        return cls(index, nprobe=nprobe)

    @classmethod
    def for_size(cls, dim: int, n: int, sample: np.ndarray | None = None) -> VectorIndex:
        """The right kind for `n` vectors: exact below APPROXIMATE_FROM, else IVF-SQ8 trained on
        `sample`."""
        if n < APPROXIMATE_FROM or sample is None:
            return cls.exact(dim)
        return cls.approximate(sample, ivf_lists_for(n))

    @property
    def kind(self) -> str:
        return "exact" if isinstance(self._index, faiss.IndexIDMap2) else "ivf-sq8"

    @property
    def dim(self) -> int:
        return self._index.d

    def __len__(self) -> int:
        return self._index.ntotal

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Ids must not be present already (faiss would keep both): remove before re-adding."""
        self._require_writable()
        if len(ids):
            self._index.add_with_ids(_as_float32(vectors), np.asarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        self._require_writable()
        if not len(ids):
            return 0
        return self._index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))

    def search(self, queries: np.ndarray, k: int,
               among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids), each (n_queries, k); missing neighbours have id -1. `among`
        restricts the search to those ids (one document's clauses, say)."""
        queries = _as_float32(np.atleast_2d(queries))
        k = max(1, min(k, len(self))) if len(self) else 1
        selector = None if among is None else \
            faiss.IDSelectorBatch(np.asarray(among, dtype=np.int64))
        if self.kind != "exact":
            params = faiss.SearchParametersIVF(nprobe=self.nprobe, sel=selector)
        else:
            params = faiss.SearchParameters(sel=selector)
        return self._index.search(queries, k, params=params)

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the previous file in place."""
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, writable: bool = False) -> VectorIndex:
        """Writable loads into memory; read-only maps the file."""
        index = faiss.read_index(str(path)) if writable else faiss.read_index(str(path), _MMAP_FLAGS)
        return cls(index, writable=writable)

    def memory_bytes(self) -> int:
        """Bytes of vector codes and ids held (what the index costs in RAM when loaded)."""
        return faiss.serialize_index(self._index).nbytes

    def _require_writable(self) -> None:
        if not self.writable:
            raise ReadOnlyIndexError("this vector index was opened read-only (memory-mapped)")


def _as_float32(vectors: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(vectors, dtype=np.float32)
