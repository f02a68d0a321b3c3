"""Open the configured graph: an external Neo4j 5 / ArcadeDB (GUIHUA_GRAPH_URL) or the embedded
ArcadeDB server of the data directory, started on demand and left running for the next call."""

from __future__ import annotations

from pathlib import Path

from kg.graph import GraphStore
from kg.server import EmbeddedGraphServer


def embedded_server(data_dir: Path, heap_mb: int = 1024,
                    start_timeout_s: float = 120.0) -> EmbeddedGraphServer:
    return EmbeddedGraphServer(data_dir, heap_mb=heap_mb, start_timeout_s=start_timeout_s)


def open_graph(data_dir: Path, url: str | None = None, user: str = "root",
               password: str | None = None, database: str = "kg", *, read_only: bool = False,
               heap_mb: int = 1024, start_timeout_s: float = 120.0) -> GraphStore:
    if url:
        return GraphStore.connect(url, user, password or "", database, read_only=read_only)
    server = embedded_server(data_dir, heap_mb, start_timeout_s)
    server.ensure_running(detached=True)
    return GraphStore.from_server(server, read_only=read_only)
