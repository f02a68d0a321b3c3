"""Links from spatial nodes to the nodes their properties name.

Cross-ingest links (Plan-COVERS->region, Zone-OF_TYPE->ZoneType, Parcel-LAND_USE->LandUseClass,
Zone/Parcel-IN_PLAN->Plan) are derived from properties on the node (`region_code`, `zone_type`,
`land_use`, `plan` …), so `link_spatial` restores them after the other side was reloaded (for
example after `DomainLoader.sync`, which recreates ZoneType and LandUseClass nodes).
"""

from __future__ import annotations

import neo4j

from kg.graph import GraphStore

_LINKS: dict[str, str] = {
    "COVERS": "MATCH (n:Plan) WHERE n.region_code IS NOT NULL {scope} "
              "MATCH (t:AdministrativeRegion {{code: n.region_code}}) "
              "MERGE (n)-[e:COVERS]->(t) ON CREATE SET e.ingest = n.ingest",
    "TRANSMITS_TO": "MATCH (n:Plan) WHERE n.parent_plan IS NOT NULL {scope} "
                    "MATCH (t:Plan {{id: n.parent_plan}}) "
                    "MERGE (t)-[e:TRANSMITS_TO]->(n) ON CREATE SET e.ingest = n.ingest",
    "IN_PLAN_ZONE": "MATCH (n:Zone) WHERE true {scope} MATCH (t:Plan {{id: n.plan}}) "
                    "MERGE (n)-[e:IN_PLAN]->(t) ON CREATE SET e.ingest = n.ingest",
    "IN_PLAN_PARCEL": "MATCH (n:Parcel) WHERE true {scope} MATCH (t:Plan {{id: n.plan}}) "
                      "MERGE (n)-[e:IN_PLAN]->(t) ON CREATE SET e.ingest = n.ingest",
    "OF_TYPE_LINE": "MATCH (n:Zone) WHERE n.zone_type IS NOT NULL {scope} "
                    "MATCH (t:ZoneType {{id: n.zone_type}}) "
                    "MERGE (n)-[e:OF_TYPE {{role: 'control_line'}}]->(t) "
                    "ON CREATE SET e.ingest = n.ingest",
    "OF_TYPE_ZONE": "MATCH (n:Zone) WHERE n.planning_zone_type IS NOT NULL {scope} "
                    "MATCH (t:ZoneType {{id: n.planning_zone_type}}) "
                    "MERGE (n)-[e:OF_TYPE {{role: 'planning_zone'}}]->(t) "
                    "ON CREATE SET e.ingest = n.ingest",
    "LAND_USE": "MATCH (n:Parcel) WHERE n.land_use IS NOT NULL {scope} "
                "MATCH (t:LandUseClass {{code: n.land_use}}) "
                "MERGE (n)-[e:LAND_USE]->(t) ON CREATE SET e.ingest = n.ingest",
}


def _link(tx: neo4j.ManagedTransaction, ingest: str | None) -> None:
    scope = "AND n.ingest = $ingest" if ingest is not None else ""
    for statement in _LINKS.values():
        tx.run(statement.format(scope=scope), ingest=ingest).consume()


def link_spatial(graph: GraphStore, ingest: str | None = None) -> None:
    """(Re)create the links from spatial nodes to regions, plans, zone types and land-use
    classes, from the properties that name them. Idempotent. Call after the domain tables were
    reloaded (they are recreated, which drops OF_TYPE and LAND_USE) or after a removed plan or
    region came back. `ingest` limits it to the nodes of one ingest."""
    graph.execute_write(_link, ingest)
