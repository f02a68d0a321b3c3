"""The spatial layer on a real embedded ArcadeDB server: regions, plans and 传导, zones and
parcels from GeoJSON, point/box/overlap queries, and removal by ingest.

Shapes are small squares near 120.15E, 30.28N (杭州市西湖区), built so that the expected overlap
shares are known exactly (a half, a quarter, a bare touch)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import box, mapping

from corpus.store import ClauseStore
from kg import spatial
from kg.domain_graph import DomainLoader
from kg.graph import GraphStore
from kg.resolver import ReferenceResolver
from kg.server import EmbeddedGraphServer

LOCAL_LAWS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "local"
PLAN = "hz-2035"  # 市级国土空间总体规划
DETAIL = "hz-xh-01"  # 详细规划 under it
INGEST = "test:hz"
GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid: an independent (geodesic) area check

# (minx, miny, maxx, maxy) lon/lat boxes
FARMLAND = (120.150, 30.280, 120.160, 30.290)
RED_LINE = (120.170, 30.280, 120.180, 30.290)
URBAN = (120.140, 30.295, 120.200, 30.320)
TRIANGLE = [(120.20, 30.28), (120.22, 30.28), (120.20, 30.30), (120.20, 30.28)]
HALF_IN_FARMLAND = (120.155, 30.280, 120.165, 30.290)
INSIDE_URBAN = (120.172, 30.300, 120.174, 30.302)
TOUCHES_FARMLAND = (120.140, 30.280, 120.150, 30.290)
QUARTER_IN_RED_LINE = (120.175, 30.285, 120.185, 30.295)


def feature(geometry: object, **props: object) -> dict:
    geo = geometry if geometry is None or isinstance(geometry, dict) else mapping(geometry)
    return {"type": "Feature", "geometry": geo, "properties": props}


def collection(*features: dict, crs: str | None = None) -> dict:
    doc: dict = {"type": "FeatureCollection", "features": list(features)}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def geodesic_area(geom: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def count(graph: GraphStore, label: str, ingest: str) -> int:
    rows = graph.run(f"MATCH (n:{label}) WHERE n.ingest = $i RETURN count(n) AS c", i=ingest)
    return rows[0]["c"]


ZONES = collection(
    feature(box(*FARMLAND), zone="永久基本农田", id="Z1"),
    feature(box(*RED_LINE), zone="生态保护红线", id="Z2"),
    feature(box(*URBAN), zone="城镇开发边界", 规划分区="城镇集中建设区", id="Z3"),
    feature({"type": "Polygon", "coordinates": [TRIANGLE]}, zone="生态保护红线", id="Z4"),
)
PARCELS = collection(
    feature(box(*HALF_IN_FARMLAND), 地块编号="A-01", 用地代码="0701", 容积率=2.5),
    feature(box(*INSIDE_URBAN), 地块编号="A-02", 用地代码="0701"),
    feature(box(*TOUCHES_FARMLAND), 地块编号="A-03"),
    feature(box(*QUARTER_IN_RED_LINE), 地块编号="A-04"),
)


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    data = tmp_path_factory.mktemp("spatial")
    server = EmbeddedGraphServer(data, heap_mb=512)
    server.ensure_running()
    store = GraphStore.from_server(server)
    clauses = ClauseStore(data / "corpus.sqlite")
    # the real ZoneType and LandUseClass nodes, which zones and parcels link to
    DomainLoader(store, ReferenceResolver(clauses)).sync()
    # 西湖区 gets a rough box as its boundary: the loader must take user-supplied GeoJSON
    spatial.load_regions(store, boundaries=collection(
        feature(box(120.0, 30.2, 120.2, 30.35), code="330106")))
    spatial.upsert_plan(store, PLAN, "杭州市国土空间总体规划（2021—2035年）", "市", "总体规划",
                        "330100", 2021, 2035, geometry=mapping(box(119.9, 30.1, 120.5, 30.5)))
    spatial.upsert_plan(store, DETAIL, "西湖区某单元详细规划", "市", "详细规划", "330106",
                        "2023-01-01", 2035, parent_plan=PLAN)
    spatial.load_zones(store, ZONES, PLAN, INGEST)
    spatial.load_parcels(store, PARCELS, DETAIL, INGEST)
    yield store
    store.close()
    server.stop()
    clauses.close()


# ------------------------------------------------------------------------------ region table


def test_region_table_covers_provinces_and_local_regulation_cities() -> None:
    regions = {r.code: r for r in spatial.load_region_table()}
    provinces = [r for r in regions.values() if r.level == "省级"]
    assert len(provinces) == 34
    assert {"110000", "310000", "330000", "810000", "820000", "710000"} <= set(regions)
    names = {r.name for r in regions.values()}
    cities = {m.group(1) for p in LOCAL_LAWS.glob("*.md")
              if (m := re.match(r"^(\w{2,3}市)(?!辖)", p.name))}
    assert len(cities) >= 15, cities  # the corpus is there and the pattern matched
    assert cities <= names, cities - names
    assert regions["330106"].name == "西湖区" and regions["330106"].parent == "330100"
    assert regions["330100"].parent == "330000"


@pytest.mark.parametrize("line, message", [
    ('- {code: "330106", name: 西湖区, level: 县级, parent: "320100"}', "parent of '330106'"),
    ('- {code: "330100", name: 杭州市, level: 县级, parent: "330000"}', "digit pattern"),
    ('- {code: "330000", name: 重复, level: 省级, parent: null}', "duplicate code"),
    ('- {code: "330206", name: 北仑区, level: 县级, parent: "330200"}', "not in the table"),
    ('- {code: "330105", name: 拱墅区, level: 县级, parent: "330000"}', "is in the table"),
])
def test_region_table_rejects_broken_hierarchy(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "regions.yaml"
    path.write_text("schema_version: 1\nsource: {document: 测试}\nregions:\n"
                    '- {code: "330000", name: 浙江省, level: 省级, parent: null}\n'
                    '- {code: "330100", name: 杭州市, level: 地级, parent: "330000"}\n'
                    f"{line}\n", encoding="utf-8")
    with pytest.raises(spatial.RegionDataError, match=re.escape(message)) as err:
        spatial.load_region_table(path)
    assert "行政区划表有误" in str(err.value)


# ------------------------------------------------------------------------ regions and plans


def test_region_hierarchy_in_graph(graph: GraphStore) -> None:
    rows = graph.run("MATCH (d:AdministrativeRegion {code: '330106'})-[:WITHIN]->"
                     "(c:AdministrativeRegion)-[:WITHIN]->(p:AdministrativeRegion) "
                     "RETURN d.name AS d, c.code AS c, c.name AS cn, p.code AS p, p.name AS pn")
    assert rows == [{"d": "西湖区", "c": "330100", "cn": "杭州市", "p": "330000", "pn": "浙江省"}]
    assert graph.run("MATCH (p:AdministrativeRegion {code: '330000'}) "
                     "OPTIONAL MATCH (p)-[w:WITHIN]->() RETURN p.level AS l, count(w) AS w") == [
        {"l": "省级", "w": 0}]


def test_reloading_regions_is_idempotent_and_keeps_plan_links(graph: GraphStore) -> None:
    before = count(graph, "AdministrativeRegion", spatial.REGIONS_INGEST)
    assert before == len(spatial.load_region_table())
    spatial.load_regions(graph)  # no boundaries this time
    assert count(graph, "AdministrativeRegion", spatial.REGIONS_INGEST) == before
    assert graph.run("MATCH ()-[w:WITHIN]->() RETURN count(w) AS c")[0]["c"] == before - 34
    assert graph.run("MATCH (:Plan {id: $id})-[:COVERS]->(r) RETURN r.code AS c", id=PLAN) == [
        {"c": "330100"}]
    spatial.load_regions(graph, boundaries=collection(
        feature(box(120.0, 30.2, 120.2, 30.35), adcode=330106)))
    assert graph.run("MATCH (r:AdministrativeRegion {code: '330106'}) RETURN r.minx AS x") == [
        {"x": 120.0}]
    with pytest.raises(spatial.FeatureError, match="not in the region table"):
        spatial.load_regions(graph, boundaries=collection(feature(box(120, 30, 121, 31), code="1")))
    assert count(graph, "AdministrativeRegion", spatial.REGIONS_INGEST) == before


def test_plan_transmits_to_detailed_plan(graph: GraphStore) -> None:
    rows = graph.run("MATCH (u:Plan)-[:TRANSMITS_TO]->(d:Plan)-[:COVERS]->(r) "
                     "RETURN u.id AS u, u.type AS ut, d.id AS d, d.type AS dt, r.code AS r")
    assert rows == [{"u": PLAN, "ut": "总体规划", "d": DETAIL, "dt": "详细规划", "r": "330106"}]
    detail = graph.run("MATCH (p:Plan {id: $id}) RETURN p", id=DETAIL)[0]["p"]
    assert (detail["period_start"], detail["period_end"]) == ("2023-01-01", "2035-12-31")
    # upserting again replaces the links instead of adding a second pair
    spatial.upsert_plan(graph, DETAIL, "西湖区某单元详细规划（修改）", "市", "详细规划", "330106",
                        2023, 2035, parent_plan=PLAN)
    assert graph.run("MATCH (:Plan)-[t:TRANSMITS_TO]->(:Plan {id: $id}) RETURN count(t) AS c",
                     id=DETAIL) == [{"c": 1}]
    assert graph.run("MATCH (:Plan {id: $id})-[c:COVERS]->() RETURN count(c) AS c",
                     id=DETAIL) == [{"c": 1}]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"level": "区"}, spatial.PlanError, "invalid plan level"),
    ({"type": "控制性规划"}, spatial.PlanError, "invalid plan type"),
    ({"region_code": "999999"}, spatial.SpatialLookupError, "unknown administrative region"),
    ({"parent_plan": "nope"}, spatial.SpatialLookupError, "unknown upper plan"),
    ({"parent_plan": DETAIL}, spatial.PlanError, "cannot transmit"),  # from a 详细规划
    ({"level": "省", "parent_plan": PLAN}, spatial.PlanError, "cannot transmit"),  # upwards
    ({"level": "市", "parent_plan": PLAN}, spatial.PlanError, "cannot transmit"),  # 总体→总体
    ({"period_start": 2036}, spatial.PlanError, "starts after it ends"),
])
def test_plan_rejections(graph: GraphStore, kwargs: dict, error: type, message: str) -> None:
    args = {"plan_id": "bad", "name": "错误规划", "level": "县", "type": "总体规划",
            "region_code": "330106", "period_start": 2021, "period_end": 2035} | kwargs
    with pytest.raises(error, match=message):
        spatial.upsert_plan(graph, **args)
    assert graph.run("MATCH (p:Plan {id: 'bad'}) RETURN p") == []


# --------------------------------------------------------------------------- zones, parcels


def test_zones_and_parcels_are_linked(graph: GraphStore) -> None:
    rows = graph.run("MATCH (z:Zone)-[e:OF_TYPE]->(t:ZoneType) RETURN z.id AS z, e.role AS role, "
                     "t.id AS t ORDER BY z, role")
    assert rows == [
        {"z": f"{PLAN}/Z1", "role": "control_line", "t": "permanent_basic_farmland"},
        {"z": f"{PLAN}/Z2", "role": "control_line", "t": "ecological_protection_red_line"},
        {"z": f"{PLAN}/Z3", "role": "control_line", "t": "urban_development_boundary"},
        {"z": f"{PLAN}/Z3", "role": "planning_zone", "t": "urban_concentrated_construction_zone"},
        {"z": f"{PLAN}/Z4", "role": "control_line", "t": "ecological_protection_red_line"}]
    assert graph.run("MATCH (p:Parcel)-[:LAND_USE]->(c:LandUseClass) RETURN p.number AS p, "
                     "c.name AS c ORDER BY p") == [{"p": "A-01", "c": "城镇住宅用地"},
                                                   {"p": "A-02", "c": "城镇住宅用地"}]
    assert graph.run("MATCH (n)-[:IN_PLAN]->(p:Plan) RETURN p.id AS p, count(n) AS c "
                     "ORDER BY p") == [{"p": PLAN, "c": 4}, {"p": DETAIL, "c": 4}]
    z1 = graph.run("MATCH (z:Zone {id: $id}) RETURN z", id=f"{PLAN}/Z1")[0]["z"]
    assert (z1["minx"], z1["miny"], z1["maxx"], z1["maxy"]) == FARMLAND
    assert z1["area_m2"] == pytest.approx(geodesic_area(box(*FARMLAND)), rel=1e-6)
    assert shapely.geometry.shape(json.loads(z1["geometry"])).equals(box(*FARMLAND))


def test_domain_reload_keeps_type_links(graph: GraphStore, tmp_path: Path) -> None:
    clauses = ClauseStore(tmp_path / "corpus.sqlite")
    DomainLoader(graph, ReferenceResolver(clauses)).sync(force=True)
    # domain nodes are merged in place, so links held by zones and parcels survive a reload
    assert graph.run("MATCH (:Zone)-[e:OF_TYPE]->() RETURN count(e) AS c") == [{"c": 5}]
    spatial.link_spatial(graph)
    spatial.link_spatial(graph)  # idempotent
    assert graph.run("MATCH (:Zone)-[e:OF_TYPE]->() RETURN count(e) AS c") == [{"c": 5}]
    assert graph.run("MATCH (:Parcel)-[e:LAND_USE]->() RETURN count(e) AS c") == [{"c": 2}]
    clauses.close()


def test_point_query(graph: GraphStore) -> None:
    hit = spatial.at_point(graph, 120.157, 30.285)
    assert [r["code"] for r in hit["regions"]] == ["330106"]
    assert [p["id"] for p in hit["plans"]] == [PLAN]
    assert [z["id"] for z in hit["zones"]] == [f"{PLAN}/Z1"]
    assert [p["id"] for p in hit["parcels"]] == [f"{DETAIL}/A-01"]
    assert hit["parcels"][0]["attributes"]["容积率"] == 2.5
    assert "geometry" not in hit["zones"][0]
    # inside the triangle's bounding box but outside the triangle: the exact test decides
    assert [z["id"] for z in spatial.at_point(graph, 120.202, 30.282)["zones"]] == [f"{PLAN}/Z4"]
    assert spatial.at_point(graph, 120.218, 30.298)["zones"] == []
    # far away: nothing, and no region (regions without boundaries never match)
    assert spatial.at_point(graph, 121.47, 31.23) == {"regions": [], "plans": [], "zones": [],
                                                      "parcels": []}
    with pytest.raises(spatial.CrsError):
        spatial.at_point(graph, 500000.0, 3350000.0)


def test_bbox_query(graph: GraphStore) -> None:
    hit = spatial.in_bbox(graph, 120.171, 30.299, 120.175, 30.303)
    assert [z["id"] for z in hit["zones"]] == [f"{PLAN}/Z3"]
    assert [p["id"] for p in hit["parcels"]] == [f"{DETAIL}/A-02"]
    wide = spatial.in_bbox(graph, 120.14, 30.27, 120.19, 30.30)
    assert [z["id"] for z in wide["zones"]] == [f"{PLAN}/Z{i}" for i in (1, 2, 3)]
    assert len(wide["parcels"]) == 4
    with pytest.raises(spatial.SpatialError, match="bbox minimum"):
        spatial.in_bbox(graph, 120.2, 30.3, 120.1, 30.4)


def test_overlap_area_and_share(graph: GraphStore) -> None:
    half = spatial.overlaps(graph, f"{DETAIL}/A-01")
    assert [(r["zone_id"], r["zone"]) for r in half] == [(f"{PLAN}/Z1", "永久基本农田")]
    expected = geodesic_area(box(*HALF_IN_FARMLAND).intersection(box(*FARMLAND)))
    assert half[0]["area_m2"] == pytest.approx(expected, rel=1e-6)
    assert half[0]["share"] == pytest.approx(0.5, abs=1e-4)
    # the same through an independent projection: a freshly built Albers transform applied to
    # the lon/lat intersection, densified to 10 m so parallels stay parallels
    albers = Transformer.from_crs("EPSG:4490", "+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 "
                                  "+ellps=GRS80 +units=m", always_xy=True)
    inter = box(*HALF_IN_FARMLAND).intersection(box(*FARMLAND)).segmentize(0.0001)
    assert half[0]["area_m2"] == pytest.approx(
        shapely.transform(inter, albers.transform, interleaved=False).area, rel=1e-7)
    quarter = spatial.overlaps(graph, "A-04")  # the bare 地块编号 works when unambiguous
    assert [r["zone_id"] for r in quarter] == [f"{PLAN}/Z2"]  # touches Z3 only
    assert quarter[0]["share"] == pytest.approx(0.25, abs=1e-4)
    assert spatial.overlaps(graph, "A-03") == []  # shares an edge with 永久基本农田, no area
    inside = spatial.overlaps(graph, "A-02")
    assert [r["zone"] for r in inside] == ["城镇开发边界"]
    assert inside[0]["share"] == pytest.approx(1.0, abs=1e-9)
    assert spatial.overlaps(graph, "A-01", zone="生态保护红线") == []
    with pytest.raises(spatial.SpatialLookupError, match="unknown parcel"):
        spatial.overlaps(graph, "Z-99")


def test_touching_along_a_long_parallel_is_not_an_overlap(graph: GraphStore) -> None:
    # A small parcel sitting on the 6 km top edge of 城镇开发边界 (lat 30.32). Projected as a
    # straight chord that edge would sag ~0.5 m into the parcel and fake a ~50 m² overlap.
    on_top = collection(feature(box(120.170, 30.320, 120.171, 30.321), 地块编号="E1"),
                        feature(box(120.170, 30.3195, 120.171, 30.3205), 地块编号="E2"))
    spatial.load_parcels(graph, on_top, DETAIL, "test:edge")
    assert spatial.overlaps(graph, f"{DETAIL}/E1") == []
    straddling = spatial.overlaps(graph, f"{DETAIL}/E2")
    assert [r["zone"] for r in straddling] == ["城镇开发边界"]
    assert straddling[0]["share"] == pytest.approx(0.5, abs=1e-4)
    spatial.remove_spatial(graph, "test:edge")


# ---------------------------------------------------------------------- rejections, repairs


@pytest.mark.parametrize("crs", ["EPSG:3857", "urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"])
def test_foreign_crs_is_rejected(graph: GraphStore, crs: str) -> None:
    doc = collection(feature(box(*FARMLAND), zone="永久基本农田"), crs=crs)
    with pytest.raises(spatial.CrsError, match="EPSG:4490") as err:
        spatial.load_zones(graph, doc, PLAN, "test:crs")
    assert "坐标参照系不是 CGCS2000" in str(err.value) and crs in str(err.value)
    assert count(graph, "Zone", "test:crs") == 0


def test_declared_cgcs2000_and_file_input_are_accepted(graph: GraphStore, tmp_path: Path) -> None:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(collection(feature(box(*FARMLAND), zone="永久基本农田", 编号="X"),
                                          crs="urn:ogc:def:crs:EPSG::4490"), ensure_ascii=False),
                    encoding="utf-8")
    report = spatial.load_zones(graph, path, PLAN, "test:file")
    assert report.ids == (f"{PLAN}/X",)
    assert spatial.remove_spatial(graph, "test:file")["zones"] == 1


def test_projected_coordinates_without_crs_are_rejected(graph: GraphStore) -> None:
    doc = collection(feature(box(40500000, 3350000, 40501000, 3351000), 地块编号="P"))
    with pytest.raises(spatial.CrsError, match="projected coordinates"):
        spatial.load_parcels(graph, doc, DETAIL, "test:proj")


def test_invalid_geometry_is_repaired_with_a_warning(graph: GraphStore) -> None:
    # a bow-tie: two triangles meeting at (120.305, 30.285)
    bowtie = {"type": "Polygon", "coordinates": [[
        [120.30, 30.28], [120.31, 30.29], [120.31, 30.28], [120.30, 30.29], [120.30, 30.28]]]}
    report = spatial.load_parcels(graph, collection(feature(bowtie, 地块编号="B")), DETAIL,
                                  "test:bowtie")
    assert len(report.warnings) == 1 and "make_valid" in report.warnings[0]
    node = graph.run("MATCH (p:Parcel {id: $id}) RETURN p", id=f"{DETAIL}/B")[0]["p"]
    assert node["warnings"] == list(report.warnings)
    repaired = shapely.geometry.shape(json.loads(node["geometry"]))
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon"
    assert node["area_m2"] == pytest.approx(geodesic_area(repaired), rel=1e-6)
    assert node["area_m2"] == pytest.approx(geodesic_area(box(120.30, 30.28, 120.31, 30.29)) / 2,
                                            rel=1e-3)
    spatial.remove_spatial(graph, "test:bowtie")


@pytest.mark.parametrize("geometry, error, message", [
    ({"type": "Polygon", "coordinates": []}, spatial.GeometryError, "geometry is empty"),
    ({"type": "Point", "coordinates": [120.15, 30.28]}, spatial.GeometryError, "only areal"),
    (None, spatial.GeometryError, "missing geometry"),
    ({"type": "Polygon", "coordinates": [[[120.1, 30.2], [120.2, 30.2], [120.1, 30.2],
                                          [120.1, 30.2]]]}, spatial.GeometryError,
     "cannot be repaired"),
    ({"type": "Polygon", "coordinates": [[[120.1, 30.2]]]}, spatial.GeometryError,
     "cannot be parsed"),
])
def test_bad_geometry_is_rejected(graph: GraphStore, geometry: object, error: type,
                                  message: str) -> None:
    doc = collection(feature(box(*FARMLAND), 地块编号="ok"), feature(geometry, 地块编号="bad"))
    with pytest.raises(error, match=message) as err:
        spatial.load_parcels(graph, doc, DETAIL, "test:bad")
    assert "features[1]" in str(err.value)
    assert count(graph, "Parcel", "test:bad") == 0  # nothing of the file was written


@pytest.mark.parametrize("props, loader, message", [
    ({"zone": "基本农田"}, "zones", "one of the three control lines"),
    ({"zone": "永久基本农田", "规划分区": "商业区"}, "zones", "unknown planning zone"),
    ({}, "zones", "needs a `zone`"),
    ({"用地代码": "9999", "地块编号": "Q"}, "parcels", "unknown land-use code"),
    ({"用地代码": "0701"}, "parcels", "lacks the 地块编号"),
])
def test_bad_properties_are_rejected(graph: GraphStore, props: dict, loader: str,
                                     message: str) -> None:
    load = spatial.load_zones if loader == "zones" else spatial.load_parcels
    with pytest.raises(spatial.FeatureError, match=message):
        load(graph, collection(feature(box(*FARMLAND), **props)), PLAN, "test:props")


def test_duplicate_numbers_and_foreign_ids_are_rejected(graph: GraphStore) -> None:
    doc = collection(feature(box(*FARMLAND), 地块编号="D"), feature(box(*RED_LINE), 地块编号="D"))
    with pytest.raises(spatial.FeatureError, match="duplicate feature number"):
        spatial.load_parcels(graph, doc, DETAIL, "test:dup")
    # A-01 belongs to INGEST; another ingest may not take it over
    with pytest.raises(spatial.FeatureError, match="another ingest"):
        spatial.load_parcels(graph, collection(feature(box(*FARMLAND), 地块编号="A-01")), DETAIL,
                             "test:thief")
    with pytest.raises(spatial.SpatialLookupError, match="unknown plan"):
        spatial.load_parcels(graph, collection(feature(box(*FARMLAND), 地块编号="E")), "no-plan",
                             "test:noplan")


# ------------------------------------------------------------------------------------ removal


def test_reload_replaces_and_removal_deletes_one_ingest(graph: GraphStore) -> None:
    extra = collection(feature(box(*FARMLAND), zone="永久基本农田", id="T1"),
                       feature(box(*RED_LINE), zone="生态保护红线", id="T2"))
    spatial.load_zones(graph, extra, PLAN, "test:temp")
    spatial.load_zones(graph, extra, PLAN, "test:temp")  # replaces, does not duplicate
    assert count(graph, "Zone", "test:temp") == 2
    assert len(spatial.overlaps(graph, "A-01")) == 2  # Z1 and T1
    removed = spatial.remove_spatial(graph, "test:temp")
    assert removed == {"regions": 0, "plans": 0, "zones": 2, "parcels": 0}
    assert graph.run("MATCH ()-[e]->() WHERE e.ingest = 'test:temp' RETURN count(e) AS c") == [
        {"c": 0}]
    assert [r["zone_id"] for r in spatial.overlaps(graph, "A-01")] == [f"{PLAN}/Z1"]
    assert count(graph, "Zone", INGEST) == 4


def test_removed_plan_comes_back_and_parcels_reattach(graph: GraphStore) -> None:
    spatial.upsert_plan(graph, "tmp-plan", "临时规划", "县", "专项规划", "330106", 2021, 2035,
                        parent_plan=PLAN, ingest="test:plan")
    spatial.load_parcels(graph, collection(feature(box(*FARMLAND), 地块编号="T")), "tmp-plan",
                         "test:plan-parcels")
    assert spatial.remove_spatial(graph, "test:plan")["plans"] == 1
    assert graph.run("MATCH (:Parcel {id: 'tmp-plan/T'})-[e:IN_PLAN]->() RETURN count(e) AS c"
                     ) == [{"c": 0}]
    spatial.upsert_plan(graph, "tmp-plan", "临时规划", "县", "专项规划", "330106", 2021, 2035,
                        ingest="test:plan")
    assert graph.run("MATCH (:Parcel {id: 'tmp-plan/T'})-[:IN_PLAN]->(p) RETURN p.id AS p") == [
        {"p": "tmp-plan"}]
    spatial.remove_spatial(graph, "test:plan")
    spatial.remove_spatial(graph, "test:plan-parcels")
    assert count(graph, "Parcel", "test:plan-parcels") == 0
