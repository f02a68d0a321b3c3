"""Zones (三区三线, 规划分区) and parcels (地块) of a plan from GeoJSON: rows checked feature by
feature, then one plan's nodes of an ingest swapped for them in a single transaction."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import neo4j

from kg.domain import land_use_by_code, load_zone_types
from kg.graph import GraphStore
from kg.spatial.errors import FeatureError, SpatialLookupError
from kg.spatial.geojson import (
    GeoJSONSource,
    feature_properties,
    first_property,
    read_features,
)
from kg.spatial.geometry import areal_geometry
from kg.spatial.links import _link
from kg.spatial.nodes import _geometry_props
from kg.spatial.schema import ensure_spatial_schema

CONTROL_LINES = ("永久基本农田", "生态保护红线", "城镇开发边界")
# Property keys that may carry a feature's id / its 规划分区 in user-supplied GeoJSON.
_ZONE_ID_KEYS = ("id", "编号")
_PLANNING_ZONE_KEYS = ("规划分区", "planning_zone")


@dataclass(frozen=True)
class LoadReport:
    ingest: str
    plan_id: str
    loaded: int
    ids: tuple[str, ...]
    warnings: tuple[str, ...]  # geometry repairs; also stored on each node as `warnings`


def _feature_number(feature: Mapping[str, Any], props: Mapping[str, Any], keys: Sequence[str],
                    index: int) -> str:
    value = feature.get("id")
    if value in (None, ""):
        value = first_property(props, keys)
    return str(value) if value is not None else str(index + 1)


def _spatial_row(feature: Mapping[str, Any], where: str, plan_id: str, number: str,
                 ingest: str) -> tuple[dict[str, Any], list[str]]:
    geom, warnings = areal_geometry(feature.get("geometry"), where)
    props = feature_properties(feature, where)
    row = {"id": f"{plan_id}/{number}", "number": number, "plan": plan_id, "ingest": ingest,
           "attributes": json.dumps(props, ensure_ascii=False, default=str),
           **_geometry_props(geom)}
    if warnings:
        row["warnings"] = warnings
    return row, warnings


# (feature, index, source, plan_id, ingest) -> (node properties, warnings)
RowMaker = Callable[[Mapping[str, Any], int, str, str, str], tuple[dict[str, Any], list[str]]]


@functools.cache
def _zone_type_ids() -> tuple[dict[str, str], dict[str, str]]:
    """(control line name → ZoneType id, 规划分区 name → ZoneType id) from the domain table."""
    zones = load_zone_types()
    return ({z.name: z.id for z in zones if z.kind == "control_line"},
            {z.name: z.id for z in zones if z.kind == "planning_zone"})


def _zone_row(feature: Mapping[str, Any], i: int, where: str, plan_id: str,
              ingest: str) -> tuple[dict[str, Any], list[str]]:
    here = f"{where}: features[{i}]"
    props = feature_properties(feature, here)
    lines, planning = _zone_type_ids()
    zone, planning_zone = props.get("zone"), first_property(props, _PLANNING_ZONE_KEYS)
    zone = zone if zone is None else str(zone)
    planning_zone = planning_zone if planning_zone is None else str(planning_zone)
    if zone is None and planning_zone is None:
        raise FeatureError("要素缺少 zone（三条控制线）或规划分区属性", "feature needs a `zone` "
                           "(control line) or a 规划分区 property", here)
    if zone is not None and zone not in CONTROL_LINES:
        raise FeatureError("zone 必须是三条控制线之一", "zone must be one of the three control "
                           "lines", f"{here}: {zone!r}; 可选 / one of {CONTROL_LINES}")
    if planning_zone is not None and planning_zone not in planning:
        raise FeatureError("未知的规划分区", "unknown planning zone (规划分区)",
                           f"{here}: {planning_zone!r}; 可选 / one of {sorted(planning)}")
    number = _feature_number(feature, props, _ZONE_ID_KEYS, i)
    row, warnings = _spatial_row(feature, here, plan_id, number, ingest)
    extra = {"zone": zone, "zone_type": lines.get(zone) if zone else None,
             "planning_zone": planning_zone,
             "planning_zone_type": planning.get(planning_zone) if planning_zone else None,
             "name": first_property(props, ("name", "名称"))}
    row |= {k: v for k, v in extra.items() if v is not None}
    return row, warnings


def _parcel_row(feature: Mapping[str, Any], i: int, where: str, plan_id: str,
                ingest: str) -> tuple[dict[str, Any], list[str]]:
    here = f"{where}: features[{i}]"
    props = feature_properties(feature, here)
    number = props.get("地块编号")
    if number in (None, ""):
        raise FeatureError("地块缺少“地块编号”属性", "parcel lacks the 地块编号 property", here)
    row, warnings = _spatial_row(feature, here, plan_id, str(number), ingest)
    code = props.get("用地代码")
    if code not in (None, ""):
        code = str(code)
        if code not in land_use_by_code():
            raise FeatureError("未知的用地用海分类代码", "unknown land-use code (用地代码)",
                               f"{here}: {code!r}")
        row["land_use"] = code
    name = first_property(props, ("用地名称", "name", "名称"))
    if name is not None:
        row["name"] = str(name)
    return row, warnings


def _rows(source: GeoJSONSource, plan_id: str, ingest: str, make: RowMaker
          ) -> tuple[list[dict[str, Any]], list[str]]:
    if not plan_id or not ingest:
        raise FeatureError("plan_id 和 ingest 不能为空", "plan_id and ingest are required",
                           f"{plan_id!r}, {ingest!r}")
    features, where = read_features(source)
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(features):
        row, warns = make(feature, i, where, plan_id, ingest)
        if row["id"] in seen:
            raise FeatureError("编号重复", "duplicate feature number",
                               f"{where}: features[{seen[row['id']]}] and features[{i}] are both "
                               f"{row['number']!r}")
        seen[row["id"]] = i
        rows.append(row)
        warnings += warns
    return rows, warnings


def _replace(graph: GraphStore, label: str, rows: list[dict[str, Any]], plan_id: str,
             ingest: str) -> None:
    """Swap one plan's nodes of `label` from `ingest` for `rows`, in one transaction."""

    def work(tx: neo4j.ManagedTransaction) -> None:
        if tx.run("MATCH (p:Plan {id: $id}) RETURN p.id", id=plan_id).single() is None:
            raise SpatialLookupError("规划不存在", "unknown plan",
                                     f"{plan_id}; 请先 upsert_plan / create the plan first")
        taken = [r["id"] for r in tx.run(
            f"MATCH (n:{label}) WHERE n.id IN $ids AND (n.ingest IS NULL OR n.ingest <> $ingest) "
            "RETURN n.id AS id", ids=[r["id"] for r in rows], ingest=ingest)]
        if taken:
            raise FeatureError("编号已被其他来源使用", "ids already belong to another ingest",
                               ", ".join(taken[:10]))
        tx.run(f"MATCH (n:{label}) WHERE n.ingest = $ingest AND n.plan = $plan DETACH DELETE n",
               ingest=ingest, plan=plan_id).consume()
        tx.run(f"UNWIND $rows AS row CREATE (n:{label}) SET n = row", rows=rows).consume()
        _link(tx, ingest)

    ensure_spatial_schema(graph)
    graph.execute_write(work)


