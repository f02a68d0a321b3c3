"""Removal by ingest: delete every spatial node and link that one ingest created."""

from __future__ import annotations

import neo4j

from kg.graph import GraphStore
from kg.spatial.schema import SPATIAL_LABELS, SPATIAL_RELS


def remove_spatial(graph: GraphStore, ingest: str) -> dict[str, int]:
    """Delete every spatial node and link that `ingest` created. Zones or parcels of other
    ingests that pointed at a removed plan keep their `plan` property and re-attach when the
    plan is upserted again. Returns the number of nodes removed per label."""

    def work(tx: neo4j.ManagedTransaction) -> dict[str, int]:
        counts: dict[str, int] = {}
        for key, label in SPATIAL_LABELS.items():
            record = tx.run(f"MATCH (n:{label}) WHERE n.ingest = $ingest RETURN count(n) AS c",
                            ingest=ingest).single()
            counts[key] = record["c"] if record else 0
            tx.run(f"MATCH (n:{label}) WHERE n.ingest = $ingest DETACH DELETE n",
                   ingest=ingest).consume()
        rels = "|".join(SPATIAL_RELS)
        tx.run(f"MATCH ()-[e:{rels}]->() WHERE e.ingest = $ingest DELETE e",
               ingest=ingest).consume()
        return counts

    return graph.execute_write(work)
