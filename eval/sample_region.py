"""A generated county for assessment tests and benchmarks: two survey years of square 图斑 with
known codes and 城镇村 attributes, the three control lines, a statistics table, written as
GeoPackage / GeoJSON / CSV. The layout is regular so answers can be computed independently.

Cells are `cell_deg` squares in CGCS2000 lon/lat. Columns decide the use: the west third is
farmland (01, inside 永久基本农田 for its western half), then forest (03), wetland (05) in a
band, and the east is construction (07/08/09/1207) inside the 城镇开发边界; between the survey
years `converted` farmland cells next to the town become 居住用地 (0701)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
import shapely.geometry

ORIGIN = (119.5, 30.1)
CONSTRUCTION_CODES = ("0701", "0801", "0901", "1207")
CONSTRUCTION_PREFIXES = ("07", "08", "09", "10", "12")


@dataclass(frozen=True)
class RegionSpec:
    rows: int = 40
    cols: int = 40
    cell_deg: float = 0.001
    converted: int = 12  # farmland cells that become construction between the years
    protected_converted: int = 2  # cells inside 永久基本农田 / 生态保护红线 built on (warnings)
    base_year: int = 2020
    year: int = 2024


def cell(spec: RegionSpec, row: int, col: int) -> shapely.Polygon:
    x0, y0 = ORIGIN[0] + col * spec.cell_deg, ORIGIN[1] + row * spec.cell_deg
    return shapely.box(x0, y0, x0 + spec.cell_deg, y0 + spec.cell_deg)


def base_code(spec: RegionSpec, row: int, col: int) -> str:
    share = col / spec.cols
    if share < 1 / 3:
        return ("0101", "0102", "0103")[(row + col) % 3]
    if share < 1 / 2:
        return "0301"
    if share < 0.55:
        return "0501"  # wetland up to the town, whose first column is `first_town_column`
    return CONSTRUCTION_CODES[(row * 7 + col) % len(CONSTRUCTION_CODES)]


def protected_cells(spec: RegionSpec) -> dict[tuple[int, int], str]:
    """Cells built on inside the protected lines by the second survey, alternately in
    永久基本农田 (column 0) and 生态保护红线 (its first column), with the code they get."""
    red_line = max(c for c in range(spec.cols) if c / spec.cols < 1 / 3) + 1
    return {(i // 2, 0 if i % 2 == 0 else red_line): "0901" if i % 2 == 0 else "1001"
            for i in range(spec.protected_converted)}


def code_in(spec: RegionSpec, row: int, col: int, year: int) -> str:
    """The cell's 用地用海 code in a survey year."""
    if year == spec.year:
        if (row, col) in converted_cells(spec):
            return "0701"
        built = protected_cells(spec).get((row, col))
        if built:
            return built
    return base_code(spec, row, col)


def converted_cells(spec: RegionSpec) -> list[tuple[int, int]]:
    """Farmland cells on the town side of the farmland, top rows first."""
    col = max(c for c in range(spec.cols) if c / spec.cols < 1 / 3)
    return [(row, col) for row in range(spec.rows)][:spec.converted]


def first_town_column(spec: RegionSpec) -> int:
    return next(c for c in range(spec.cols) if c / spec.cols >= 0.55)


