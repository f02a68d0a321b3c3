"""How spatial nodes store geometry, and what callers see of a node.

Geometry lives in Python, not in the graph: ArcadeDB's Cypher has no spatial functions to rely on.
Each spatial node stores its GeoJSON as a string plus numeric `minx, miny, maxx, maxy` (lon/lat)
so a Cypher range filter finds candidates, and shapely decides exactly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import shapely.geometry
from shapely.geometry.base import BaseGeometry

from kg.spatial.geometry import area_m2


def _geometry_props(geom: BaseGeometry) -> dict[str, Any]:
    minx, miny, maxx, maxy = (float(b) for b in geom.bounds)
    return {"geometry": json.dumps(shapely.geometry.mapping(geom)), "minx": minx, "miny": miny,
            "maxx": maxx, "maxy": maxy, "area_m2": area_m2(geom)}


def _geometry_of(props: Mapping[str, Any]) -> BaseGeometry | None:
    text = props.get("geometry")
    return shapely.geometry.shape(json.loads(text)) if text else None


def _public(props: Mapping[str, Any]) -> dict[str, Any]:
    """Node properties for callers: without the (large) GeoJSON, attributes decoded."""
    out = {k: v for k, v in props.items() if k != "geometry"}
    if isinstance(out.get("attributes"), str):
        out["attributes"] = json.loads(out["attributes"])
    return out
