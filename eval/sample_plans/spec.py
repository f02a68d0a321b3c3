"""What a sample plan contains: parcels with their indicators and position, the violations
planted in some of them, and the table layout it is printed with. Everything is drawn from a
seeded random generator, so a case set is reproducible from its seed."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# (code, name, FAR, density %, green %, height m) for clean parcels; residential values fit one
# row of GB 50180-2018 表4.0.2 (climate zone III, 高层I类) as a whole.
LAND_USES = (
    ("0701", "城镇住宅用地", 2.5, 20.0, 35.0, 54.0),
    ("0901", "商业用地", 2.8, 40.0, 20.0, 60.0),
    ("0902", "商务金融用地", 3.5, 35.0, 25.0, 80.0),
    ("1001", "工业用地", 1.5, 45.0, 15.0, 24.0),
    ("0804", "教育用地", 1.2, 30.0, 35.0, 24.0),
    ("0801", "机关团体用地", 1.8, 30.0, 30.0, 36.0),
)
CHECKS = ("far", "density", "green_ratio", "height", "land_use_code", "zone_conflict",
          "consistency")


@dataclass
class Parcel:
    pid: str
    code: str
    name: str
    col: int
    row: int
    far: float
    density: float
    green: float
    height: float
    area_m2: float = 0.0  # set from the drawn geometry
    floor_area_m2: float = 0.0
    planted: list[str] = field(default_factory=list)
    duplicate: bool = False  # printed twice in the table
    in_farmland: bool = False  # drawn over 永久基本农田
    conditions: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """How the indicator table is printed."""

    columns: tuple[str, ...]  # field keys in order
    headings: dict[str, str]  # field → heading text
    area_unit: str  # 公顷 | ㎡ | 亩
    unit_in: str  # heading | line | none
    merged_header: bool  # a two-row heading with group cells
    percent_style: str  # plain (35) | sign (35%) | bounded (≥35%)
    land_use_style: str  # split (code and name columns) | joined ("0701 城镇住宅用地")


LAYOUTS = (
    Layout(("pid", "code", "name", "area", "far", "density", "green", "height", "floor"),
           {"pid": "地块编号", "code": "用地代码", "name": "用地名称", "area": "用地面积",
            "far": "容积率", "density": "建筑密度(%)", "green": "绿地率(%)",
            "height": "建筑限高(m)", "floor": "计容建筑面积(㎡)"},
           "公顷", "heading", False, "plain", "split"),
    Layout(("pid", "use", "far", "height", "green", "density", "area"),
           {"pid": "编号", "use": "用地性质", "far": "容积率", "height": "建筑高度(米)",
            "green": "绿地率", "density": "建筑密度", "area": "地块面积"},
           "㎡", "heading", False, "sign", "joined"),
    Layout(("pid", "code", "name", "area", "far", "density", "green", "height"),
           {"pid": "地块编号", "code": "代码", "name": "名称", "area": "用地面积",
            "far": "容积率", "density": "建筑密度(%)", "green": "绿地率(%)",
            "height": "限高(m)"},
           "公顷", "heading", True, "plain", "split"),
    Layout(("use", "pid", "area", "density", "far", "green", "height", "floor"),
           {"pid": "地块号", "use": "用地性质", "area": "用地面积", "density": "建筑密度",
            "far": "容积率", "green": "绿地率", "height": "建筑限高", "floor": "总建筑面积(万㎡)"},
           "公顷", "line", False, "bounded", "joined"),
    Layout(("pid", "code", "far", "density", "green", "height", "area"),
           {"pid": "地块编号", "code": "用地性质代码", "far": "容积率", "density": "建筑密度(%)",
            "green": "绿地率(%)", "height": "建筑限高(m)", "area": "用地面积"},
           "㎡", "none", False, "plain", "split"),
    Layout(("pid", "code", "name", "area", "far", "density", "green", "height", "floor"),
           {"pid": "地块编号", "code": "用地代码", "name": "用地名称", "area": "面积",
            "far": "容积率", "density": "建筑密度(%)", "green": "绿地率(%)",
            "height": "建筑限高(m)", "floor": "计容建筑面积(㎡)"},
           "亩", "heading", True, "plain", "split"),
)


@dataclass
class PlanSpec:
    case_id: str
    title: str
    region: str
    fmt: str  # pdf | docx
    layout: Layout
    parcels: list[Parcel]
    start_offset: int  # paragraphs before the table: pushes a long table over a page break


def make_spec(case_id: str, rng: random.Random, fmt: str, layout: Layout, n_parcels: int
              ) -> PlanSpec:
    districts = ("西湖区", "滨江区", "鄞州区", "姑苏区", "雁塔区", "岳麓区", "江宁区", "黄埔区")
    cities = ("杭州市", "宁波市", "苏州市", "西安市", "长沙市", "南京市", "广州市")
    region = rng.choice(cities) + rng.choice(districts)
    unit = f"{rng.choice(('东湖', '南岸', '北站', '中心', '高新', '滨水', '新城'))}单元"
    parcels = []
    block = rng.choice("ABCDEFG")
    for i in range(n_parcels):
        code, name, far, density, green, height = rng.choice(LAND_USES)
        parcels.append(Parcel(f"{block}-{i + 1:02d}", code, name, 2 + i % 6, i // 6, far,
                              density, green, height))
    for parcel in parcels:
        parcel.conditions = {"far": {"max": parcel.far}, "density": {"max": parcel.density},
                             "green_ratio": {"min": parcel.green},
                             "height": {"max": parcel.height}}
    _plant(parcels, rng, "floor" in layout.columns)
    return PlanSpec(case_id, f"{region}{unit}控制性详细规划", region, fmt, layout, parcels,
                    rng.randint(2, 14))


def _plant(parcels: list[Parcel], rng: random.Random, has_floor_area: bool) -> None:
    """About a third of the parcels get one planted violation each (some two)."""
    chosen = rng.sample(parcels, max(3, len(parcels) // 3))
    for n, parcel in enumerate(chosen):
        check = CHECKS[n % len(CHECKS)] if n < len(CHECKS) else rng.choice(CHECKS)
        _apply(parcel, check, rng, has_floor_area)
        if rng.random() < 0.15:
            extra = rng.choice([c for c in ("far", "height", "green_ratio") if c != check])
            _apply(parcel, extra, rng, has_floor_area)


def _apply(parcel: Parcel, check: str, rng: random.Random, has_floor_area: bool) -> None:
    if check in parcel.planted:
        return
    if check == "far":
        parcel.far = round(parcel.far * rng.uniform(1.15, 1.5), 1)
    elif check == "density":
        parcel.density = float(round(parcel.density + rng.randint(5, 15)))
    elif check == "green_ratio":
        parcel.green = float(round(parcel.green - rng.randint(5, 10)))
    elif check == "height":
        parcel.height = float(parcel.height + rng.choice((6, 9, 12, 15)))
    elif check == "land_use_code":
        parcel.code = rng.choice(("0799", "R2", "0915"))
    elif check == "zone_conflict":
        parcel.in_farmland = True
    elif check == "consistency":
        # A 建筑面积 that disagrees with 容积率 × 用地面积 where the table prints it, else the
        # parcel printed twice.
        parcel.duplicate = not has_floor_area or rng.random() < 0.3
    parcel.planted.append(check)
