"""The knowledge graph the settings point at: an external server or the embedded one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.settings import Settings

if TYPE_CHECKING:
    from kg.graph import GraphStore


def open_configured_graph(config: Settings, read_only: bool = False) -> GraphStore:
    from kg.connect import open_graph

    password = config.graph_password.get_secret_value() if config.graph_password else None
    return open_graph(config.data_dir, config.graph_url, config.graph_user, password,
                      config.graph_database, read_only=read_only, heap_mb=config.graph_heap_mb,
                      start_timeout_s=config.graph_start_timeout_s)


def graph_built(config: Settings) -> bool:
    """An external graph, or an embedded one that `guihua setup` has created."""
    return bool(config.graph_url) or (config.data_dir / "graph").is_dir()
