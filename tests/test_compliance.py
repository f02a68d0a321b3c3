"""The compliance engine on hand-built plans and real geometry: indicators against 规划条件 and
the GB 50180 rule pack, land-use codes, table consistency, and parcels against the control
lines, with areas checked against an independent geodesic computation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import mapping as shapely_mapping
from shapely.geometry import shape

from agents.compliance.engine import ComplianceEngine
from agents.compliance.model import (
    BalanceRow,
    Evidence,
    Limit,
    ParcelConditions,
    ParcelRow,
    PlanData,
    PlanMeta,
)
from agents.compliance.spatial import SliverTolerance, read_parcels, read_zone_layers
from corpus.ingest import ingest_paths
from corpus.store import ClauseStore

NATIONAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national"
DAY = date(2025, 6, 1)
LON, LAT = 120.10, 30.20  # near Hangzhou
STEP = 0.001  # ≈ 96 m × 111 m


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ClauseStore:
    with ClauseStore(tmp_path_factory.mktemp("compliance") / "corpus.sqlite") as s:
        report = ingest_paths(s, [NATIONAL / "土地管理法(2019-08-26).md",
                                  NATIONAL / "城乡规划法(2019-04-23).md",
                                  NATIONAL / "基本农田保护条例(2011-01-08).md"])
        assert not report.failures
        yield s


@pytest.fixture(scope="module")
def engine(store: ClauseStore) -> ComplianceEngine:
    return ComplianceEngine.from_domain(store, DAY)


def _row(pid: str, n: int, **values: float | str | None) -> ParcelRow:
    return ParcelRow(pid, Evidence("plan.pdf", page=3, table="地块控制指标一览表", row=n), **values)


def _by(findings: list, subject: str, check: str) -> list:
    return [f for f in findings if f.subject == subject and f.check == check]


# --- indicators ------------------------------------------------------------------------------

def test_indicators_against_the_rule_pack_row_that_applies(engine: ComplianceEngine) -> None:
    meta = PlanMeta(climate_zone="III")
    plan = PlanData(meta, [
        _row("A-01", 1, land_use="0701", far=3.5, building_density=18, green_ratio=35,
             height_limit=80, average_storeys=20),
        _row("A-02", 2, land_use="0701", far=2.4, building_density=20, green_ratio=35,
             height_limit=54, average_storeys=15),
        _row("A-03", 3, land_use="0701", far=2.4, green_ratio=20, height_limit=54,
             average_storeys=15)])
    findings = engine.run(plan).findings
    far = _by(findings, "A-01", "far")
    assert len(far) == 1 and far[0].severity == "error"
    assert far[0].citation.law == "GB 50180-2018" and "4.0.2" in far[0].citation.article
    assert far[0].evidence.row == 1 and far[0].evidence.table == "地块控制指标一览表"
    assert far[0].value == 3.5
    assert not [f for f in findings if f.subject == "A-02" and f.severity == "error"]
    green = _by(findings, "A-03", "green_ratio")
    assert [f.severity for f in green] == ["error"]


def test_unknown_climate_zone_and_storeys_flag_only_what_breaks_every_possible_row(
        engine: ComplianceEngine) -> None:
    plan = PlanData(PlanMeta(), [
        # FAR 5.0 breaks every residential row of every climate zone.
        _row("B-01", 1, land_use="0701", far=5.0),
        # A 15 m height limit allows at most 5 storeys: low-rise or 多层I类 rows only, and
        # FAR 2.0 breaks them all.
        _row("B-02", 2, land_use="0701", far=2.0, height_limit=15),
        # FAR 2.0 with no height limit fits a high-rise row: no finding.
        _row("B-03", 3, land_use="0701", far=2.0),
        # FAR 2.5 fits only high-rise rows, density 30% only lower ones: no row fits both.
        _row("B-04", 4, land_use="0701", far=2.5, building_density=30)])
    result = engine.run(plan)
    assert [f.severity for f in _by(result.findings, "B-01", "far")] == ["error"]
    assert [f.severity for f in _by(result.findings, "B-02", "far")] == ["error"]
    assert not [f for f in result.findings if f.subject == "B-03"]
    assert [f.severity for f in _by(result.findings, "B-04", "far")] == ["review"]
    assert [f.severity for f in _by(result.findings, "B-04", "density")] == ["review"]
    assert any("建筑气候区划" in note for note in result.notes)


def test_plan_conditions_are_enforced_with_the_statute_text(engine: ComplianceEngine,
                                                            store: ClauseStore) -> None:
    conditions = {"C-01": ParcelConditions("C-01", {"far": Limit(max=2.0),
                                                    "green_ratio": Limit(min=30)},
                                           "conditions.json")}
    plan = PlanData(PlanMeta(), [_row("C-01", 1, land_use="0901", far=2.2, green_ratio=32)],
                    conditions=conditions)
    findings = engine.run(plan).findings
    far = _by(findings, "C-01", "far")
    assert len(far) == 1 and far[0].rule_id == "conditions.far" and far[0].severity == "error"
    citation = far[0].citation
    assert citation.clause_id and citation.clause_id.startswith("城乡规划法@2019-04-23#43")
    assert citation.text == store.clause(citation.clause_id).text  # verbatim, from the corpus
    assert not _by(findings, "C-01", "green_ratio")


# --- land-use codes and consistency ----------------------------------------------------------

def test_land_use_codes(engine: ComplianceEngine) -> None:
    plan = PlanData(PlanMeta(), [
        _row("D-01", 1, land_use="0701", land_use_name="城镇住宅用地"),
        _row("D-02", 2, land_use="R2", land_use_name="二类居住用地"),
        _row("D-03", 3, land_use="0799"),
        _row("D-04", 4, land_use="0701", land_use_name="商业用地"),
        _row("D-05", 5)])
    findings = engine.run(plan).findings
    assert not _by(findings, "D-01", "land_use_code")
    assert [f.severity for f in _by(findings, "D-02", "land_use_code")] == ["error"]
    assert "GB 50137" in _by(findings, "D-02", "land_use_code")[0].message
    assert [f.severity for f in _by(findings, "D-03", "land_use_code")] == ["error"]
    assert [f.rule_id for f in _by(findings, "D-04", "land_use_code")] == ["land_use.name_mismatch"]
    assert [f.rule_id for f in _by(findings, "D-05", "land_use_code")] == ["land_use.missing"]


def test_table_consistency(engine: ComplianceEngine) -> None:
    parcels = [_row("E-01", 1, land_use="0901", area_m2=10_000, far=2.0, floor_area_m2=20_050),
               _row("E-02", 2, land_use="0901", area_m2=10_000, far=2.0, floor_area_m2=25_000),
               _row("E-02", 3, land_use="0901", area_m2=5_000)]
    balance = [BalanceRow("城镇住宅用地", Evidence("plan.pdf", 5, "用地平衡表", 1), "07", 12_000, 48.0),
               BalanceRow("商业服务业用地", Evidence("plan.pdf", 5, "用地平衡表", 2), "09", 10_000, 40.0),
               BalanceRow("合计", Evidence("plan.pdf", 5, "用地平衡表", 3), None, 25_000, 100.0,
                          is_total=True)]
    findings = engine.run(PlanData(PlanMeta(), parcels, balance)).findings
    assert not _by(findings, "E-01", "consistency")  # 20,050 / 10,000 = 2.005 ≈ 2.0
    rules = {f.rule_id for f in findings if f.subject == "E-02"}
    assert rules == {"consistency.duplicate_parcel", "consistency.floor_area"}
    table = {f.rule_id for f in findings if f.subject == "用地平衡表"}
    assert {"consistency.balance_shares", "consistency.balance_total"} <= table


# --- geometry --------------------------------------------------------------------------------

def _square(col: float, row: float, width: float = 1.0, height: float = 1.0) -> dict:
    x0, y0 = LON + col * STEP, LAT + row * STEP
    x1, y1 = x0 + width * STEP, y0 + height * STEP
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def _collection(*features: tuple[dict, dict]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}


def _write(path: Path, doc: dict) -> Path:
    import json

    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def _geodesic_m2(geom: dict) -> float:
    return abs(Geod(ellps="GRS80").geometry_area_perimeter(shape(geom))[0])


@pytest.fixture
def zone_files(tmp_path: Path) -> list[Path]:
    # 永久基本农田 on columns 0–1; the urban boundary on columns 4–9; a red line on column 12.
    farmland = _write(tmp_path / "farmland.geojson", _collection(
        ({"zone": "永久基本农田"}, _square(0, 0, 2, 1))))
    boundary = _write(tmp_path / "boundary.geojson", _collection(
        ({"zone": "城镇开发边界"}, _square(4, 0, 6, 1)),
        ({"zone": "生态保护红线"}, _square(12, 0, 1, 1))))
    return [farmland, boundary]


def test_parcels_against_the_control_lines(engine: ComplianceEngine, store: ClauseStore,
                                           zone_files: list[Path], tmp_path: Path) -> None:
    parcels = _write(tmp_path / "parcels.geojson", _collection(
        ({"地块编号": "F-01"}, _square(1.5, 0)),  # half in farmland, 农村宅基地
        ({"地块编号": "F-02"}, _square(0, 0, 1, 1)),  # 旱地 in farmland: allowed
        ({"地块编号": "F-03"}, _square(5, 0)),  # housing inside the urban boundary
        ({"地块编号": "F-04"}, _square(9.5, 0)),  # housing half outside the boundary
        ({"地块编号": "F-05"}, _square(10.5, 2)),  # industry outside the boundary: flagged
        ({"地块编号": "F-06"}, _square(11.0001, 0)),  # a sliver over the red line
        ({"地块编号": "F-07"}, _square(12.5, 0, 0.5, 1)),  # a road in the red line: restricted
    ))
    shapes, problems = read_parcels(parcels)
    assert not problems
    layers, zone_problems = read_zone_layers(zone_files)
    assert not zone_problems and {layer.line for layer in layers} == {
        "永久基本农田", "城镇开发边界", "生态保护红线"}
    rows = [_row("F-01", 1, land_use="0703"), _row("F-02", 2, land_use="0103"),
            _row("F-03", 3, land_use="0701"), _row("F-04", 4, land_use="0701"),
            _row("F-05", 5, land_use="1001"), _row("F-06", 6, land_use="0901"),
            _row("F-07", 7, land_use="1202")]
    result = engine.run(PlanData(PlanMeta(), rows), shapes, layers)
    zone = {pid: _by(result.findings, pid, "zone_conflict") for pid in
            ("F-01", "F-02", "F-03", "F-04", "F-05", "F-06", "F-07")}

    farmland = zone["F-01"]
    assert [f.severity for f in farmland] == ["error"]
    citation = farmland[0].citation
    assert citation.clause_id == "土地管理法@2019-08-26#62-3"
    assert citation.text == store.clause(citation.clause_id).text
    assert farmland[0].evidence.row == 1  # the table row, not the feature
    # The overlap is half the parcel; measured area agrees with a geodesic computation.
    expected = _geodesic_m2(_square(1.5, 0, 0.5, 1))
    assert farmland[0].value == pytest.approx(expected, rel=1e-3)
    assert "亩" in farmland[0].message

    assert not zone["F-02"] and not zone["F-03"]
    assert [f.rule_id for f in zone["F-04"]] == ["zones.urban_development_boundary.outside"]
    assert zone["F-04"][0].value == pytest.approx(_geodesic_m2(_square(10.5, 0, 0.5, 1)),
                                                  rel=1e-3)
    assert [f.severity for f in zone["F-05"]] == ["warning"]
    assert [f.severity for f in zone["F-06"] if f.severity != "info"] == ["warning"]  # outside UDB
    assert any(f.rule_id == "zones.sliver" for f in zone["F-06"])
    assert [f.severity for f in zone["F-07"] if f.rule_id.startswith("zones.ecological")] == [
        "review"]
    assert any("容差" in note for note in result.notes)


def test_a_wider_sliver_tolerance_is_applied(store: ClauseStore, zone_files: list[Path],
                                             tmp_path: Path) -> None:
    parcels = _write(tmp_path / "p.geojson", _collection(
        ({"地块编号": "G-01"}, _square(1.9, 0, 1, 1))))  # 10% over farmland
    shapes, _ = read_parcels(parcels)
    layers, _ = read_zone_layers(zone_files)
    rows = [_row("G-01", 1, land_use="0703")]
    strict = ComplianceEngine.from_domain(store, DAY).run(PlanData(PlanMeta(), rows), shapes,
                                                          layers)
    loose = ComplianceEngine.from_domain(store, DAY, sliver=SliverTolerance(share=0.2)).run(
        PlanData(PlanMeta(), rows), shapes, layers)
    assert any(f.severity == "error" for f in _by(strict.findings, "G-01", "zone_conflict"))
    assert not any(f.severity == "error" for f in _by(loose.findings, "G-01", "zone_conflict"))


def test_bad_geometry_gives_findings_not_crashes(engine: ComplianceEngine, tmp_path: Path
                                                 ) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[LON, LAT], [LON + STEP, LAT + STEP],
                                                  [LON + STEP, LAT], [LON, LAT + STEP],
                                                  [LON, LAT]]]}
    parcels = _write(tmp_path / "bad.geojson", _collection(
        ({"地块编号": "H-01"}, bowtie),
        ({"名称": "无编号"}, _square(3, 3)),
        ({"地块编号": "H-03"}, {"type": "LineString", "coordinates": [[LON, LAT],
                                                                     [LON + STEP, LAT]]}),
        ({"地块编号": "H-04"}, _square(6, 6))))
    shapes, problems = read_parcels(parcels)
    assert [s.parcel_id for s in shapes] == ["H-01", "H-04"]
    assert {p.rule_id for p in problems} == {"geometry.repaired", "geometry.parcel_id",
                                             "geometry.invalid"}
    rows = [_row("H-01", 1, land_use="0701"), _row("H-02", 2, land_use="0701")]
    findings = engine.run(PlanData(PlanMeta(), rows), shapes, []).findings
    assert [f.rule_id for f in findings if f.subject == "H-02"] == ["consistency.parcel_not_drawn"]
    assert [f.rule_id for f in findings if f.subject == "H-04"] == ["consistency.parcel_not_listed"]
    # Projected metres declared as (or taken for) CGCS2000 lon/lat: one clear finding.
    projected = _write(tmp_path / "projected.geojson", _collection(
        ({"地块编号": "J-01"}, {"type": "Polygon", "coordinates": [[[500000, 3340000],
                                                                    [500100, 3340000],
                                                                    [500100, 3340100],
                                                                    [500000, 3340000]]]})))
    shapes, problems = read_parcels(projected)
    assert not shapes and [p.rule_id for p in problems] == ["geometry.crs"]
    assert "EPSG:4490" in problems[0].message


# --- other file formats and coordinate systems ------------------------------------------------

def _projected(geom: dict, epsg: int) -> object:
    import shapely
    from pyproj import Transformer

    to = Transformer.from_crs(4490, epsg, always_xy=True)
    return shapely.transform(shape(geom), to.transform, interleaved=False)


def _write_ogr(path: Path, geoms: list, ids: list[str], epsg: int, driver: str,
               encoding: str | None = None) -> None:
    import numpy as np
    import shapely
    from pyogrio.raw import write

    write(str(path), geometry=np.array([shapely.to_wkb(g) for g in geoms], dtype=object),
          field_data=[np.array(ids, dtype=object)], fields=["地块编号"], crs=f"EPSG:{epsg}",
          geometry_type="Polygon", driver=driver, encoding=encoding)


def test_shapefile_zip_and_geopackage_in_projected_zones(tmp_path: Path) -> None:
    import zipfile

    # Near 117°E: CGCS2000 3-degree Gauss–Krüger zone 39 (EPSG:4527) has its meridian there.
    square = {"type": "Polygon", "coordinates": [[[117.0, 31.0], [117.002, 31.0],
                                                  [117.002, 31.002], [117.0, 31.002],
                                                  [117.0, 31.0]]]}
    expected = _geodesic_m2(square)
    shp = tmp_path / "shp"
    shp.mkdir()
    _write_ogr(shp / "parcels.shp", [_projected(square, 4527)], ["K-01"], 4527,
               "ESRI Shapefile", "GBK")
    archive = tmp_path / "parcels.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.iterdir():
            if part.suffix != ".cpg":  # as ArcGIS often ships them: GBK, no .cpg
                zf.write(part, part.name)
    gpkg = tmp_path / "parcels.gpkg"
    _write_ogr(gpkg, [_projected(square, 4527)], ["K-01"], 4527, "GPKG")
    for source in (archive, gpkg):
        shapes, findings = read_parcels(source)
        assert [s.parcel_id for s in shapes] == ["K-01"], findings
        assert shapes[0].area_m2 == pytest.approx(expected, rel=1e-3)
        assert [f.severity for f in findings] == ["info"]  # "reprojected from …"
        assert "4527" in findings[0].message or "Gauss" in findings[0].message

    # A GeoJSON with a projected crs member is reprojected the same way.
    projected = _projected(square, 4527)
    doc = _collection(({"地块编号": "K-02"}, shapely_mapping(projected)))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4527"}}
    shapes, _ = read_parcels(_write(tmp_path / "k2.geojson", doc))
    assert shapes[0].area_m2 == pytest.approx(expected, rel=1e-3)


def test_wrong_or_unsupported_coordinate_systems_are_findings(tmp_path: Path) -> None:
    square = {"type": "Polygon", "coordinates": [[[117.0, 31.0], [117.002, 31.0],
                                                  [117.002, 31.002], [117.0, 31.002],
                                                  [117.0, 31.0]]]}
    # Xi'an 1980 3-degree zone 39: another datum, refused rather than guessed.
    xian = _collection(({"地块编号": "X-01"}, square))
    xian["crs"] = {"type": "name", "properties": {"name": "EPSG:2379"}}
    shapes, findings = read_parcels(_write(tmp_path / "xian.geojson", xian))
    assert not shapes and findings[0].rule_id == "geometry.crs"
    assert "CGCS2000" in findings[0].message
    # Declared as zone 39 metres, but the numbers are degrees: outside China once converted.
    wrong = _collection(({"地块编号": "X-02"}, square))
    wrong["crs"] = {"type": "name", "properties": {"name": "EPSG:4527"}}
    shapes, findings = read_parcels(_write(tmp_path / "wrong.geojson", wrong))
    assert not shapes and "不符" in findings[0].message


def test_a_local_pack_applies_in_its_region_on_top_of_the_national_one(
        engine: ComplianceEngine) -> None:
    def run(region: str, **values: float) -> list:
        plan = PlanData(PlanMeta(region=region, climate_zone="III"),
                        [_row("L-01", 1, land_use="0701", **values)])
        return [f for f in engine.run(plan).findings if f.subject == "L-01"]

    # 高层 (15 storeys), FAR 2.6, density 20%, green 35%, height 54 m: fits GB 50180 III
    # 高层I类 and 杭州's 高层 row.
    fine = dict(far=2.6, building_density=20, green_ratio=35, height_limit=54, average_storeys=15)
    assert not run("杭州市西湖区", **fine)
    # Height 85 m breaks 杭州's "住宅建筑高度不大于80米" (a rule for every storey class) and
    # GB 50180's 54 m for 高层I类; elsewhere only GB 50180 speaks.
    tall = dict(fine, height_limit=85)
    hangzhou = {f.rule_id for f in run("杭州市西湖区", **tall)}
    assert "hangzhou-2026.t2-3.building_height" in hangzhou
    assert any(r.startswith("gb50180") for r in hangzhou)
    assert not any(r.startswith("hangzhou") for r in (f.rule_id for f in run("宁波市鄞州区", **tall)))
    # 多层 (6 storeys) FAR 2.2: above 杭州's 2.0 for 4–9 storeys, a warning (transcribed rule).
    mid = {f.rule_id: f.severity for f in run("杭州市", far=2.2, average_storeys=6)}
    assert mid.get("hangzhou-2026.t2-3.mid.far") == "warning"
