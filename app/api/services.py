"""What one running server opens once and shares between requests: the clause store, the search
indexes, the model, the graph, accounts, the audit log and the job queue; and, per caller, the
view of them that caller may see."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from app.graph import graph_built, open_configured_graph
from app.indexes import load_searcher, sync_index
from app.security.access import Principal
from app.security.accounts import AccountStore
from app.security.audit import AuditLog
from app.security.database import app_database_url, open_database
from app.security.graph_scope import GraphScope
from app.settings import Settings
from app.api.jobs import JobQueue
from corpus.errors import BilingualError
from corpus.readers.base import Progress, no_progress
from corpus.scoped_store import ScopedStore
from corpus.store import ClauseStore
from retrieval.search import Searcher

if TYPE_CHECKING:
    from agents.compliance.engine import ComplianceEngine
    from agents.llm.base import ChatBackend
    from kg.graph import GraphStore


class IndexUnavailableError(BilingualError):
    def __init__(self) -> None:
        super().__init__("检索索引尚未建立，请先运行 guihua setup", "the search index has not been "
                         "built: run guihua setup first")


@dataclass(frozen=True)
class CallerView:
    """The store and searcher as one caller may see them."""

    principal: Principal
    store: ScopedStore
    searcher: Searcher | None

    def require_searcher(self) -> Searcher:
        if self.searcher is None:
            raise IndexUnavailableError()
        return self.searcher


class Services:
    def __init__(self, config: Settings) -> None:
        from agents.llm.factory import backend_from_settings
        from kg.domain.loader import land_use_by_code, load_rule_packs

        self.config = config
        self.store = ClauseStore(config.store_path)
        database = open_database(app_database_url(config.data_dir, config.database_url))
        self.database = database
        self.accounts = AccountStore(database)
        self.audit = AuditLog(database)
        self.backend: ChatBackend = backend_from_settings(config)
        self.rules = [rule for pack in load_rule_packs(config.rule_dirs) for rule in pack.rules]
        self.land_use = land_use_by_code()
        self.graph: GraphStore | None = open_configured_graph(config, read_only=True) \
            if graph_built(config) else None
        self.jobs = JobQueue(config.data_dir / "jobs", config.review_workers)
        self._write_lock = threading.Lock()  # one ingest or removal at a time
        self._model_lock = threading.Lock()
        self._scopes: dict[tuple, GraphScope] = {}
        self._engines: dict[tuple, ComplianceEngine] = {}
        self.searcher = load_searcher(config, self.store, self.graph)

    def close(self) -> None:
        self.jobs.shutdown()
        if self.graph is not None:
            self.graph.close()
        self.store.close()
        self.database.dispose()

    # -- per caller --------------------------------------------------------------------------
    def view(self, principal: Principal) -> CallerView:
        store = ScopedStore(self.store, principal.can_see)
        searcher = self.searcher.scoped(store) if self.searcher is not None else None
        return CallerView(principal, store, searcher)

    def graph_scope(self, principal: Principal) -> GraphScope:
        """Cached per clearance and region: building one reads the clause texts."""
        key = (principal.clearance, principal.region, self.store.counts()["documents"])
        scope = self._scopes.get(key)
        if scope is None:
            records = self.store.documents()
            scope = GraphScope([r for r in records if not principal.can_see(r)], self.store,
                               [r for r in records if principal.can_see(r)])
            self._scopes[key] = scope
        return scope

    def model_turn(self) -> AbstractContextManager:
        """A local model generates one answer at a time; extractive answers need no turn."""
        return nullcontext() if self.backend.name == "extractive" else self._model_lock

    def engine(self, view: CallerView, day: date) -> ComplianceEngine:
        """One compliance engine per review date and scope (its findings quote clauses): rule
        packs and code tables load once, not per review."""
        from agents.compliance.engine import ComplianceEngine

        key = (day, view.principal.clearance, view.principal.region)
        engine = self._engines.get(key)
        if engine is None:
            engine = ComplianceEngine.from_domain(view.store, day, tuple(self.config.rule_dirs))
            self._engines[key] = engine
        return engine

    # -- changes -----------------------------------------------------------------------------
    def write_lock(self) -> threading.Lock:
        return self._write_lock

    def after_change(self, progress: Progress = no_progress) -> None:
        """Bring graph and index up to date with the store, then switch searches over."""
        from kg.builder import sync_graph

        if graph_built(self.config):
            with open_configured_graph(self.config) as graph:
                sync_graph(graph, self.store, progress, self.config.rule_dirs)
        sync_index(self.config, self.store, progress)
        embedder = self.searcher.embedder if self.searcher is not None else None
        self.searcher = load_searcher(self.config, self.store, self.graph, embedder)
        self._scopes.clear()
        self._engines.clear()