def _load(graph: GraphStore, source: GeoJSONSource, plan_id: str, ingest: str, label: str,
          make: RowMaker) -> LoadReport:
    rows, warnings = _rows(source, plan_id, ingest, make)
    _replace(graph, label, rows, plan_id, ingest)
    return LoadReport(ingest, plan_id, len(rows), tuple(r["id"] for r in rows), tuple(warnings))


def load_zones(graph: GraphStore, source: GeoJSONSource, plan_id: str, ingest: str) -> LoadReport:
    """Zones of a plan from a GeoJSON FeatureCollection (EPSG:4490): each feature has `zone` ∈
    永久基本农田 | 生态保护红线 | 城镇开发边界 and/or a `规划分区` name; optional `id`/`编号`
    (default: the feature's position). Node id: `<plan_id>/<number>`. Replaces the plan's zones
    previously loaded under the same `ingest`; everything is checked before anything is written."""
    return _load(graph, source, plan_id, ingest, "Zone", _zone_row)


def load_parcels(graph: GraphStore, source: GeoJSONSource, plan_id: str,
                 ingest: str) -> LoadReport:
    """Parcels (地块) of a plan: property `地块编号` (required, unique), optional `用地代码`
    (用地用海分类 code → LAND_USE link). Node id: `<plan_id>/<地块编号>`; all properties are kept
    as JSON in `attributes`. Replaces like `load_zones`."""
    return _load(graph, source, plan_id, ingest, "Parcel", _parcel_row)


def parcel_id(plan_id: str, number: str) -> str:
    return f"{plan_id}/{number}"
