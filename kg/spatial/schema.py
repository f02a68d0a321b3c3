"""The spatial layer's footprint in the graph: its node labels and relationship types, and the
uniqueness constraints and lookup indexes it needs."""

from __future__ import annotations

import weakref

from kg.graph import GraphStore
from kg.ontology import KEYS

SPATIAL_LABELS = {"regions": "AdministrativeRegion", "plans": "Plan", "zones": "Zone",
                  "parcels": "Parcel"}
SPATIAL_RELS = ("WITHIN", "COVERS", "TRANSMITS_TO", "IN_PLAN", "OF_TYPE", "LAND_USE")

_ENSURED: weakref.WeakSet[GraphStore] = weakref.WeakSet()
_LOOKUPS = [("Zone", "ingest"), ("Zone", "plan"), ("Parcel", "ingest"), ("Parcel", "plan"),
            ("Parcel", "number"), ("Plan", "ingest"), ("AdministrativeRegion", "ingest")]
_BBOX_LABELS = ("AdministrativeRegion", "Plan", "Zone", "Parcel")


def ensure_spatial_schema(graph: GraphStore) -> None:
    """Uniqueness of the spatial keys plus lookup indexes (ingest, plan, minx), once per store."""
    if graph in _ENSURED:
        return
    statements = [f"CREATE CONSTRAINT {label.lower()}_{KEYS[label]} IF NOT EXISTS "
                  f"FOR (n:{label}) REQUIRE n.{KEYS[label]} IS UNIQUE"
                  for label in SPATIAL_LABELS.values()]
    statements += [f"CREATE INDEX {label.lower()}_{prop} IF NOT EXISTS "
                   f"FOR (n:{label}) ON (n.{prop})"
                   for label, prop in _LOOKUPS + [(lb, "minx") for lb in _BBOX_LABELS]]
    graph.ensure_schema(statements)
    _ENSURED.add(graph)
