"""Keeps the graph in step with the clause store, incrementally.

The store logs every write (`changes`); the graph remembers the last change it applied. A sync
replays what came after: a changed or removed document's contribution is deleted (everything
whose `ingest` is its doc_id), the current text is loaded, the versions of the touched laws are
relinked (valid_to, SUPERSEDES), and citations are resolved again for the documents that point
at a touched law. Nothing is rebuilt from scratch.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from corpus.definitions import find_definitions
from corpus.errors import GuihuaError
from corpus.readers.base import Progress, no_progress
from corpus.references import amended_titles, find_references, repealed_titles
from corpus.store import ClauseRecord, ClauseStore, DocumentRecord
from kg.fulltext import ensure_clause_index
from kg.graph import GraphStore
from kg.ontology import VERSION as ONTOLOGY_VERSION
from kg.ontology import schema_statements
from kg.resolver import ReferenceResolver

# Clause kinds whose own text carries references (an article's text repeats its 款, so
# references are taken from the 款/项/目 and attached there).
_CITING_KINDS = {"款", "项", "目", "条文", "段", "全文", "表"}
_STRUCTURE_KINDS = {"编", "分编", "章", "节", "附录"}


@dataclass
class SyncReport:
    documents_loaded: int = 0
    documents_removed: int = 0
    clauses: int = 0
    citations: int = 0
    unresolved_citations: int = 0
    definitions: int = 0
    last_change: int = 0
    touched: list[str] = field(default_factory=list)
    loaded: list[str] = field(default_factory=list)
    mentions: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per phase

    def to_dict(self) -> dict:
        return self.__dict__.copy()


class GraphBuilder:
    def __init__(self, graph: GraphStore, store: ClauseStore, batch_size: int = 2000) -> None:
        self.graph = graph
        self.store = store
        self.batch_size = batch_size
        self.resolver = ReferenceResolver(store)

    # ---- entry point ------------------------------------------------------------------

    def sync(self, progress: Progress = no_progress) -> SyncReport:
        self.graph.ensure_schema(schema_statements())
        last, built_with = self._last_applied()
        full = built_with != ONTOLOGY_VERSION
        changes = self.store.changes_since(0 if full else last)
        report = SyncReport(last_change=last)
        if not changes and not full:
            return report
        doc_ids = list(dict.fromkeys(c["doc_id"] for c in changes))
        if full:  # rebuild every document the graph or the store knows
            in_graph = [r["id"] for r in self.graph.run("MATCH (v:Version) RETURN v.id AS id")]
            doc_ids = list(dict.fromkeys(doc_ids + in_graph
                                         + [d.doc_id for d in self.store.documents()]))
        current = {d: self._record_or_none(d) for d in doc_ids}
        touched_names = {self._short_name_in_graph(d) for d in doc_ids}
        touched_names |= {r.short_name for r in current.values() if r is not None}
        touched_names.discard(None)
        total = len(doc_ids)
        started = time.perf_counter()
        for done, doc_id in enumerate(doc_ids):
            progress(done, total, doc_id)
            self._remove(doc_id)
            record = current[doc_id]
            if record is None:
                report.documents_removed += 1
                continue
            report.clauses += self._load(record)
            report.definitions += self._load_definitions(record)
            report.documents_loaded += 1
            report.loaded.append(doc_id)
        progress(total, total, "")
        report.seconds["documents"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        for name in sorted(touched_names):
            self._relink_versions(name)
        self.resolver.clear()
        citing = {d for d, r in current.items() if r is not None}
        citing |= self._documents_citing(touched_names)
        for doc_id in sorted(citing):
            record = self._record_or_none(doc_id)
            if record is not None:
                made, missed = self._load_citations(record)
                report.citations += made
                report.unresolved_citations += missed
        self._orphans()
        # Created after the bulk load (indexing existing rows once is far cheaper than keeping
        # the index current row by row); later syncs only maintain it for what they change.
        ensure_clause_index(self.graph)
        report.seconds["links"] = round(time.perf_counter() - started, 2)
        report.last_change = changes[-1]["seq"] if changes else last
        report.touched = sorted(touched_names)
        self.graph.write("MERGE (m:GraphMeta {key: 'corpus'}) SET m.seq = $seq, "
                         "m.ontology = $version", seq=report.last_change,
                         version=ONTOLOGY_VERSION)
        return report

    # ---- bookkeeping --------------------------------------------------------------------

    def _last_applied(self) -> tuple[int, int | None]:
        """(last change applied, ontology version the graph was built with)."""
        rows = self.graph.run("MATCH (m:GraphMeta {key: 'corpus'}) "
                              "RETURN m.seq AS seq, m.ontology AS ontology")
        if not rows or rows[0]["seq"] is None:
            return 0, ONTOLOGY_VERSION  # an empty graph: every change is new anyway
        return int(rows[0]["seq"]), rows[0]["ontology"]

    def _record_or_none(self, doc_id: str) -> DocumentRecord | None:
        try:
            return self.store.document(doc_id)
        except GuihuaError:
            return None

    def _short_name_in_graph(self, doc_id: str) -> str | None:
        rows = self.graph.run("MATCH (v:Version {id: $id}) RETURN v.document AS name", id=doc_id)
        return rows[0]["name"] if rows else None

    # ---- removal ------------------------------------------------------------------------

    def _remove(self, doc_id: str) -> None:
        self.graph.write("MATCH (c:Clause {doc: $id}) DETACH DELETE c", id=doc_id)
        self.graph.write("MATCH (v:Version {id: $id}) DETACH DELETE v", id=doc_id)

    def _orphans(self) -> None:
        self.graph.write("MATCH (d:Document) WHERE NOT (d)-[:HAS_VERSION]->() DETACH DELETE d")
        self.graph.write("MATCH (k:Concept {origin: 'parsed'}) WHERE NOT (k)--() DELETE k")
        self.graph.write("MATCH (a:Agency) WHERE NOT (a)--() DELETE a")

    # ---- loading ------------------------------------------------------------------------

    def _load(self, record: DocumentRecord) -> int:
        doc = record.doc_id
        self.graph.write(
            "MERGE (d:Document {name: $name}) "
            "SET d.title = $title, d.level = $level, d.region = $region "
            "CREATE (v:Version {id: $id, document: $name, title: $title, version: $version, "
            "level: $level, status: $status, valid_from: $valid_from, valid_to: $valid_to, "
            "source: $source, genre: $genre, region: $region, issuing_body: $body, "
            "content_hash: $hash, ingest: $id, cites_names: []}) "
            "CREATE (d)-[:HAS_VERSION {ingest: $id}]->(v)",
            name=record.short_name, title=record.title, level=record.level, region=record.region,
            id=doc, version=record.version, status=record.status, valid_from=record.valid_from,
            valid_to=record.valid_to, source=record.source, genre=record.genre,
            body=record.issuing_body, hash=record.content_hash)
        rows, parts = [], []
        for clause in self.store.clauses(doc):
            rows.append({"id": clause.id, "kind": clause.kind, "number": clause.number,
                         "label": clause.label, "text": clause.text,
                         "path": " / ".join(clause.path), "page": clause.provenance.page,
                         "table": json.dumps(clause.table.to_dict(), ensure_ascii=False)
                         if clause.table else None})
            if clause.parent_id:
                parts.append({"child": clause.id, "parent": clause.parent_id})
        self.graph.write_batch(
            "MATCH (v:Version {id: $doc}) UNWIND $rows AS row "
            "CREATE (v)-[:HAS_CLAUSE {ingest: $doc}]->(c:Clause {id: row.id, doc: $doc, "
            "kind: row.kind, number: row.number, label: row.label, text: row.text, "
            "path: row.path, page: row.page, table: row.table, level: $level, "
            "valid_from: $valid_from, valid_to: $valid_to, ingest: $doc})",
            rows, self.batch_size, doc=doc, level=record.level, valid_from=record.valid_from,
            valid_to=record.valid_to)
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (c:Clause {id: row.child}), (p:Clause {id: row.parent}) "
            "CREATE (c)-[:PART_OF {ingest: $doc}]->(p)", parts, self.batch_size, doc=doc)
        return len(rows)

    def _load_definitions(self, record: DocumentRecord) -> int:
        rows = []
        for clause in self.store.clauses(record.doc_id):
            if clause.kind in _STRUCTURE_KINDS or clause.kind == "条":
                continue
            for definition in find_definitions(clause.text):
                rows.append({"term": definition.term, "clause": clause.id})
        # A concept is shared by every document that defines it: the node belongs to no single
        # document (ingest 'concepts'); each DEFINED_IN edge belongs to its document.
        self.graph.write_batch(
            "UNWIND $rows AS row MERGE (k:Concept {name: row.term}) "
            "ON CREATE SET k.origin = 'parsed', k.ingest = 'concepts' "
            "WITH k, row MATCH (c:Clause {id: row.clause}) "
            "CREATE (k)-[:DEFINED_IN {ingest: $doc}]->(c)", rows, self.batch_size,
            doc=record.doc_id)
        return len(rows)

    def _relink_versions(self, short_name: str) -> None:
        """valid_to and SUPERSEDES follow from the set of versions, so a new version changes
        its predecessors too."""
        versions = self.store.versions(short_name)
        self.graph.write("MATCH (:Version {document: $name})-[s:SUPERSEDES]->() DELETE s",
                         name=short_name)
        rows = [{"id": v.doc_id, "valid_to": v.valid_to, "status": v.status} for v in versions]
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (v:Version {id: row.id}) SET v.valid_to = row.valid_to "
            "WITH v, row MATCH (v)-[:HAS_CLAUSE]->(c:Clause) SET c.valid_to = row.valid_to",
            rows, self.batch_size)
        pairs = [{"new": b.doc_id, "old": a.doc_id} for a, b in zip(versions, versions[1:])]
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (n:Version {id: row.new}), (o:Version {id: row.old}) "
            "CREATE (n)-[:SUPERSEDES {ingest: row.new}]->(o)", pairs, self.batch_size)

    # ---- citations ----------------------------------------------------------------------

    def _documents_citing(self, names: Iterable[str]) -> set[str]:
        names = sorted(names)
        if not names:
            return set()
        rows = self.graph.run(
            "MATCH (v:Version) WHERE any(n IN v.cites_names WHERE n IN $names) RETURN v.id AS id",
            names=names)
        return {r["id"] for r in rows}

    def _load_citations(self, record: DocumentRecord) -> tuple[int, int]:
        doc = record.doc_id
        self.graph.write("MATCH (:Clause {doc: $doc})-[r:CITES|CITES_DOCUMENT]->() DELETE r",
                         doc=doc)
        clause_rows, document_rows = [], []
        cited: set[str] = set()
        missed = 0
        for clause in self.store.clauses(doc):
            if clause.kind not in _CITING_KINDS:
                continue
            article, paragraph = _location(clause)
            for ref in find_references(clause.text, article, paragraph):
                snippet = clause.text[ref.start:ref.end]
                target = self.resolver.resolve(ref, record.valid_from, doc, record.short_name)
                if target is None:
                    missed += 1
                elif ref.article is None or "#" not in target:
                    document_rows.append({"from": clause.id, "to": target, "text": snippet})
                    cited.add(target)
                elif target != clause.id:
                    clause_rows.append({"from": clause.id, "to": target, "text": snippet})
                    cited.add(target.split("@")[0])
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (a:Clause {id: row.from}), (b:Clause {id: row.to}) "
            "CREATE (a)-[:CITES {text: row.text, ingest: $doc}]->(b)",
            clause_rows, self.batch_size, doc=doc)
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (a:Clause {id: row.from}), (d:Document {name: row.to}) "
            "CREATE (a)-[:CITES_DOCUMENT {text: row.text, ingest: $doc}]->(d)",
            document_rows, self.batch_size, doc=doc)
        cited |= self._load_amends_and_repeals(record)
        self.graph.write("MATCH (v:Version {id: $doc}) SET v.cites_names = $names", doc=doc,
                         names=sorted(cited - {record.short_name}))
        return len(clause_rows) + len(document_rows), missed

    def _load_amends_and_repeals(self, record: DocumentRecord) -> set[str]:
        """AMENDS from a decision or amendment (by its title) and REPEALS from 《…》同时废止,
        to the Documents named when they are in the corpus."""
        doc = record.doc_id
        self.graph.write("MATCH (:Version {id: $doc})-[r:AMENDS|REPEALS]->() DELETE r", doc=doc)
        links: list[dict] = []
        for title in amended_titles(record.title):
            links.append({"name": self.resolver.short_name(title), "type": "AMENDS"})
        for clause in self.store.clauses(doc):
            if "废止" in clause.text and clause.kind in _CITING_KINDS:
                for title in repealed_titles(clause.text):
                    links.append({"name": self.resolver.short_name(title), "type": "REPEALS",
                                  "clause": clause.id})
        links = [l for l in links if l["name"] and l["name"] != record.short_name]
        for kind in ("AMENDS", "REPEALS"):
            self.graph.write_batch(
                "UNWIND $rows AS row MATCH (v:Version {id: $doc}), (d:Document {name: row.name}) "
                f"CREATE (v)-[:{kind} {{clause: row.clause, ingest: $doc}}]->(d)",
                [{"name": l["name"], "clause": l.get("clause")} for l in links
                 if l["type"] == kind], self.batch_size, doc=doc)
        return {l["name"] for l in links}


# label → the key property a mention's key refers to
_MENTION_KEYS = {"Document": "name", "Concept": "name", "LandUseClass": "code", "ZoneType": "id",
                 "Indicator": "id", "Agency": "name"}
_NOT_A_TERM = re.compile(r"(不|的|和|或|及|等)$|^[一二三四五六七八九十百零]+[日月年]$")


class MentionLinker:
    """MENTIONS edges from clause text to the graph's vocabulary (documents, concepts, land-use
    classes, zone types, indicators, agencies), found with spaCy's EntityRuler (kg/linking.py).

    Runs after the domain tables are loaded, so their nodes exist. Clauses are linked when their
    document is loaded, with the vocabulary of that moment."""

    def __init__(self, graph: GraphStore, store: ClauseStore, batch_size: int = 2000) -> None:
        self.graph = graph
        self.store = store
        self.batch_size = batch_size
        self._linker = None

    def _vocabulary(self) -> list[tuple[str, str, str]]:
        from kg.linking import build_vocabulary

        names: dict[str, str] = {}
        for record in self.store.documents():
            names[record.short_name] = record.title
        rows = self.graph.run("MATCH (k:Concept)-[:DEFINED_IN]->(c:Clause) "
                              "RETURN k.name AS name, count(DISTINCT c.doc) AS docs")
        # A term defined once and short (环境, 单位) links noise everywhere; keep terms that are
        # specific (3+ characters) or defined by several documents (湿地).
        concepts = [r["name"] for r in rows if not _NOT_A_TERM.search(r["name"])
                    and (len(r["name"]) >= 3 or r["docs"] >= 2)]
        return build_vocabulary(sorted(names.items()), sorted(concepts))

    def link(self, doc_ids: Iterable[str], progress: Progress = no_progress) -> int:
        doc_ids = list(doc_ids)
        if not doc_ids:
            return 0
        if self._linker is None:
            from kg.linking import EntityLinker

            self._linker = EntityLinker(self._vocabulary())
        made = 0
        for done, doc in enumerate(doc_ids):
            progress(done, len(doc_ids), doc)
            self.graph.write("MATCH (:Clause {doc: $doc})-[r:MENTIONS]->() DELETE r", doc=doc)
            clauses = [c for c in self.store.clauses(doc) if c.kind in _CITING_KINDS]
            rows: dict[str, set[tuple[str, str]]] = {label: set() for label in _MENTION_KEYS}
            for clause, mentions in zip(clauses, self._linker.link_many(c.text for c in clauses)):
                for mention in mentions:
                    if mention.label in rows:
                        rows[mention.label].add((clause.id, mention.key))
            for label, pairs in rows.items():
                key = _MENTION_KEYS[label]
                target = (f"MERGE (t:{label} {{{key}: row.key}}) ON CREATE SET t.ingest = 'linking'"
                          if label == "Agency" else f"MATCH (t:{label} {{{key}: row.key}})")
                made += len(pairs)
                self.graph.write_batch(
                    f"UNWIND $rows AS row MATCH (c:Clause {{id: row.clause}}) {target} "
                    "CREATE (c)-[:MENTIONS {ingest: $doc}]->(t)",
                    [{"clause": c, "key": k} for c, k in sorted(pairs)], self.batch_size, doc=doc)
        progress(len(doc_ids), len(doc_ids), "")
        return made


def _location(clause: ClauseRecord) -> tuple[str | None, int | None]:
    """The article key and 款 number of a clause id such as 土地管理法@2019-08-26#35-2-1."""
    if clause.kind not in {"款", "项", "目"}:
        return None, None
    parts = clause.id.split("#", 1)[1].split("-")
    return parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def sync_graph(graph: GraphStore, store: ClauseStore, progress: Progress = no_progress,
               extra_rule_dirs: Iterable = ()) -> dict:
    """Bring documents and domain tables in the graph up to date with the clause store."""
    from kg.domain_graph import DomainLoader  # the domain tables are only needed here
    from kg.spatial import link_spatial, load_regions

    report = GraphBuilder(graph, store).sync(progress)
    # Domain links point at clauses: reload them when any document changed.
    domain = DomainLoader(graph, ReferenceResolver(store), extra_rule_dirs)
    started = time.perf_counter()
    reloaded = domain.sync(force=bool(report.touched))
    if reloaded:
        load_regions(graph)
        link_spatial(graph)  # zones and parcels point at the zone types and land uses
    report.seconds["domain"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    report.mentions = MentionLinker(graph, store).link(report.loaded, progress)
    report.seconds["mentions"] = round(time.perf_counter() - started, 2)
    return {**report.to_dict(), "domain_reloaded": reloaded}
