"""Writing case folders: the plan document, parcels and zones as CGCS2000 GeoJSON, the
规划条件 and the gold findings (plus the true indicator values, to score extraction)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import shapely.geometry

from eval.sample_plans.spec import LAYOUTS, Parcel, PlanSpec, make_spec
from eval.sample_plans.tables import balance_table, indicator_table
from eval.sample_plans.writers import write_docx, write_pdf
from kg.domain.loader import land_use_by_code
from kg.spatial.geometry import area_m2

STEP = 0.001  # degrees per grid cell (≈ 96 m × 111 m at 30°N)
SIZE = 0.9  # a parcel covers 90% of its cell: neighbours never touch
FILLER = ("规划坚持以人民为中心，统筹生产、生活、生态空间，优化用地布局，完善公共服务设施配置。",
          "本规划确定的地块控制指标为规划管理的依据，建设项目应当符合本规划及相关技术规定。",
          "规划区内道路、市政公用设施和公共绿地按照相关规范配置，保障城市安全与公共利益。",
          "本规划未涉及的事项，按照国家、省、市现行有关规定执行。")


# Requirements no rule decides: the review lists the clauses to check them against.
TOPICAL = ("第四条 规划区西侧与永久基本农田相邻，建设活动不得占用永久基本农田。",
           "第五条 规划范围内有历史建筑一处，其保护范围内的建设应当符合保护要求。",
           "第六条 规划区内河道两侧划定城市蓝线，蓝线内禁止擅自建设。",
           "第七条 公园绿地划入城市绿线管理，任何单位不得擅自改变其用途。")


def _cell_polygon(origin: tuple[float, float], col: float, row: float) -> dict:
    x0, y0 = origin[0] + col * STEP, origin[1] + row * STEP
    x1, y1 = x0 + SIZE * STEP, y0 + SIZE * STEP
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1],
                                                [x0, y0]]]}


def _box(origin: tuple[float, float], c0: float, r0: float, c1: float, r1: float) -> dict:
    x0, y0 = origin[0] + c0 * STEP, origin[1] + r0 * STEP
    x1, y1 = origin[0] + c1 * STEP, origin[1] + r1 * STEP
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1],
                                                [x0, y0]]]}


def _collection(features: list[tuple[dict, dict]]) -> dict:
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _geometry(spec: PlanSpec, origin: tuple[float, float]) -> list[tuple[dict, dict]]:
    features = []
    for parcel in spec.parcels:
        # A parcel planted over farmland sits half in the farmland strip (columns 0–1).
        col = 0.5 if parcel.in_farmland else parcel.col
        geom = _cell_polygon(origin, col, parcel.row)
        parcel.area_m2 = round(area_m2(shapely.geometry.shape(geom)), 1)
        parcel.floor_area_m2 = parcel.far * parcel.area_m2 * (
            1.3 if "consistency" in parcel.planted and not parcel.duplicate else 1.0)
        features.append(({"地块编号": parcel.pid}, geom))
    return features


def write_case(folder: Path, spec: PlanSpec, rng: random.Random) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    origin = (rng.uniform(104.0, 121.0), rng.uniform(23.0, 38.0))
    parcels = _geometry(spec, origin)
    rows = max(p.row for p in spec.parcels) + 1
    (folder / "zones").mkdir(exist_ok=True)
    _write_json(folder / "parcels.geojson", _collection(parcels))
    _write_json(folder / "zones" / "farmland.geojson", _collection(
        [({"zone": "永久基本农田"}, _box(origin, -1.0, -0.05, 1.0, rows))]))
    _write_json(folder / "zones" / "boundary.geojson", _collection(
        [({"zone": "城镇开发边界"}, _box(origin, 1.0, -0.05, 8.5, rows))]))
    _write_json(folder / "zones" / "redline.geojson", _collection(
        [({"zone": "生态保护红线"}, _box(origin, 9.0, -0.05, 11.0, rows))]))
    _write_json(folder / "conditions.json", {p.pid: p.conditions for p in spec.parcels})

    classes = {code: c.name for code, c in land_use_by_code().items() if len(code) == 2}
    total_ha = sum(p.area_m2 for p in spec.parcels) / 10_000
    paragraphs = ["第一章 总则",
                  f"第一条 本规划范围位于{spec.region}，规划总用地面积为 {total_ha:.2f} 公顷。",
                  "第二条 本规划区建筑气候区划为Ⅲ区，住宅建筑按高层布局。",
                  "第三条 规划期限为2021—2035年。"]
    paragraphs += rng.sample(TOPICAL, 2)
    paragraphs += [rng.choice(FILLER) for _ in range(spec.start_offset)]
    tables = [indicator_table(spec.parcels, spec.layout), balance_table(spec.parcels, classes)]
    title = f"{spec.title}（2021—2035年）"
    if spec.fmt == "pdf":
        write_pdf(folder / "plan.pdf", title, paragraphs, tables, rng.random() < 0.5)
    else:
        write_docx(folder / "plan.docx", title, paragraphs, tables)
    _write_json(folder / "gold.json", _gold(spec.parcels, spec))


def _gold(parcels: list[Parcel], spec: PlanSpec) -> dict:
    findings = [{"subject": p.pid, "check": check} for p in parcels for check in p.planted]
    return {"findings": findings, "clean": [p.pid for p in parcels if not p.planted],
            "indicators": {p.pid: {"land_use": p.code, "area_m2": p.area_m2, "far": p.far,
                                   "building_density": p.density, "green_ratio": p.green,
                                   "height_limit": p.height} for p in parcels},
            "layout": {"format": spec.fmt, "columns": list(spec.layout.columns),
                       "area_unit": spec.layout.area_unit, "unit_in": spec.layout.unit_in,
                       "merged_header": spec.layout.merged_header}}


def generate_cases(out: Path, count: int = 12, seed: int = 7, parcels: tuple[int, int] = (8, 40)
                   ) -> list[Path]:
    """`count` cases cycling through the layouts and both formats; some long enough that the
    indicator table continues on the next page."""
    rng = random.Random(seed)
    folders = []
    for i in range(count):
        layout = LAYOUTS[i % len(LAYOUTS)]
        fmt = "pdf" if (i // len(LAYOUTS) + i) % 2 == 0 else "docx"
        spec = make_spec(f"case-{i + 1:02d}", rng, fmt, layout, rng.randint(*parcels))
        folder = out / spec.case_id
        write_case(folder, spec, rng)
        folders.append(folder)
    return folders
