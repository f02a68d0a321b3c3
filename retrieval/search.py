"""Hybrid clause search: explicit references, BM25, dense vectors, graph expansion, date filter.

1. Explicit references in the query (土地管理法第三十五条, 《城乡规划法》第40条) are looked up
   directly and ranked first.
2. BM25 and dense rankings of the units allowed by the filter (in force on the date, level,
   region) are fused by reciprocal rank.
3. With a knowledge graph, the clauses defining terms the query uses and the clauses the top
   hits cite join the fusion as a third, lighter ranking.
4. An optional reranker reorders the head of the list.
Each hit says which of these found it (`via`).
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from corpus.errors import AmbiguousNameError, GuihuaError, NotFoundError
from corpus.scoped_store import ScopedStore
from corpus.lookup import article_value
from corpus.references import find_references
from corpus.store import ClauseStore, DocumentRecord
from retrieval.catalogue import Catalogue
from retrieval.embeddings import Embedder
from retrieval.expansion import GraphExpander
from retrieval.filters import DocumentFilter
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.lexical import Bm25Index, SegmenterVocabulary
from retrieval.rerank import Reranker
from retrieval.vector_index import VectorIndex

Mode = Literal["hybrid", "bm25", "dense"]
CANDIDATES = 50  # per ranking, before fusion
EXPANSION_WEIGHT = 0.5  # graph neighbours support, they should not outrank direct matches
NAMED_WEIGHT = 2.5  # a question that names a law is asked about that law
# Local regulations restate national law for their region; a question that names no region (and
# a search without --region) is about the national rule, so other regions' copies step back.
LOCAL_ELSEWHERE = 0.5
_REGION_SUFFIX = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "县", "区", "州", "盟")
EXPAND_FROM_TOP = 3  # hits whose citations are followed
RERANK_TOP = 20


class IndexNotBuiltError(GuihuaError):
    def __init__(self) -> None:
        super().__init__("检索索引尚未建立，请先运行 guihua setup（或 guihua index）/ "
                         "the search index is not built: run guihua setup (or guihua index)")


@dataclass
class Hit:
    id: str
    law: str
    article: int | str
    text: str
    score: float
    level: str
    status: str
    valid_from: str | None
    valid_to: str | None
    source: str
    title: str = ""
    label: str = ""
    via: list[str] = field(default_factory=list)  # reference, named, bm25, dense, defines, cited
    also_in: list[str] = field(default_factory=list)  # other clauses with the same text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SearchResult:
    query: str
    as_of: str
    hits: list[Hit]
    excluded: list[dict]  # documents a filter left out of the candidates, with the reason
    notes: list[str]
    missing: list[str] = field(default_factory=list)  # documents the query names, not in corpus

    def to_dict(self) -> dict:
        return {"query": self.query, "as_of": self.as_of,
                "hits": [h.to_dict() for h in self.hits], "excluded": self.excluded,
                "notes": self.notes, "missing": self.missing}


class Searcher:
    """Opens the current generation of the indexes read-only (memory-mapped)."""

    def __init__(self, store: ClauseStore, folder: Path, embedder: Embedder | None = None,
                 expander: GraphExpander | None = None, reranker: Reranker | None = None) -> None:
        catalogue = Catalogue(folder)
        try:
            state = catalogue.state()
            files = catalogue.files(state.generation)
            if state.generation == 0 or not files.bm25.exists():
                raise IndexNotBuiltError()
            rows = catalogue.unit_rows()
            terms = {t for (text,) in catalogue.conn.execute("SELECT terms FROM terms")
                     for t in text.split("\n") if t}
        finally:
            catalogue.close()
        self.store = store
        self._clause_ids = {r["num"]: r["clause_id"] for r in rows}
        self._doc_of = {r["num"]: r["doc_id"] for r in rows}
        self._records: dict[str, DocumentRecord] = {r.doc_id: r for r in store.documents()}
        self._vocabulary = SegmenterVocabulary.load(files.vocabulary)
        self._bm25 = Bm25Index.load(files.bm25)
        self._bm25_docs = np.asarray([self._doc_of[int(n)] for n in self._bm25.nums], dtype=object)
        self._bm25_rows: dict[str, list[int]] = {}
        for row, doc_id in enumerate(self._bm25_docs):
            self._bm25_rows.setdefault(doc_id, []).append(row)
        self._surfaces = _document_surfaces(self._records.values())
        self._regions = {r.region for r in self._records.values() if r.region}
        self._vectors = VectorIndex.load(files.vectors) \
            if state.model and files.vectors.exists() else None
        if embedder is not None and self._vectors is not None and embedder.name != state.model:
            raise GuihuaError(f"索引向量来自 {state.model}，当前模型为 {embedder.name}，请运行 "
                              f"guihua index / the index holds {state.model} vectors but the "
                              f"model is {embedder.name}: run guihua index")
        self.embedder = embedder if self._vectors is not None else None
        self.expander, self.reranker = expander, reranker
        self._terms = sorted(terms, key=len, reverse=True)  # longest defined term first
        self._cached_query: tuple[str | None, np.ndarray | None] = (None, None)
        self._hidden: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self._clause_ids)

    def scoped(self, store: ScopedStore) -> Searcher:
        """The same loaded indexes, searching only the documents `store` lets its caller see:
        hidden ones are never ranked, named, expanded to or mentioned in notes."""
        view = copy.copy(self)
        view.store = store
        view._records = {d: r for d, r in self._records.items() if store.visible(r)}
        view._hidden = frozenset(self._records) - frozenset(view._records)
        view._surfaces = _document_surfaces(view._records.values())
        view._regions = {r.region for r in view._records.values() if r.region}
        return view

    def search(self, query: str, k: int = 10, as_of: date | None = None, mode: Mode = "hybrid",
               levels: frozenset[str] = frozenset(), region: str | None = None,
               include_inactive: bool = False, expand: bool = True) -> SearchResult:
        day = as_of or date.today()
        keep = DocumentFilter(day, include_inactive, levels, region)
        excluded: Counter[tuple[str, str]] = Counter()
        notes: list[str] = []

        def allowed(doc_id: str) -> bool:
            if doc_id in self._hidden:
                return False
            reason = keep.reason_to_exclude(self._records[doc_id])
            if reason and reason not in ("level", "region"):
                excluded[(doc_id, reason)] += 1
            return reason is None

        missing: list[str] = []
        referenced = self._referenced(query, day, keep, notes, missing)
        rankings: list[list[str]] = []
        weights: list[float] = []
        found_by: dict[str, list[str]] = {cid: ["reference"] for cid in referenced}
        named = [self._version_for(name, day, keep, notes) for name in self._named(query)]
        if named and mode == "hybrid":
            rankings.append(self._within(query, [d for d in named if d]))
            weights.append(NAMED_WEIGHT)
            _tag(found_by, rankings[-1], "named")
        if mode in ("hybrid", "bm25"):
            rankings.append(self._lexical(query, allowed))
            weights.append(1.0)
            _tag(found_by, rankings[-1], "bm25")
        if mode in ("hybrid", "dense"):
            if self.embedder is None:
                notes.append("向量索引未建立，仅用关键词检索 / no dense index: keyword search only")
            else:
                rankings.append(self._dense(query, allowed))
                weights.append(1.0)
                _tag(found_by, rankings[-1], "dense")
        fused = [cid for cid, _ in reciprocal_rank_fusion(rankings, weights=weights)]
        if expand and self.expander is not None and mode == "hybrid":
            neighbours = self._expansion(query, referenced + fused, day, allowed, found_by)
            rankings.append(neighbours)
            weights.append(EXPANSION_WEIGHT)
        scored = self._regional(reciprocal_rank_fusion(rankings, weights=weights), query, region)
        # Room for duplicates dropped below (民法典 and its 物权编 published separately, say).
        top = scored[:max(3 * k, RERANK_TOP if self.reranker else 3 * k)]
        if self.reranker is not None and top:
            texts = [self.store.clause(cid).text for cid, _ in top]
            top = sorted(zip([cid for cid, _ in top], self.reranker.scores(query, texts)),
                         key=lambda pair: -pair[1])
        head = [(cid, 1.0 + 1.0 / (1 + i)) for i, cid in enumerate(referenced)]
        ordered = head + [(cid, s) for cid, s in top if cid not in referenced]
        hits = self._distinct_hits(ordered, k, day, found_by)
        return SearchResult(query, day.isoformat(), hits, self._excluded(excluded), notes, missing)

    # ------------------------------------------------------------------ rankings

    def _referenced(self, query: str, day: date, keep: DocumentFilter, notes: list[str],
                    missing: list[str]) -> list[str]:
        """Clauses the query cites explicitly, in the version the filter allows; documents it
        names in 《》 that the corpus does not hold go to `missing`."""
        found: list[str] = []
        for ref in find_references(query):
            if ref.law is None:
                continue
            try:
                short_name = self.store.resolve_name(ref.law)
            except AmbiguousNameError:
                short_name = self._within_named_law(query, ref.law)
                if short_name is None:
                    notes.append(f"「{ref.law}」对应多个文件，请写出全称 / {ref.law} is ambiguous: "
                                 "name the law in full")
                    continue
            except GuihuaError:
                notes.append(f"语料中没有《{ref.law}》/ {ref.law} is not in the corpus")
                missing.append(ref.law)
                continue
            if ref.article is None:
                continue
            try:
                record = self.store.version_as_of(short_name, None if keep.include_inactive
                                                  else day)
            except GuihuaError:
                continue
            clause_id = f"{record.doc_id}#{ref.article}"
            if clause_id not in found and self._exists(clause_id):
                found.append(clause_id)
        return found

    def _within_named_law(self, query: str, fragment: str) -> str | None:
        """实施条例 in a question about 土地管理法 → 土地管理法实施条例."""
        for name in self._named(query):
            candidate = name + fragment
            if any(r.short_name == candidate for r in self._records.values()):
                return candidate
        return None

    def _named(self, query: str) -> list[str]:
        """Short names of the documents the query mentions by name (longest match wins, so
        土地管理法实施条例 is not also 土地管理法)."""
        taken = [False] * len(query)
        names: list[str] = []
        for surface, short_name in self._surfaces:
            start = query.find(surface)
            while start >= 0:
                end = start + len(surface)
                if not any(taken[start:end]):
                    taken[start:end] = [True] * (end - start)
                    if short_name not in names:
                        names.append(short_name)
                start = query.find(surface, end)
        return names

    def _version_for(self, short_name: str, day: date, keep: DocumentFilter,
                     notes: list[str]) -> str | None:
        """The version of a named document to search: the one in force on `day`, else (a law
        adopted but not yet in force, or repealed) the nearest one, with a note saying so."""
        versions = sorted((r for r in self._records.values() if r.short_name == short_name),
                          key=lambda r: r.valid_from or "")
        if not versions:
            return None
        in_force = [r for r in versions if keep.reason_to_exclude(r) is None]
        if in_force:
            return in_force[-1].doc_id
        if any(keep.reason_to_exclude(r) in ("level", "region") for r in versions):
            return None
        future = [r for r in versions if r.valid_from and r.valid_from > day.isoformat()]
        chosen = future[0] if future else versions[-1]
        status = chosen.status_on(day)
        notes.append(f"《{short_name}》在 {day} {status}（有效期 {chosen.valid_from or '?'} 至 "
                     f"{chosen.valid_to or '今'}）/ {short_name} is not in force on {day}: {status}")
        return chosen.doc_id

    def _within(self, query: str, doc_ids: list[str]) -> list[str]:
        """BM25 and dense rankings restricted to the named documents, fused."""
        rows = [r for d in doc_ids for r in self._bm25_rows.get(d, [])]
        if not rows:
            return []
        rows_arr = np.asarray(rows)
        scores = self._bm25.scores(self._vocabulary.tokens(query))[rows_arr]
        order = rows_arr[np.argsort(-scores)][:CANDIDATES]
        lexical = [self._clause_ids[int(self._bm25.nums[r])] for r in order]
        rankings = [lexical]
        if self.embedder is not None:
            nums = self._bm25.nums[rows_arr]
            _, ids = self._vectors.search(self._query_vector(query), CANDIDATES, among=nums)
            rankings.append([self._clause_ids[int(n)] for n in ids[0] if n >= 0])
        return [cid for cid, _ in reciprocal_rank_fusion(rankings)][:CANDIDATES]

    def forget_query(self) -> None:
        """Drop the cached query embedding (benchmarks time each search from scratch)."""
        self._cached_query = (None, None)

    def _query_vector(self, query: str) -> np.ndarray:
        """Embedding a query is the slowest step of a search: done once per query."""
        cached = self._cached_query  # one read: other threads may search at the same time
        if cached[0] != query:
            cached = (query, self.embedder.embed_query(query))
            self._cached_query = cached
        return cached[1]

    def _exists(self, clause_id: str) -> bool:
        try:
            self.store.clause(clause_id)
        except NotFoundError:
            return False
        return True

    def _lexical(self, query: str, allowed) -> list[str]:
        scores = self._bm25.scores(self._vocabulary.tokens(query))
        order = np.argsort(-scores)
        ranked: list[str] = []
        for row in order:
            if scores[row] <= 0 or len(ranked) >= CANDIDATES:
                break
            if allowed(self._bm25_docs[row]):
                ranked.append(self._clause_ids[int(self._bm25.nums[row])])
        return ranked

    def _dense(self, query: str, allowed) -> list[str]:
        vector = self._query_vector(query)
        depth = CANDIDATES * 4  # room for what the filter removes
        _, ids = self._vectors.search(vector, depth)
        ranked = [self._clause_ids[int(n)] for n in ids[0]
                  if n >= 0 and int(n) in self._doc_of and allowed(self._doc_of[int(n)])]
        return ranked[:CANDIDATES]

    def _expansion(self, query: str, ranked: list[str], day: date, allowed,
                   found_by: dict[str, list[str]]) -> list[str]:
        terms = [t for t in self._terms if t in query]
        defining = self.expander.defining_clauses(terms, day)[:EXPAND_FROM_TOP]
        cited = self.expander.cited_clauses(ranked[:EXPAND_FROM_TOP])
        _tag(found_by, defining, "defines")
        _tag(found_by, cited, "cited")
        known = set(self._clause_ids.values())
        return [cid for cid in dict.fromkeys(defining + cited)
                if cid in known and allowed(cid.split("#", 1)[0])]

    def _regional(self, scored: list[tuple[str, float]], query: str,
                  region: str | None) -> list[tuple[str, float]]:
        asked = {r for r in self._regions if _region_stem(r) in query}
        if region:
            asked |= {r for r in self._regions if region in r or r in region}

        def weight(clause_id: str) -> float:
            own = self._records[clause_id.split("#", 1)[0]].region
            return 1.0 if own is None or own in asked else LOCAL_ELSEWHERE
        rescored = [(cid, score * weight(cid)) for cid, score in scored]
        return sorted(rescored, key=lambda pair: -pair[1])

    # ------------------------------------------------------------------ output

    def _distinct_hits(self, ordered: list[tuple[str, float]], k: int, day: date,
                       found_by: dict[str, list[str]]) -> list[Hit]:
        """The first k hits with distinct text; a later clause with the same words (the same
        article in a code and in its separately published part) is listed in `also_in`."""
        hits: list[Hit] = []
        by_text: dict[str, Hit] = {}
        for clause_id, score in ordered:
            hit = self._hit(clause_id, score, day, found_by.get(clause_id, []))
            key = "".join(hit.text.split())
            if key in by_text:
                by_text[key].also_in.append(hit.id)
                continue
            if len(hits) == k:
                break
            by_text[key] = hit
            hits.append(hit)
        return hits

    def _hit(self, clause_id: str, score: float, day: date, via: list[str]) -> Hit:
        clause = self.store.clause(clause_id)
        record = self._records.get(clause.doc_id) or self.store.document(clause.doc_id)
        return Hit(clause.id, record.short_name, article_value(clause.number), clause.text,
                   round(score, 4), record.level, record.status_on(day), record.valid_from,
                   record.valid_to, record.source, record.title, clause.label, via)

    def _excluded(self, excluded: Counter[tuple[str, str]]) -> list[dict]:
        return [{"doc_id": doc_id, "title": self._records[doc_id].title, "reason": reason,
                 "candidates": n} for (doc_id, reason), n in excluded.most_common()]



def _region_stem(region: str) -> str:
    """浙江省 → 浙江, 郑州市 → 郑州: how questions name a place."""
    for suffix in _REGION_SUFFIX:
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            return region[:-len(suffix)]
    return region


def _document_surfaces(records) -> list[tuple[str, str]]:
    """(surface, short name), longest first: titles, short names, titles without 中华人民共和国.
    Names shorter than four characters (民法, 刑法) are too often ordinary words in questions."""
    pairs: dict[str, str] = {}
    for record in records:
        for surface in (record.short_name, record.title, record.title.removeprefix("中华人民共和国")):
            if len(surface) >= 4:
                pairs.setdefault(surface, record.short_name)
    return sorted(pairs.items(), key=lambda pair: -len(pair[0]))


def _tag(found_by: dict[str, list[str]], ranking: list[str], via: str) -> None:
    for clause_id in ranking:
        found_by.setdefault(clause_id, [])
        if via not in found_by[clause_id]:
            found_by[clause_id].append(via)

