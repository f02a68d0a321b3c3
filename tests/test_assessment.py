"""Assessment indicators on a generated county, checked against areas computed independently
here (geodesic polygon areas with pyproj.Geod, cell by cell) and the statistics as written."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from pyproj import Geod

from agents.assessment.compute import IndicatorCalculator, IndicatorValue, YearInputs
from agents.assessment.layers import read_survey, read_zones
from agents.assessment.statistics import read_statistics
from eval.sample_region import (
    CONSTRUCTION_PREFIXES,
    RegionSpec,
    cell,
    code_in,
    converted_cells,
    first_town_column,
    protected_cells,
    statistics_rows,
    write_region,
    zone_boxes,
)

SPEC = RegionSpec(rows=24, cols=30, converted=9)
GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid, to well below a square metre here


def _hm2(shape) -> float:  # type: ignore[no-untyped-def]
    return abs(GEOD.geometry_area_perimeter(shape)[0]) / 10_000


@pytest.fixture(scope="module")
def values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, IndicatorValue]:
    paths = write_region(tmp_path_factory.mktemp("region"), SPEC)
    zones, _ = read_zones([paths["zones"]])
    stats = read_statistics(paths["statistics"])
    current = YearInputs(SPEC.year, read_survey(paths[f"survey_{SPEC.year}"]), zones,
                         stats[("样例县", SPEC.year)])
    base = YearInputs(SPEC.base_year, read_survey(paths[f"survey_{SPEC.base_year}"]), zones,
                      stats[("样例县", SPEC.base_year)])
    return {v.id: v for v in IndicatorCalculator(current, base).all()}


def _expected() -> dict[str, float]:
    converted = set(converted_cells(SPEC)) | set(protected_cells(SPEC))
    town_from = first_town_column(SPEC)
    area: dict[str, float] = {}

    def add(key: str, value: float) -> None:
        area[key] = area.get(key, 0.0) + value
    for row in range(SPEC.rows):
        for col in range(SPEC.cols):
            size = _hm2(cell(SPEC, row, col))
            code, now = code_in(SPEC, row, col, SPEC.base_year), code_in(SPEC, row, col, SPEC.year)
            add("farmland_now", size * now.startswith("01"))
            add("forest", size * now.startswith("03"))
            add("wetland", size * now.startswith("05"))
            construction_now = now[:2] in CONSTRUCTION_PREFIXES
            construction_then = code[:2] in CONSTRUCTION_PREFIXES
            add("construction_now", size * construction_now)
            add("construction_then", size * construction_then)
            add("urban_now", size * (construction_now and col >= town_from))
            add("urban_then", size * (construction_then and col >= town_from))
            add("converted", size * (code.startswith("01") and construction_now
                                     and not construction_then))
    zones = {line: _hm2(shape) for line, shape in zone_boxes(SPEC).items()}
    then, now = statistics_rows(SPEC)
    return {
        "cultivated_land_retention": area["farmland_now"],
        "permanent_basic_farmland_area": zones["永久基本农田"],
        "ecological_red_line_area": zones["生态保护红线"],
        "urban_development_boundary_area": zones["城镇开发边界"],
        "udb_expansion_ratio": zones["城镇开发边界"] / area["urban_then"],
        "urban_construction_land": area["urban_now"],
        "per_capita_urban_construction_land": area["urban_now"] * 10_000 / now["城镇常住人口(人)"],
        "wetland_area": area["wetland"],
        "forest_land_retention": area["forest"],
        "construction_land_total": area["construction_now"],
        "urban_rural_construction_land": area["construction_now"],
        "construction_land_per_gdp_decline": (1 - (area["construction_now"] / now["GDP(亿元)"])
                                              / (area["construction_then"] / then["GDP(亿元)"]))
        * 100,
        "total_water_use": now["用水总量(亿m³)"],
        "construction_land_within_udb": area["urban_now"],
        "construction_share_within_udb": area["urban_now"] / zones["城镇开发边界"] * 100,
        "new_construction_on_cultivated_land": area["converted"],
    }


def test_every_indicator_matches_an_independent_computation(
        values: dict[str, IndicatorValue]) -> None:
    expected = _expected()
    assert set(expected) <= set(values)
    for indicator_id, wanted in expected.items():
        got = values[indicator_id]
        assert got.value is not None, (indicator_id, got.note)
        assert round(got.value, 2) == pytest.approx(round(wanted, 2), abs=0.011), indicator_id


def test_values_show_their_inputs_and_formula(values: dict[str, IndicatorValue]) -> None:
    ratio = values["udb_expansion_ratio"]
    assert any("2020年 城镇建设用地面积" in k for k in ratio.inputs)  # the base year's, by rule
    assert ratio.kind == "约束性" and ratio.direction == "lower" and "/" in ratio.formula


def test_missing_inputs_are_said_not_guessed(tmp_path: Path) -> None:
    paths = write_region(tmp_path, RegionSpec(rows=4, cols=10, converted=2))
    only_now = YearInputs(SPEC.year, read_survey(paths[f"survey_{SPEC.year}"]))
    result = {v.id: v for v in IndicatorCalculator(only_now).all()}
    assert result["cultivated_land_retention"].value is not None
    assert result["new_construction_on_cultivated_land"].value is None
    assert "基期" in result["new_construction_on_cultivated_land"].note
    assert result["permanent_basic_farmland_area"].value is None
    assert "永久基本农田" in result["permanent_basic_farmland_area"].note
    assert result["total_water_use"].value is None and "用水总量" in result["total_water_use"].note


# --- early warning ----------------------------------------------------------------------------

def test_new_construction_in_protected_lines_is_located_and_measured(tmp_path: Path) -> None:
    from agents.assessment.warnings import new_construction_in_protected_zones

    spec = RegionSpec(rows=12, cols=30, converted=3, protected_converted=3)
    paths = write_region(tmp_path, spec)
    zones, _ = read_zones([paths["zones"]])
    found = new_construction_in_protected_zones(read_survey(paths["survey_2020"]),
                                                read_survey(paths["survey_2024"]), zones)
    expected = protected_cells(spec)
    assert len(found) == len(expected)
    for (row, col), code in expected.items():
        shape = cell(spec, row, col)
        match = next(w for w in found if shape.contains(shapely.Point(w.lon, w.lat)))
        assert match.code == code
        assert match.line == ("永久基本农田" if col == 0 else "生态保护红线")
        assert match.area_m2 == pytest.approx(_hm2(shape) * 10_000, abs=0.5)
    # Farmland built on outside the protected lines (the town's edge) raises none.
    assert all(w.code != "0701" for w in found)


def test_targets_give_green_yellow_red_with_reasons_and_trends(tmp_path: Path) -> None:
    from agents.assessment.targets import read_targets
    from agents.assessment.warnings import judge

    table = tmp_path / "targets.csv"
    table.write_text("指标名称,单位,目标值,目标年,属性\n耕地保有量,公顷,500,2035,约束性\n"
                     "用水总量,亿立方米,1.9,2035,约束性\n城镇开发边界面积,公顷,100,2035,约束性\n"
                     "某个没有的指标,%,1,2035,预期性\n", encoding="utf-8")
    targets, unknown = read_targets(table)
    assert unknown == ["某个没有的指标"]

    def value(indicator_id: str, number: float, direction: str) -> IndicatorValue:
        return IndicatorValue(indicator_id, indicator_id, "hm²", number, "约束性", direction, "")
    red = judge(value("urban_development_boundary_area", 120, "lower"),
                targets["urban_development_boundary_area"])
    assert red.level == "red" and "超过" in red.reason and "20" in red.reason
    near = judge(value("total_water_use", 1.88, "lower"), targets["total_water_use"])
    assert near.level == "yellow" and "接近" in near.reason
    falling = judge(value("cultivated_land_retention", 560, "higher"),
                    targets["cultivated_land_retention"],
                    base=value("cultivated_land_retention", 600, "higher"), base_year=2020,
                    year=2024)
    # Losing 10 a year from 560 breaches the 500 floor in 2030, before 2035.
    assert falling.level == "yellow" and falling.breach_year == 2030
    steady = judge(value("cultivated_land_retention", 560, "higher"),
                   targets["cultivated_land_retention"])
    assert steady.level == "green"


# --- reports and the command ------------------------------------------------------------------

def test_guihua_assess_on_the_generated_sample_region(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from app.cli import app

    monkeypatch.setenv("GUIHUA_DATA_DIR", str(tmp_path / "data"))  # no clauses: no basis
    made = CliRunner().invoke(app, ["eval", "sample-region", str(tmp_path / "region"), "--rows",
                                    "12", "--cols", "30", "--json"])
    assert made.exit_code == 0, made.output
    paths = json.loads(made.stdout)
    args = ["assess", "--region", "样例县", "--year", "2024", "--base-year", "2020",
            "--survey", paths["survey_2024"], "--base-survey", paths["survey_2020"],
            "--zones", paths["zones"], "--statistics", paths["statistics"],
            "--targets", paths["targets"], "--json"]
    for suffix in (".pdf", ".html", ".json"):
        result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / f"report{suffix}")])
        assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    levels = {w["name"]: w["level"] for w in data["warnings"]}
    assert levels["林地保有量"] == "red" and levels["用水总量"] == "yellow"
    assert levels["城镇开发边界面积"] == "green"
    assert len(data["spatial_warnings"]) == 4  # the protected cells built on
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "国土空间规划实施体检评估报告" in html and "<svg" in html
    assert json.loads((tmp_path / "report.json").read_text())["narrative"]["drafted_by"] == \
        "template"
    missing = CliRunner().invoke(app, ["assess", "--region", "x", "--year", "2024", "--survey",
                                       str(tmp_path / "nope.gpkg"), "--json"])
    assert missing.exit_code == 1 and "error" in json.loads(missing.stdout)


class _Drafter:
    """Stands in for a model that writes a number the computation never produced: no real model
    can be made to do that on demand."""

    name = "drafter"
    calls_tools = False

    def __init__(self, text: str) -> None:
        self.text = text

    def complete(self, messages, options):  # type: ignore[no-untyped-def]
        from agents.llm.base import Completion

        return Completion(self.text)

    def stream(self, messages, options):  # type: ignore[no-untyped-def]
        yield self.text


def test_narrative_numbers_must_come_from_the_computation(tmp_path: Path) -> None:
    from agents.assessment.assessment import AssessmentRequest, assess
    from agents.assessment.narrative import allowed_numbers, draft_narrative, unsupported

    paths = write_region(tmp_path, RegionSpec(rows=12, cols=30, converted=3))
    result = assess(AssessmentRequest("样例县", 2024, paths["survey_2024"], (paths["zones"],),
                                      paths["statistics"], paths["targets"], 2020,
                                      paths["survey_2020"]))
    template = draft_narrative(result, None)
    allowed = allowed_numbers(result)
    assert template.drafted_by == "template"
    assert all(not unsupported(p, allowed) for p in template.paragraphs)
    forest = next(v for v in result.values if v.id == "forest_land_retention").value
    honest = f"林地保有量为 {forest:.2f} 公顷，低于目标。共有 {len(result.spatial)} 处空间预警。"
    invented = "预计到2030年耕地将减少 123.45 公顷。"
    drafted = draft_narrative(result, _Drafter(honest + invented + honest))
    assert drafted.drafted_by == "drafter" and drafted.dropped == [invented]
    assert "123.45" not in "".join(drafted.paragraphs)
    made_up = draft_narrative(result, _Drafter(invented))
    assert made_up.drafted_by == "template" and made_up.dropped == [invented]
    # Citations: only the clauses the narrative was given, and their ids are not figures.
    from agents.assessment.basis import Basis

    basis = [Basis("永久基本农田", "土地管理法@2019-08-26#35", "《土地管理法》第三十五条",
                   "永久基本农田经依法划定后，任何单位和个人不得擅自占用或者改变其用途。",
                   "2019-08-26", None)]
    cited = f"永久基本农田内不得擅自占用 [土地管理法@2019-08-26#35]。"
    stray = "另见 [土地管理法@2019-08-26#99]。"
    checked = draft_narrative(result, _Drafter(honest + cited + honest + stray + honest), basis)
    assert checked.dropped == [stray] and "[土地管理法@2019-08-26#35]" in checked.paragraphs[0]
    assert any(p.startswith("依据：永久基本农田——《土地管理法》第三十五条")
               for p in draft_narrative(result, None, basis).paragraphs)
