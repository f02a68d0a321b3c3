"""Approximate vector search benchmark: the IVF-SQ8 index of `retrieval.vector_index` against an
exact flat scan over the same synthetic vectors, timed in the same process (these machines are
noisy, so only same-process ratios are comparable between runs).

Data: a mixture of gaussian clusters on the unit sphere, shaped like sentence embeddings rather
than uniform noise (topics as cluster centres of uneven size; within a topic, noise concentrated
in a few dominant directions, so near neighbours are genuinely nearer than the rest of the topic).
Queries are fresh draws from the same mixture, not copies of indexed points.

Baseline: a plain `faiss.IndexFlatIP` over the same vectors — build seconds, single-query latency
p50/p95 and memory (n·dim·4 bytes) — whose top-10 is the ground truth for recall.

Measured for the approximate index: train, add and total build seconds; memory and its ratio to
the flat index; for each probe count, recall@10 against exact, single-query latency p50/p95 and
the p50 as a ratio of the exact p50 (lower is better); one incremental update (remove 1,000 ids,
add 1,000 vectors) and the recall after it; save, memory-mapped load, and whether the mapped index
returns the same ids as the one in memory.

`python -m eval.ann_bench --n 200000` prints the metrics as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import faiss
import numpy as np

from retrieval.vector_index import VectorIndex, ivf_lists_for

K = 10
NPROBES = (16, 32, 64, 128)
UPDATE_SIZE = 1_000
_CHUNK = 100_000  # vectors generated / added at a time: ~150 MB of float32 at dim 384
_NOISE_RANK = 48  # directions that carry most of the within-topic spread


class _Mixture:
    """Gaussian clusters around random unit centres, drawn in chunks, L2-normalised."""

    def __init__(self, dim: int, n_centres: int, rng: np.random.Generator):
        self.dim = dim
        self.rng = rng
        self.centres = _unit(rng.standard_normal((n_centres, dim), dtype=np.float32))
        # Topic sizes follow a long tail (a few big topics, many small), like real corpora.
        weights = rng.lognormal(0.0, 1.0, n_centres)
        self.weights = weights / weights.sum()
        # Per-direction noise scale: large in the first _NOISE_RANK directions of a random basis,
        # small elsewhere; the total noise norm is ~1, i.e. ~0.7 cosine between a point and its
        # centre, which is typical of sentence embeddings within one topic.
        scale = np.full(dim, 0.25, dtype=np.float32)
        scale[:min(_NOISE_RANK, dim)] = 1.0
        self.scale = scale / np.linalg.norm(scale)
        self.basis = np.linalg.qr(rng.standard_normal((dim, dim)))[0].astype(np.float32)

    def draw(self, n: int) -> np.ndarray:
        out = np.empty((n, self.dim), dtype=np.float32)
        for start in range(0, n, _CHUNK):
            size = min(_CHUNK, n - start)
            topic = self.rng.choice(len(self.centres), size=size, p=self.weights)
            noise = self.rng.standard_normal((size, self.dim), dtype=np.float32) * self.scale
            out[start:start + size] = _unit(self.centres[topic] + noise @ self.basis)
        return out


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@contextmanager
def _threads(n: int) -> Iterator[None]:
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _latency(search: Callable[[np.ndarray], object], queries: np.ndarray) -> dict[str, float]:
    """Single-query latency, one query at a time on one thread: a lone query split over OpenMP
    threads is several times slower in faiss on these 2-core machines (measured), and a server
    answers one query per thread anyway."""
    times = []
    with _threads(1):
        search(queries[:1])  # warm caches
        for query in queries:
            start = time.perf_counter()
            search(query[None])
            times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(float(np.percentile(times, 50)), 3),
            "p95_ms": round(float(np.percentile(times, 95)), 3)}


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of the true top-k found in the returned top-k (recall@k)."""
    hits = sum(len(np.intersect1d(f, t)) for f, t in zip(found, truth))
    return round(hits / truth.size, 4)


