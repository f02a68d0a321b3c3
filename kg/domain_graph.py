"""Domain tables into the graph: land-use classes, zone types (with what they allow and
prohibit), indicators and rules, linked to the clauses their sources name.

The tables are small, so when they (or the clauses they point at) change, their relationships
are rebuilt whole. Their nodes are merged in place, not recreated, so links that other parts
of the graph hold to them (a clause MENTIONS a land use, a parcel's LAND_USE) survive.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable

from corpus.references import find_references
from kg.domain import (load_indicators, load_land_use_classes, load_rule_packs,
                       load_zone_types)
from kg.domain.schemas import SourceRef
from kg.graph import GraphStore
from kg.resolver import ReferenceResolver

# label → key of the nodes the domain tables own
_DOMAIN_KEYS = {"LandUseClass": "code", "ZoneType": "id", "Indicator": "id", "Rule": "id",
                "Concept": "name"}
_EDGE_BY_EFFECT = {"allow": "ALLOWS", "prohibit": "PROHIBITS", "restrict": "RESTRICTS"}


def _plain(value: object) -> object:
    """Pydantic models → JSON-ready data, for hashing and for JSON properties."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def clause_for_source(resolver: ReferenceResolver, source: SourceRef | None) -> str | None:
    """《document》 + article (e.g. 第三十三条第一款) → a clause id in the current version."""
    if source is None or not source.article:
        return None
    document = re.sub(r"[（(][^（）()]*[)）]$", "", source.document)  # drop （2019年修正）
    refs = find_references(f"《{document}》{source.article}")
    if not refs:
        return None
    target = resolver.resolve(refs[0], None)
    return target if target and "#" in target else None


