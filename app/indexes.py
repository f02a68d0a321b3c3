"""Wiring from settings to the search indexes: keep them in step with the clause store, and open
a searcher (with the knowledge graph for expansion when one has been built)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

from app.graph import graph_built, open_configured_graph
from app.settings import Settings
from corpus.readers.base import Progress, no_progress
from corpus.store import ClauseStore
from retrieval.catalogue import Catalogue
from retrieval.embedding_cache import EmbeddingCache
from retrieval.embeddings import Embedder, load_embedder
from retrieval.indexer import IndexBuilder, IndexReport
from retrieval.search import Searcher

if TYPE_CHECKING:
    from kg.graph import GraphStore

NO_DENSE = "none"


def _embedder(config: Settings, dense: bool) -> Embedder | None:
    return load_embedder(config.embedding_model) \
        if dense and config.embedding_model != NO_DENSE else None


def sync_index(config: Settings, store: ClauseStore, progress: Progress = no_progress,
               dense: bool | None = None) -> IndexReport:
    """Bring the indexes up to date. `dense` None keeps the index's current kind (dense unless
    it was built keyword-only, or GUIHUA_EMBEDDING_MODEL=none)."""
    catalogue = Catalogue(config.index_dir)
    cache = EmbeddingCache(config.index_dir / "embeddings.sqlite")
    try:
        if dense is None:
            state = catalogue.state()
            dense = state.generation == 0 or state.model is not None
        builder = IndexBuilder(store, catalogue, cache, _embedder(config, dense))
        return builder.sync(progress)
    finally:
        cache.close()
        catalogue.close()


@contextmanager
def open_searcher(config: Settings, store: ClauseStore, use_graph: bool = True
                  ) -> Iterator[Searcher]:
    """A searcher over the current indexes; graph expansion when a graph exists (the embedded
    server is started if it is not running)."""
    catalogue = Catalogue(config.index_dir)
    try:
        dense = catalogue.state().model is not None
    finally:
        catalogue.close()
    with ExitStack() as stack:
        expander = reranker = None
        if use_graph and graph_built(config):
            from retrieval.expansion import GraphExpander

            graph = stack.enter_context(open_configured_graph(config, read_only=True))
            expander = GraphExpander(graph)
        if config.reranker_model:
            from retrieval.rerank import CrossEncoderReranker

            reranker = CrossEncoderReranker(config.reranker_model)
        yield Searcher(store, config.index_dir, _embedder(config, dense), expander, reranker)


def load_searcher(config: Settings, store: ClauseStore, graph: GraphStore | None = None,
                  embedder: Embedder | None = None) -> Searcher | None:
    """A searcher for a long-running server over the current index generation, or None when
    no index has been built. `embedder` is reused across reloads (loading it takes seconds)."""
    if not (config.index_dir / "catalogue.sqlite").exists():
        return None
    catalogue = Catalogue(config.index_dir)
    try:
        state = catalogue.state()
    finally:
        catalogue.close()
    if state.generation == 0:
        return None
    if state.model is not None and embedder is None:
        embedder = _embedder(config, True)
    expander = None
    if graph is not None:
        from retrieval.expansion import GraphExpander

        expander = GraphExpander(graph)
    reranker = None
    if config.reranker_model:
        from retrieval.rerank import CrossEncoderReranker

        reranker = CrossEncoderReranker(config.reranker_model)
    return Searcher(store, config.index_dir, embedder if state.model else None, expander,
                    reranker)


@contextmanager
def index_searcher(config: Settings, store: ClauseStore) -> Iterator[Searcher | None]:
    """A searcher (no graph expansion) when the indexes have been built, else None: for work
    that is better with clauses to show but must not need them (plan review)."""
    if not (config.index_dir / "catalogue.sqlite").exists():
        yield None
        return
    catalogue = Catalogue(config.index_dir)
    try:
        built = catalogue.state().generation > 0
    finally:
        catalogue.close()
    if not built:
        yield None
        return
    with open_searcher(config, store, use_graph=False) as searcher:
        yield searcher