def zone_boxes(spec: RegionSpec) -> dict[str, shapely.Polygon]:
    """The control lines along cell edges (the same arithmetic as `cell`, so edges coincide)."""
    def columns(first: int, end: int) -> shapely.Polygon:
        west, south = cell(spec, 0, first).bounds[:2]
        east, north = cell(spec, spec.rows - 1, end - 1).bounds[2:]
        return shapely.box(west, south, east, north)
    third = max(c for c in range(spec.cols) if c / spec.cols < 1 / 3) + 1
    half = max(c for c in range(spec.cols) if c / spec.cols < 1 / 2) + 1
    return {"永久基本农田": columns(0, third // 2), "生态保护红线": columns(third, half),
            "城镇开发边界": columns(first_town_column(spec), spec.cols)}


def _cell_hm2(spec: RegionSpec) -> float:
    """A cell's area, near enough (30°N) for pitching statistics and targets."""
    return (spec.cell_deg * 111_320 * 0.866) * (spec.cell_deg * 110_574) / 10_000


def statistics_rows(spec: RegionSpec) -> list[dict[str, float | int | str]]:
    """Population sized to the town (about 105 and 98 m² of town land per person), GDP growing
    faster than construction land, water use just under its cap."""
    town_hm2 = (spec.cols - first_town_column(spec)) * spec.rows * _cell_hm2(spec)
    then, now = round(town_hm2 * 10_000 / 105), round(town_hm2 * 10_000 / 98)
    return [{"地区": "样例县", "年份": spec.base_year, "常住人口(人)": round(then * 1.6),
             "城镇常住人口(人)": then, "GDP(亿元)": 180.0, "用水总量(亿m³)": 1.92},
            {"地区": "样例县", "年份": spec.year, "常住人口(人)": round(now * 1.6),
             "城镇常住人口(人)": now, "GDP(亿元)": 231.0, "用水总量(亿m³)": 1.88}]


def _write_layer(path: Path, geometries: list, fields: dict[str, list]) -> None:
    from pyogrio.raw import write

    write(path, np.asarray(shapely.to_wkb(np.asarray(geometries, dtype=object)), dtype=object),
          [np.asarray(values, dtype=object) for values in fields.values()],
          fields=list(fields), geometry_type="Polygon", crs="EPSG:4490",
          driver="GPKG" if path.suffix == ".gpkg" else "GeoJSON")


def write_region(folder: Path, spec: RegionSpec = RegionSpec()) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    town_from = first_town_column(spec)
    paths: dict[str, Path] = {}
    for year in (spec.base_year, spec.year):
        geometries, codes, settings = [], [], []
        for row in range(spec.rows):
            for col in range(spec.cols):
                code = code_in(spec, row, col, year)
                shape = cell(spec, row, col)
                urban = col >= town_from  # construction there is 城镇 (201)
                geometries.append(shape)
                codes.append(code)
                settings.append("201" if urban else ("203" if code[:2] in CONSTRUCTION_PREFIXES
                                                     else ""))
        path = folder / f"survey_{year}.gpkg"
        _write_layer(path, geometries, {"用地用海代码": codes, "城镇村属性码": settings})
        paths[f"survey_{year}"] = path
    zones = zone_boxes(spec)
    zones_path = folder / "zones.geojson"
    zones_path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"zone": line},
         "geometry": shapely.geometry.mapping(shape)} for line, shape in zones.items()]},
        ensure_ascii=False), encoding="utf-8")
    paths["zones"] = zones_path
    stats_path = folder / "statistics.csv"
    rows = statistics_rows(spec)
    with stats_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    paths["statistics"] = stats_path
    targets_path = folder / "targets.csv"
    with targets_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["指标名称", "单位", "目标值", "目标年", "属性"])
        writer.writerows(plan_targets(spec))
    paths["targets"] = targets_path
    return paths


def plan_targets(spec: RegionSpec) -> list[list]:
    """The plan's indicator table, pitched so that the sample shows every warning level:
    farmland just above its floor (and falling), forest below its floor, water use near its cap,
    the town boundary within its cap."""
    cell_hm2 = _cell_hm2(spec)
    farmland = sum(1 for r in range(spec.rows) for c in range(spec.cols)
                   if base_code(spec, r, c).startswith("01")) * cell_hm2
    forest = sum(1 for r in range(spec.rows) for c in range(spec.cols)
                 if base_code(spec, r, c).startswith("03")) * cell_hm2
    town = (spec.cols - first_town_column(spec)) * spec.rows * cell_hm2
    return [["耕地保有量", "公顷", round(farmland * 0.97, 1), 2035, "约束性"],
            ["林地保有量", "公顷", round(forest * 1.05, 1), 2035, "约束性"],
            ["城镇开发边界面积", "公顷", round(town * 1.1, 1), 2035, "约束性"],
            ["用水总量", "亿立方米", 1.9, 2035, "约束性"],
            ["人均城镇建设用地面积", "平方米/人", 115, 2035, "预期性"]]