class DomainLoader:
    def __init__(self, graph: GraphStore, resolver: ReferenceResolver,
                 extra_rule_dirs: Iterable = ()) -> None:
        self.graph = graph
        self.resolver = resolver
        self.classes = load_land_use_classes()
        self.zones = load_zone_types()
        self.indicators = load_indicators()
        self.packs = load_rule_packs(list(extra_rule_dirs))

    def content_hash(self) -> str:
        data = [_plain(self.classes), _plain(self.zones), _plain(self.indicators),
                _plain(self.packs)]
        return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False)
                              .encode()).hexdigest()

    def sync(self, force: bool = False) -> bool:
        """Reload the domain tables if they (or the clauses they link to) may have changed.
        Returns True if it wrote anything."""
        digest = self.content_hash()
        rows = self.graph.run("MATCH (m:GraphMeta {key: 'domain'}) RETURN m.hash AS hash")
        if rows and rows[0]["hash"] == digest and not force:
            return False
        for label in _DOMAIN_KEYS:
            self.graph.write(f"MATCH (n:{label})-[r]-() WHERE r.ingest STARTS WITH 'domain:' "
                             "DELETE r")
        self._drop_stale()
        self._land_use()
        self._zones()
        self._indicators_and_rules()
        self.graph.write("MERGE (m:GraphMeta {key: 'domain'}) SET m.hash = $hash", hash=digest)
        return True

    def _drop_stale(self) -> None:
        """Delete domain nodes whose row left the tables."""
        keep = {"LandUseClass": [c.code for c in self.classes],
                "ZoneType": [z.id for z in self.zones],
                "Indicator": [i.id for i in self.indicators],
                "Rule": [r.id for p in self.packs for r in p.rules],
                "Concept": [z.name for z in self.zones]}
        for label, key in _DOMAIN_KEYS.items():
            self.graph.write(f"MATCH (n:{label}) WHERE n.ingest STARTS WITH 'domain:' "
                             f"AND NOT n.{key} IN $keep DETACH DELETE n", keep=keep[label])

    def _land_use(self) -> None:
        rows = [{"code": c.code, "name": c.name, "level": c.level, "parent": c.parent,
                 "construction": c.construction, "definition": c.definition}
                for c in self.classes]
        self.graph.write_batch(
            "UNWIND $rows AS row MERGE (c:LandUseClass {code: row.code}) "
            "SET c.name = row.name, c.level = row.level, c.construction = row.construction, "
            "c.definition = row.definition, c.ingest = 'domain:land_use'", rows)
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (c:LandUseClass {code: row.code}), "
            "(p:LandUseClass {code: row.parent}) "
            "CREATE (c)-[:SUBCLASS_OF {ingest: 'domain:land_use'}]->(p)",
            [r for r in rows if r["parent"]])

    def _zones(self) -> None:
        rows, rules, concepts, regulated = [], [], [], []
        for zone in self.zones:
            rows.append({"id": zone.id, "name": zone.name, "kind": zone.kind,
                         "level": zone.level, "parent": zone.parent,
                         "definition": zone.definition})
            for rule in zone.rules:
                clause = clause_for_source(self.resolver, rule.source)
                for code in rule.land_use:
                    rules.append({"zone": zone.id, "code": code, "edge": rule.effect,
                                  "activity": rule.activity, "clause": clause,
                                  "source": json.dumps(_plain(rule.source), ensure_ascii=False)})
                if clause:
                    regulated.append({"name": zone.name, "clause": clause})
            for source in (zone.legal_basis, zone.source):
                defining = clause_for_source(self.resolver, source)
                if defining:
                    concepts.append({"name": zone.name, "clause": defining})
        self.graph.write_batch(
            "UNWIND $rows AS row MERGE (z:ZoneType {id: row.id}) SET z.name = row.name, "
            "z.kind = row.kind, z.level = row.level, z.definition = row.definition, "
            "z.ingest = 'domain:zones'", rows)
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (z:ZoneType {id: row.id}), (p:ZoneType {id: row.parent}) "
            "CREATE (z)-[:SUBZONE_OF {ingest: 'domain:zones'}]->(p)",
            [r for r in rows if r["parent"]])
        for effect, edge in _EDGE_BY_EFFECT.items():
            self.graph.write_batch(
                "UNWIND $rows AS row MATCH (z:ZoneType {id: row.zone}), "
                "(c:LandUseClass {code: row.code}) "
                f"CREATE (z)-[:{edge} {{activity: row.activity, clause: row.clause, "
                "source: row.source, ingest: 'domain:zones'}]->(c)",
                [r for r in rules if r["edge"] == effect])
        # The controlled terms (永久基本农田 …) become concepts tied to the clauses that
        # establish them; statutory definitions parsed from text are added by the builder.
        self.graph.write_batch(
            "UNWIND $rows AS row MERGE (k:Concept {name: row.name}) "
            "ON CREATE SET k.origin = 'domain', k.ingest = 'domain:zones' "
            "WITH k, row MATCH (c:Clause {id: row.clause}) "
            "MERGE (k)-[:DEFINED_IN {basis: 'curated', ingest: 'domain:zones'}]->(c)",
            concepts)
        self.graph.write_batch(
            "UNWIND $rows AS row MERGE (k:Concept {name: row.name}) "
            "ON CREATE SET k.origin = 'domain', k.ingest = 'domain:zones' "
            "WITH k, row MATCH (c:Clause {id: row.clause}) "
            "MERGE (k)-[:REGULATED_BY {ingest: 'domain:zones'}]->(c)", regulated)
        self.graph.write(
            "MATCH (k:Concept), (z:ZoneType) WHERE k.name = z.name "
            "MERGE (k)-[:NAMES {ingest: 'domain:zones'}]->(z)")

    def _indicators_and_rules(self) -> None:
        self.graph.write_batch(
            "UNWIND $rows AS row MERGE (i:Indicator {id: row.id}) SET i.name = row.name, "
            "i.unit = row.unit, i.ingest = 'domain:indicators'",
            [{"id": i.id, "name": i.name, "unit": i.unit} for i in self.indicators])
        rows, applies = [], []
        for pack in self.packs:
            for rule in pack.rules:
                data = _plain(rule)
                rows.append({"id": rule.id, "pack": pack.pack.id, "indicator": rule.indicator,
                             "operator": data.get("operator"),
                             "threshold": json.dumps({k: data.get(k) for k in
                                                      ("threshold", "min", "max")
                                                      if data.get(k) is not None}),
                             "conditions": json.dumps(data.get("conditions") or {},
                                                      ensure_ascii=False),
                             "severity": data.get("severity"),
                             "source": json.dumps(data.get("source"), ensure_ascii=False),
                             "clause": clause_for_source(self.resolver, rule.source)})
                conditions = data.get("conditions") or {}
                for code in conditions.get("land_use") or []:
                    applies.append({"rule": rule.id, "code": code})
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (i:Indicator {id: row.indicator}) "
            "MERGE (r:Rule {id: row.id}) SET r.pack = row.pack, r.indicator = row.indicator, "
            "r.operator = row.operator, r.threshold = row.threshold, "
            "r.conditions = row.conditions, r.severity = row.severity, r.source = row.source, "
            "r.clause = row.clause, r.ingest = 'domain:rules' "
            "CREATE (r)-[:CONSTRAINS {ingest: 'domain:rules'}]->(i)", rows)
        self.graph.write_batch(
            "UNWIND $rows AS row MATCH (r:Rule {id: row.rule}), (c:LandUseClass {code: row.code}) "
            "CREATE (r)-[:APPLIES_TO {ingest: 'domain:rules'}]->(c)", applies)
