"""The typical questions asked of the graph, as tested Cypher (Neo4j-5 dialect, no APOC)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kg.graph import GraphStore

_CLAUSE_FIELDS = "c.id AS id, c.label AS label, c.doc AS doc, c.kind AS kind, c.text AS text"


def _parts(clause_id: str) -> dict[str, str]:
    """A clause and its 款/项/目 share its id as prefix (…#35, …#35-2, …#35-2-1)."""
    return {"doc": clause_id.split("#", 1)[0], "id": clause_id, "prefix": f"{clause_id}-"}


def cites(graph: GraphStore, clause_id: str) -> list[dict[str, Any]]:
    """What a clause (with its 款/项) cites."""
    return graph.run(
        "MATCH (p:Clause {doc: $doc}) WHERE p.id = $id OR p.id STARTS WITH $prefix "
        "MATCH (p)-[r:CITES]->(c:Clause) "
        f"RETURN DISTINCT {_CLAUSE_FIELDS}, p.id AS via, r.text AS as_written ORDER BY id",
        **_parts(clause_id))


def cited_by(graph: GraphStore, clause_id: str) -> list[dict[str, Any]]:
    """Which clauses cite this clause or one of its 款/项."""
    return graph.run(
        "MATCH (t:Clause {doc: $doc}) WHERE t.id = $id OR t.id STARTS WITH $prefix "
        "MATCH (c:Clause)-[r:CITES]->(t) "
        f"RETURN DISTINCT {_CLAUSE_FIELDS}, t.id AS target, r.text AS as_written ORDER BY id",
        **_parts(clause_id))


def versions_in_force(graph: GraphStore, name: str, day: date) -> list[dict[str, Any]]:
    """The version(s) of a document in force on `day` (a law adopted but not yet effective,
    or repealed, is not)."""
    return graph.run(
        "MATCH (v:Version {document: $name}) WHERE v.valid_from <= $day "
        "AND (v.valid_to IS NULL OR v.valid_to > $day) AND v.status <> '已废止' "
        "RETURN v.id AS id, v.version AS version, v.valid_from AS valid_from, "
        "v.valid_to AS valid_to, v.source AS source ORDER BY v.valid_from DESC",
        name=name, day=day.isoformat())


def versions(graph: GraphStore, name: str) -> list[dict[str, Any]]:
    return graph.run(
        "MATCH (v:Version {document: $name}) OPTIONAL MATCH (v)-[:SUPERSEDES]->(o:Version) "
        "RETURN v.id AS id, v.valid_from AS valid_from, v.valid_to AS valid_to, "
        "v.status AS status, o.id AS supersedes ORDER BY v.valid_from", name=name)


def definitions(graph: GraphStore, term: str, day: date | None = None) -> list[dict[str, Any]]:
    """Where a term is defined or established, in clauses valid on `day` (default today)."""
    day_iso = (day or date.today()).isoformat()
    return graph.run(
        "MATCH (k:Concept {name: $term})-[d:DEFINED_IN]->(c:Clause) "
        "WHERE (c.valid_from IS NULL OR c.valid_from <= $day) "
        "AND (c.valid_to IS NULL OR c.valid_to > $day) "
        f"RETURN {_CLAUSE_FIELDS}, d.basis AS basis ORDER BY id", term=term, day=day_iso)


def land_use(graph: GraphStore, code: str) -> dict[str, Any] | None:
    """A 用地用海 code with its ancestors, top-level class and 建设/非建设 flag."""
    rows = graph.run(
        "MATCH (c:LandUseClass {code: $code}) "
        "OPTIONAL MATCH (c)-[:SUBCLASS_OF*1..2]->(p:LandUseClass) "
        "WITH c, p ORDER BY p.level "
        "RETURN c.code AS code, c.name AS name, c.level AS level, "
        "c.construction AS construction, collect({code: p.code, name: p.name}) AS ancestors",
        code=code)
    if not rows:
        return None
    row = rows[0]
    ancestors = [a for a in row["ancestors"] if a.get("code")]
    row["ancestors"] = ancestors
    row["top"] = ancestors[0] if ancestors else {"code": row["code"], "name": row["name"]}
    return row


def stats(graph: GraphStore) -> dict[str, Any]:
    labels = ["Document", "Version", "Clause", "Concept", "LandUseClass", "ZoneType",
              "Indicator", "Rule", "Agency"]
    nodes = {label: graph.run(f"MATCH (n:{label}) RETURN count(n) AS n")[0]["n"]
             for label in labels}
    types = ["HAS_VERSION", "HAS_CLAUSE", "PART_OF", "SUPERSEDES", "AMENDS", "REPEALS", "CITES",
             "CITES_DOCUMENT",
             "DEFINED_IN", "MENTIONS", "SUBCLASS_OF", "ALLOWS", "PROHIBITS", "RESTRICTS", "CONSTRAINS"]
    edges = {t: graph.run(f"MATCH ()-[r:{t}]->() RETURN count(r) AS n")[0]["n"] for t in types}
    return {"nodes": nodes, "relationships": edges}


def find_node(graph: GraphStore, key: str) -> dict[str, Any] | None:
    """An entity by clause id, version id, land-use code, concept, zone or document name."""
    probes = [
        ("Clause", "id"), ("Version", "id"), ("LandUseClass", "code"), ("Concept", "name"),
        ("ZoneType", "name"), ("ZoneType", "id"), ("Document", "name"), ("Indicator", "name"),
        ("Indicator", "id"), ("Rule", "id"),
    ]
    for label, prop in probes:
        rows = graph.run(f"MATCH (n:{label} {{{prop}: $key}}) RETURN n AS node LIMIT 1", key=key)
        if rows:
            return {"label": label, "key": prop, "node": rows[0]["node"]}
    return None


def neighbours(graph: GraphStore, label: str, prop: str, key: str,
               limit: int = 50) -> list[dict[str, Any]]:
    return graph.run(
        f"MATCH (n:{label} {{{prop}: $key}})-[r]-(m) "
        "RETURN type(r) AS relationship, startNode(r) = n AS outgoing, labels(m) AS labels, "
        "coalesce(m.id, m.code, m.name) AS key, coalesce(m.label, m.name, m.title) AS name "
        "LIMIT $limit", key=key, limit=limit)


def path(graph: GraphStore, a: dict[str, Any], b: dict[str, Any],
         max_hops: int = 6) -> list[dict[str, Any]]:
    """The shortest undirected path between two nodes found by `find_node`."""
    rows = graph.run(
        f"MATCH (a:{a['label']} {{{a['key']}: $ka}}), (b:{b['label']} {{{b['key']}: $kb}}) "
        f"MATCH p = shortestPath((a)-[*..{int(max_hops)}]-(b)) "
        "RETURN [n IN nodes(p) | coalesce(n.id, n.code, n.name)] AS nodes, "
        "[r IN relationships(p) | type(r)] AS relationships",
        ka=a["node"][a["key"]], kb=b["node"][b["key"]])
    return rows
