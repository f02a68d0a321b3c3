"""Graph benchmark: build time and throughput for the embedded corpus (plus the shared laws),
and latency of the typical queries. Ratios are against baselines timed in the same process:
for the build, bulk-creating the same number of bare nodes and edges with UNWIND (the database's
own write floor); for queries, a `RETURN 1` round trip."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from corpus.ingest import ingest_embedded_laws, ingest_paths
from corpus.store import ClauseStore
from kg import queries
from kg.builder import sync_graph
from kg.graph import GraphStore
from kg.server import EmbeddedGraphServer


def _latency(fn: Callable[[], object], runs: int = 30) -> dict[str, float]:
    fn()  # warm the plan cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2)}


def _baseline_writes(graph: GraphStore, nodes: int, edges: int) -> float:
    """Seconds to CREATE `nodes` bare nodes and `edges` relationships between them."""
    rows = [{"id": f"b{i}"} for i in range(nodes)]
    start = time.perf_counter()
    graph.write_batch("UNWIND $rows AS row CREATE (:BenchNode {id: row.id})", rows, 5000)
    graph.ensure_schema(["CREATE INDEX benchnode_id IF NOT EXISTS FOR (n:BenchNode) ON (n.id)"])
    pairs = [{"a": f"b{i % nodes}", "b": f"b{(i * 7 + 1) % nodes}"} for i in range(edges)]
    graph.write_batch("UNWIND $rows AS row MATCH (a:BenchNode {id: row.a}), "
                      "(b:BenchNode {id: row.b}) CREATE (a)-[:BENCH]->(b)", pairs, 5000)
    elapsed = time.perf_counter() - start
    graph.write("MATCH (n:BenchNode) DETACH DELETE n")
    return elapsed


def run_graph_bench(corpus: Path | None) -> dict:
    metrics: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        with ClauseStore(data / "corpus.sqlite") as store:
            ingest_embedded_laws(store)
            if corpus is not None and (corpus / "laws").is_dir():
                ingest_paths(store, [corpus / "laws"])
            server = EmbeddedGraphServer(data)
            start = time.perf_counter()
            server.ensure_running()
            metrics["server_start_s"] = round(time.perf_counter() - start, 2)
            try:
                with GraphStore.from_server(server) as graph:
                    start = time.perf_counter()
                    report = sync_graph(graph, store)
                    build_s = time.perf_counter() - start
                    stats = queries.stats(graph)
                    nodes = sum(stats["nodes"].values())
                    edges = sum(stats["relationships"].values())
                    metrics.update({
                        "documents": report["documents_loaded"], "nodes": nodes, "edges": edges,
                        "citations": report["citations"],
                        "unresolved_citations": report["unresolved_citations"],
                        "build_s": round(build_s, 1),
                        **{f"build_{k}_s": v for k, v in report["seconds"].items()},
                        "mentions": report["mentions"],
                        "nodes_per_s": round(nodes / build_s),
                        "edges_per_s": round(edges / build_s),
                    })
                    base_s = _baseline_writes(graph, nodes, edges)
                    metrics["baseline_bulk_create_s"] = round(base_s, 1)
                    metrics["build_speed_ratio_vs_bulk_create"] = round(base_s / build_s, 3)
                    start = time.perf_counter()
                    noop = sync_graph(graph, store)
                    metrics["noop_sync_s"] = round(time.perf_counter() - start, 2)
                    metrics["noop_sync_loaded"] = noop["documents_loaded"]
                    checks = {
                        "return_1": lambda: graph.run("RETURN 1 AS x"),
                        "cites": lambda: queries.cites(graph, "土地管理法实施条例@2021-07-02#26"),
                        "cited_by": lambda: queries.cited_by(graph, "土地管理法@2019-08-26#44"),
                        "versions_as_of": lambda: queries.versions_in_force(
                            graph, "土地管理法", date(2020, 1, 1)),
                        "definition": lambda: queries.definitions(graph, "永久基本农田"),
                        "land_use": lambda: queries.land_use(graph, "0701"),
                    }
                    latencies = {name: _latency(fn) for name, fn in checks.items()}
                    base = latencies["return_1"]["p50_ms"]
                    for name, values in latencies.items():
                        metrics[f"query_{name}_p50_ms"] = values["p50_ms"]
                        metrics[f"query_{name}_p95_ms"] = values["p95_ms"]
                        if name != "return_1":
                            metrics[f"query_{name}_p50_ratio_vs_return_1"] = round(
                                values["p50_ms"] / base, 2)
            finally:
                server.stop()
    return metrics
