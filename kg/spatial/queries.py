"""Spatial queries: what lies at a point or in a box, and which zones a parcel overlaps.
Candidates come from a Cypher range filter on the stored bbox; shapely decides exactly."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import shapely
import shapely.geometry
from shapely.geometry.base import BaseGeometry

from kg.graph import GraphStore
from kg.spatial.errors import CrsError, SpatialError, SpatialLookupError
from kg.spatial.geometry import _polygonal, area_m2
from kg.spatial.nodes import _geometry_of, _public
from kg.spatial.schema import SPATIAL_LABELS


def _candidates(graph: GraphStore, label: str, bbox: tuple[float, float, float, float]
                ) -> list[dict[str, Any]]:
    minx, miny, maxx, maxy = bbox
    rows = graph.run(f"MATCH (n:{label}) WHERE n.minx <= $maxx AND n.maxx >= $minx "
                     "AND n.miny <= $maxy AND n.maxy >= $miny RETURN n",
                     minx=minx, miny=miny, maxx=maxx, maxy=maxy)
    return [r["n"] for r in rows]


def _sort_key(props: Mapping[str, Any]) -> str:
    return str(props.get("code") or props.get("id"))


def _search(graph: GraphStore, probe: BaseGeometry) -> dict[str, list[dict[str, Any]]]:
    """Every spatial node whose geometry intersects `probe`: bbox in Cypher, exact in shapely."""
    minx, miny, maxx, maxy = (float(b) for b in probe.bounds)
    found: dict[str, list[dict[str, Any]]] = {}
    for key, label in SPATIAL_LABELS.items():
        hits = [p for p in _candidates(graph, label, (minx, miny, maxx, maxy))
                if (g := _geometry_of(p)) is not None and g.intersects(probe)]
        found[key] = [_public(p) for p in sorted(hits, key=_sort_key)]
    return found


def _check_point(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise CrsError("坐标不是经纬度", "coordinates are not lon/lat degrees", f"({lon}, {lat})")


def at_point(graph: GraphStore, lon: float, lat: float) -> dict[str, list[dict[str, Any]]]:
    """Regions, plans, zones and parcels whose geometry contains the point (CGCS2000 lon/lat).
    A point on a boundary counts as inside (covers, not strict contains): a site on the edge of
    永久基本农田 must be reported. Nodes without geometry (regions without boundaries) are never
    returned. Keys: regions, plans, zones, parcels; values: properties without `geometry`."""
    _check_point(lon, lat)
    return _search(graph, shapely.geometry.Point(lon, lat))


def in_bbox(graph: GraphStore, minx: float, miny: float, maxx: float, maxy: float
            ) -> dict[str, list[dict[str, Any]]]:
    """Everything whose geometry intersects the lon/lat box; same shape as `at_point`."""
    _check_point(minx, miny)
    _check_point(maxx, maxy)
    if minx > maxx or miny > maxy:
        raise SpatialError("范围框的最小值大于最大值", "bbox minimum exceeds maximum",
                           f"({minx}, {miny}, {maxx}, {maxy})")
    return _search(graph, shapely.geometry.box(minx, miny, maxx, maxy))


def _parcel(graph: GraphStore, parcel: str) -> dict[str, Any]:
    """A parcel by node id (`<plan>/<地块编号>`), or by 地块编号 alone when that is unambiguous."""
    rows = graph.run("MATCH (n:Parcel {id: $id}) RETURN n", id=parcel)
    if not rows:
        rows = graph.run("MATCH (n:Parcel) WHERE n.number = $id RETURN n", id=parcel)
    if len(rows) > 1:
        raise SpatialLookupError("地块编号对应多个地块，请用 <规划编号>/<地块编号>",
                                 "parcel number is ambiguous, use <plan_id>/<number>",
                                 ", ".join(sorted(r["n"]["id"] for r in rows)))
    if not rows:
        raise SpatialLookupError("地块不存在", "unknown parcel", parcel)
    return rows[0]["n"]


def overlaps(graph: GraphStore, parcel: str, zone: str | None = None,
             plan_id: str | None = None) -> list[dict[str, Any]]:
    """Zones the parcel overlaps with a positive area (touching only is not occupying), largest
    first: [{zone_id, zone, planning_zone, plan, area_m2, share}], where area_m2 is the
    intersection on the equal-area projection and share = area_m2 / parcel area. `zone` limits
    to one control line (e.g. 永久基本农田), `plan_id` to one plan's zones."""
    props = _parcel(graph, parcel)
    shape = _geometry_of(props)
    whole = area_m2(shape)
    bbox = (props["minx"], props["miny"], props["maxx"], props["maxy"])
    out: list[dict[str, Any]] = []
    for z in _candidates(graph, "Zone", bbox):
        if (zone and z.get("zone") != zone) or (plan_id and z.get("plan") != plan_id):
            continue
        # intersect in lon/lat (exact topology: a shared edge yields a line, area 0), then measure
        inter = area_m2(_polygonal(shape.intersection(_geometry_of(z))))
        if inter <= 0:
            continue
        out.append({"zone_id": z["id"], "zone": z.get("zone"),
                    "planning_zone": z.get("planning_zone"), "plan": z.get("plan"),
                    "area_m2": inter, "share": inter / whole if whole else 0.0})
    return sorted(out, key=lambda r: (-r["area_m2"], r["zone_id"]))
