"""The planning knowledge graph's schema: labels, relationships, and the indexes that serve them.

Nodes (label {key property}: other properties)
- Document {name}: a work across its versions (土地管理法): title, level, region.
- Version {id = doc_id}: one text of a Document: version, valid_from, valid_to, status, level,
  source, genre. Cases (案例) and plans are Versions too, with level 案例 / 规划.
- Clause {id}: 编/章/节/条/款/项/目, standard clauses, tables, case passages: kind, number, label,
  text, path, valid_from, valid_to, level, page.
- Concept {name}: a defined or controlled term (永久基本农田, 城镇开发边界 …).
- LandUseClass {code}: 用地用海分类 (24 一级类, 二级, 三级): name, level, construction.
- ZoneType {id}: 三区三线 and 规划分区: name, kind.
- Indicator {id}: 容积率, 建筑密度 … : name, unit.
- Rule {id}: indicator, operator, threshold, conditions (JSON), pack, severity.
- AdministrativeRegion {code}, Plan {id}, Zone {id}, Parcel {id}: the spatial layer.

Relationships
- (Document)-[:HAS_VERSION]->(Version); (Version)-[:SUPERSEDES]->(older Version)
- (Version)-[:AMENDS]->(Document) for 修改决定/修正案; (Version)-[:REPEALS {clause}]->(Document)
  for 《…》同时废止
- (Version)-[:HAS_CLAUSE]->(Clause) for every clause; (Clause)-[:PART_OF]->(parent Clause)
- (Clause)-[:CITES {text}]->(Clause); (Clause)-[:CITES_DOCUMENT {text}]->(Document)
- (Concept)-[:DEFINED_IN {basis}]->(Clause): a statutory definition parsed from the text, or
  (basis 'curated') the clause a domain table names as establishing the term;
  (Concept)-[:REGULATED_BY]->(Clause); (Concept)-[:NAMES]->(ZoneType);
  (Clause)-[:MENTIONS]->(Document|Concept|LandUseClass|ZoneType|Indicator|Agency), found by
  spaCy's EntityRuler over the graph's vocabulary (kg/linking.py)
- (LandUseClass)-[:SUBCLASS_OF]->(LandUseClass); (ZoneType)-[:SUBZONE_OF]->(ZoneType)
- (ZoneType)-[:ALLOWS|PROHIBITS|RESTRICTS {activity, clause, source}]->(LandUseClass)
- (Rule)-[:CONSTRAINS]->(Indicator); (Rule)-[:APPLIES_TO]->(LandUseClass)
- Space (`kg/spatial`): (AdministrativeRegion)-[:WITHIN]->(AdministrativeRegion) by 行政区划代码;
  (Plan)-[:COVERS]->(AdministrativeRegion); (upper Plan)-[:TRANSMITS_TO]->(lower Plan) (五级三类
  传导); (Zone)-[:OF_TYPE {role}]->(ZoneType), (Zone|Parcel)-[:IN_PLAN]->(Plan),
  (Parcel)-[:LAND_USE]->(LandUseClass). Geometry is GeoJSON (CGCS2000, EPSG:4490) stored as text
  with numeric bbox properties; exact geometry work (contains, overlap area on an equal-area
  projection) happens in Python with shapely/pyproj.

Provenance: every node and relationship carries `ingest`, the id of what created it (a doc_id,
or `domain:<table>`), so re-ingesting or removing a document replaces exactly its contribution.
Dates are ISO strings (YYYY-MM-DD), which compare correctly as strings in every backend.
"""

from __future__ import annotations

# Bump when what the builder writes changes: graphs built by older code are then rebuilt on the
# next sync instead of silently lacking the new nodes or links.
VERSION = 5

KEYS: dict[str, str] = {
    "Document": "name",
    "Version": "id",
    "Clause": "id",
    "Concept": "name",
    "LandUseClass": "code",
    "ZoneType": "id",
    "Indicator": "id",
    "Rule": "id",
    "AdministrativeRegion": "code",
    "Plan": "id",
    "Zone": "id",
    "Parcel": "id",
    "Agency": "name",
}

# Non-unique lookups the builder and queries filter on.
LOOKUPS: list[tuple[str, str]] = [
    ("Clause", "ingest"), ("Clause", "doc"), ("Clause", "number"), ("Version", "document"),
    ("Version", "ingest"), ("Concept", "ingest"),
]


def schema_statements() -> list[str]:
    """Idempotent Neo4j-5 DDL accepted by both Neo4j and ArcadeDB's Bolt endpoint."""
    statements = [
        f"CREATE CONSTRAINT {label.lower()}_{prop} IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{prop} IS UNIQUE"
        for label, prop in KEYS.items()
    ]
    statements += [
        f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS FOR (n:{label}) ON (n.{prop})"
        for label, prop in LOOKUPS
    ]
    return statements