def _training_sample(vectors: np.ndarray, n_lists: int, rng: np.random.Generator) -> np.ndarray:
    """~40 points per list (below 39 faiss warns the centroids are poor), at least 50k for the
    quantiser's ranges, capped at 200k: beyond that k-means costs time and buys no recall."""
    size = min(len(vectors), max(40 * n_lists, 50_000), 200_000)
    return vectors[np.sort(rng.choice(len(vectors), size=size, replace=False))]


def _exact_phase(vectors: np.ndarray, queries: np.ndarray,
                 metrics: dict) -> tuple[faiss.Index, np.ndarray]:
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    metrics["exact_build_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    truth = flat.search(queries, K)[1]
    metrics["exact_batch_search_s"] = round(time.perf_counter() - start, 2)
    latency = _latency(lambda q: flat.search(q, K), queries)
    metrics["exact_p50_ms"], metrics["exact_p95_ms"] = latency["p50_ms"], latency["p95_ms"]
    metrics["exact_memory_bytes"] = vectors.shape[0] * vectors.shape[1] * 4
    return flat, truth


def _build_approximate(vectors: np.ndarray, rng: np.random.Generator, metrics: dict,
                       progress: Callable[[str], None]) -> VectorIndex:
    n_lists = ivf_lists_for(len(vectors))  # what VectorIndex.for_size would choose
    sample = _training_sample(vectors, n_lists, rng)
    progress(f"training IVF{n_lists},SQ8 on {len(sample):,} vectors")
    start = time.perf_counter()
    index = VectorIndex.approximate(sample, n_lists)
    train_s = time.perf_counter() - start
    metrics.update({"ivf_lists": n_lists, "train_sample": len(sample)})
    del sample
    start = time.perf_counter()
    for begin in range(0, len(vectors), _CHUNK):
        end = min(begin + _CHUNK, len(vectors))
        index.add(np.arange(begin, end), vectors[begin:end])
        progress(f"added {end:,}/{len(vectors):,}")
    add_s = time.perf_counter() - start
    metrics.update({"train_s": round(train_s, 2), "add_s": round(add_s, 2),
                    "build_s": round(train_s + add_s, 2)})
    # memory_bytes() serialises the index: codes (n·dim bytes) + ids (n·8) + centroids, exactly
    # what a load costs; one extra copy for a moment, affordable at a million vectors.
    metrics["ivf_memory_bytes"] = index.memory_bytes()
    metrics["memory_ratio_vs_exact"] = round(metrics["ivf_memory_bytes"]
                                             / metrics["exact_memory_bytes"], 3)
    return index


def _probe_sweep(index: VectorIndex, queries: np.ndarray, truth: np.ndarray, metrics: dict) -> None:
    default = index.nprobe
    for nprobe in NPROBES:
        index.nprobe = nprobe
        metrics[f"nprobe{nprobe}_recall_at_10"] = _recall(index.search(queries, K)[1], truth)
        latency = _latency(lambda q: index.search(q, K), queries)
        metrics[f"nprobe{nprobe}_p50_ms"] = latency["p50_ms"]
        metrics[f"nprobe{nprobe}_p95_ms"] = latency["p95_ms"]
        metrics[f"nprobe{nprobe}_latency_ratio_vs_exact"] = round(
            latency["p50_ms"] / metrics["exact_p50_ms"], 4)
    index.nprobe = default


def _update_phase(index: VectorIndex, flat: faiss.Index, mixture: _Mixture, queries: np.ndarray,
                  rng: np.random.Generator, metrics: dict) -> None:
    """Remove 1,000 ids and add 1,000 new vectors; recall is then measured against an exact
    search over the updated set (the flat index gets the same additions, the removed ids are
    excluded with a selector: ids are row numbers in both indexes)."""
    n = len(index)
    removed = np.sort(rng.choice(n, size=min(UPDATE_SIZE, n // 2), replace=False))
    added = mixture.draw(UPDATE_SIZE)
    added_ids = np.arange(n, n + UPDATE_SIZE)
    start = time.perf_counter()
    gone = index.remove(removed)
    remove_s = time.perf_counter() - start
    start = time.perf_counter()
    index.add(added_ids, added)
    add_s = time.perf_counter() - start
    flat.add(added)
    params = faiss.SearchParameters(sel=faiss.IDSelectorNot(faiss.IDSelectorBatch(removed)))
    truth = flat.search(queries, K, params=params)[1]
    found = index.search(queries, K)[1]
    recall = _recall(found, truth)
    metrics.update({
        "update_removed": int(gone), "update_remove_s": round(remove_s, 3),
        "update_add_s": round(add_s, 3), "update_s": round(remove_s + add_s, 3),
        "update_len_ok": len(index) == n - len(removed) + UPDATE_SIZE,
        "update_removed_ids_returned": int(np.isin(found, removed).sum()),
        f"update_nprobe{index.nprobe}_recall_at_10": recall,
        "update_recall_delta": round(recall - metrics[f"nprobe{index.nprobe}_recall_at_10"], 4),
    })


def _mmap_phase(index: VectorIndex, queries: np.ndarray, metrics: dict) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.faiss"
        start = time.perf_counter()
        index.save(path)
        metrics["save_s"] = round(time.perf_counter() - start, 2)
        metrics["file_bytes"] = path.stat().st_size
        try:
            _compare_mapped(path, index, queries, metrics)
        except RuntimeError as exc:  # faiss refused the load: report it, keep the other metrics
            metrics["mmap_load_error"] = str(exc).split("Error: ")[-1].strip()[:200]


def _compare_mapped(path: Path, index: VectorIndex, queries: np.ndarray, metrics: dict) -> None:
    """Load `path` read-only (memory-mapped) and compare its answers with `index`'s. A function
    of its own so the mapping is dropped before the temporary directory is removed."""
    start = time.perf_counter()
    mapped = VectorIndex.load(path)
    metrics["mmap_load_s"] = round(time.perf_counter() - start, 3)
    mapped.nprobe = index.nprobe  # nprobe is not saved with the index
    metrics["mmap_kind"] = mapped.kind
    metrics["mmap_search_identical"] = bool(
        np.array_equal(mapped.search(queries, K)[1], index.search(queries, K)[1]))
    metrics["mmap_p50_ms"] = _latency(lambda q: mapped.search(q, K), queries)["p50_ms"]


def run_ann_bench(n: int = 1_000_000, dim: int = 384, n_queries: int = 200, seed: int = 0,
                  progress: Callable[[str], None] | None = None) -> dict:
    progress = progress or (lambda _message: None)
    rng = np.random.default_rng(seed)
    metrics: dict = {"n": n, "dim": dim, "queries": n_queries, "k": K,
                     "threads": os.cpu_count() or 1}
    started = time.perf_counter()
    with _threads(metrics["threads"]):
        # A few thousand topics at a million vectors, fewer when small so topics keep ~100+ points.
        mixture = _Mixture(dim, max(50, min(3_000, n // 300)), rng)
        progress(f"generating {n:,} × {dim} vectors in {len(mixture.centres):,} clusters")
        start = time.perf_counter()
        vectors = mixture.draw(n)
        queries = mixture.draw(n_queries)
        metrics["generate_s"] = round(time.perf_counter() - start, 1)
        progress("exact baseline")
        flat, truth = _exact_phase(vectors, queries, metrics)
        index = _build_approximate(vectors, rng, metrics, progress)
        progress("probe sweep")
        _probe_sweep(index, queries, truth, metrics)
        progress("incremental update")
        _update_phase(index, flat, mixture, queries, rng, metrics)
        progress("save and memory-mapped load")
        _mmap_phase(index, queries, metrics)
    metrics["total_s"] = round(time.perf_counter() - started, 1)
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m eval.ann_bench",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="vectors to index")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    def report(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    metrics = run_ann_bench(args.n, args.dim, args.queries, args.seed, progress=report)
    print(json.dumps(metrics, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
