"""Plans (国土空间规划, 五级三类): attribute checks, the 传导 (transmission) rules between plans,
and the upsert that writes a plan with its COVERS and TRANSMITS_TO links."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import neo4j

from kg.graph import GraphStore
from kg.spatial.errors import PlanError, SpatialLookupError
from kg.spatial.geometry import areal_geometry
from kg.spatial.links import _LINKS
from kg.spatial.nodes import _geometry_props, _public
from kg.spatial.schema import ensure_spatial_schema

PLAN_LEVELS = ("国家", "省", "市", "县", "乡镇")  # 五级, top down
PLAN_TYPES = ("总体规划", "详细规划", "专项规划")  # 三类


def _iso(value: date | str | int, end: bool, field: str) -> str:
    """A date, an ISO date string, or a bare year (a 规划期限 is usually given in years)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}-12-31" if end else f"{text}-01-01"
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError as err:
        raise PlanError("规划期限日期格式错误", "invalid plan period date",
                        f"{field}={value!r}; 应为 YYYY 或 YYYY-MM-DD / use YYYY or YYYY-MM-DD"
                        ) from err


def _check_transmission(upper: Mapping[str, Any], level: str, plan_type: str) -> None:
    """传导 runs down the hierarchy: to a lower level, or at one level from the 总体规划 to the
    详细规划/专项规划 that implement it. A 详细规划 is the end of the chain."""
    up_rank, rank = PLAN_LEVELS.index(upper["level"]), PLAN_LEVELS.index(level)
    ok = upper["type"] != "详细规划" and (
        up_rank < rank or (up_rank == rank and upper["type"] == "总体规划"
                           and plan_type != "总体规划"))
    if not ok:
        raise PlanError("上位规划不能向该规划传导", "the upper plan cannot transmit to this plan",
                        f"{upper['id']} ({upper['level']}级{upper['type']}) → "
                        f"{level}级{plan_type}")


def _plan_props(plan_id: str, name: str, level: str, plan_type: str, region_code: str | None,
                period_start: date | str | int, period_end: date | str | int,
                parent_plan: str | None, ingest: str) -> dict[str, Any]:
    if level not in PLAN_LEVELS:
        raise PlanError("规划层级无效", "invalid plan level",
                        f"{level!r}; 可选 / one of {PLAN_LEVELS}")
    if plan_type not in PLAN_TYPES:
        raise PlanError("规划类型无效", "invalid plan type",
                        f"{plan_type!r}; 可选 / one of {PLAN_TYPES}")
    if not plan_id or not name:
        raise PlanError("规划编号和名称不能为空", "plan id and name are required", repr(plan_id))
    start, end = _iso(period_start, False, "period_start"), _iso(period_end, True, "period_end")
    if start > end:
        raise PlanError("规划期限起始晚于结束", "plan period starts after it ends",
                        f"{start} > {end}")
    if parent_plan == plan_id:
        raise PlanError("规划不能向自身传导", "a plan cannot transmit to itself", plan_id)
    props = {"id": plan_id, "name": name, "level": level, "type": plan_type,
             "period_start": start, "period_end": end, "ingest": ingest,
             "region_code": region_code, "parent_plan": parent_plan}
    return {k: v for k, v in props.items() if v is not None}


def upsert_plan(graph: GraphStore, plan_id: str, name: str, level: str, type: str,
                region_code: str | None, period_start: date | str | int,
                period_end: date | str | int, geometry: Mapping[str, Any] | None = None,
                parent_plan: str | None = None, ingest: str | None = None) -> dict[str, Any]:
    """Create or replace a plan: level ∈ 国家/省/市/县/乡镇, type ∈ 总体规划/详细规划/专项规划.

    (Plan)-[:COVERS]->(AdministrativeRegion {code: region_code}) (None only for a 国家级 plan)
    and (parent_plan)-[:TRANSMITS_TO]->(Plan). `geometry` (GeoJSON geometry or Feature, EPSG:4490)
    is the 规划范围. `ingest` defaults to `plan:<plan_id>`. Returns the stored properties.
    """
    plan_type = type
    props = _plan_props(plan_id, name, level, plan_type, region_code, period_start, period_end,
                        parent_plan, ingest or f"plan:{plan_id}")
    if region_code is None and level != "国家":
        raise PlanError("非国家级规划必须指明行政区", "a plan below 国家 level needs a region_code",
                        plan_id)
    if geometry is not None:
        if geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        props |= _geometry_props(areal_geometry(geometry, f"plan {plan_id}.geometry")[0])
    ensure_spatial_schema(graph)
    graph.execute_write(_write_plan, props)
    return _public(props)


def _write_plan(tx: neo4j.ManagedTransaction, props: dict[str, Any]) -> None:
    code, parent = props.get("region_code"), props.get("parent_plan")
    if code is not None and tx.run("MATCH (r:AdministrativeRegion {code: $code}) RETURN r.code",
                                   code=code).single() is None:
        raise SpatialLookupError("行政区不存在", "unknown administrative region",
                                 f"{code}; 请先 load_regions / load the regions first")
    if parent is not None:
        record = tx.run("MATCH (u:Plan {id: $id}) RETURN u.id AS id, u.level AS level, "
                        "u.type AS type", id=parent).single()
        if record is None:
            raise SpatialLookupError("上位规划不存在", "unknown upper plan", parent)
        _check_transmission(record.data(), props["level"], props["type"])
    # SET p = props drops properties the new version no longer has (geometry, parent …).
    tx.run("MERGE (p:Plan {id: $id}) SET p = $props", id=props["id"], props=props).consume()
    tx.run("MATCH (p:Plan {id: $id})-[e:COVERS]->() DELETE e", id=props["id"]).consume()
    tx.run("MATCH ()-[e:TRANSMITS_TO]->(p:Plan {id: $id}) DELETE e", id=props["id"]).consume()
    tx.run("MATCH (p:Plan {id: $id}), (r:AdministrativeRegion {code: $code}) "
           "CREATE (p)-[:COVERS {ingest: p.ingest}]->(r)", id=props["id"], code=code).consume()
    tx.run("MATCH (p:Plan {id: $id}), (u:Plan {id: $parent}) "
           "CREATE (u)-[:TRANSMITS_TO {ingest: p.ingest}]->(p)", id=props["id"],
           parent=parent).consume()
    # Zones and parcels loaded before this plan (or kept when it was removed) attach now.
    for key in ("IN_PLAN_ZONE", "IN_PLAN_PARCEL"):
        tx.run(_LINKS[key].format(scope="AND n.plan = $plan"), plan=props["id"]).consume()
