"""Recognising a plan table's columns by their headings, however they are ordered, named or
split over merged header rows, and reading cell values into canonical units.

A heading is matched by the first field whose pattern it contains (more specific fields are
tried first: 计容建筑面积 before 用地面积, 用地代码 before 用地性质). Units come from the heading
("用地面积（公顷）"), else from the table's 单位 line; an area column without either gets its unit
inferred from the magnitudes, and the inference is reported."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Field = Literal["parcel_id", "land_use_code", "land_use_name", "land_use", "area", "floor_area",
                "far", "density", "green_ratio", "height", "storeys", "share", "name"]

# (field, heading pattern) in matching order.
_HEADINGS: tuple[tuple[Field, re.Pattern[str]], ...] = tuple(
    (field, re.compile(pattern)) for field, pattern in (
        ("parcel_id", r"地块编[号码]|^编号$|地块号|地块代码|^地块$|用地编号|街坊编号"),
        ("far", r"容积率"),
        ("density", r"建筑密度|覆盖率"),
        ("green_ratio", r"绿地率|绿化率"),
        ("height", r"限高|建筑高度|高度"),
        ("storeys", r"层数"),
        ("floor_area", r"建筑面积|建筑规模|建筑量"),
        ("land_use_code", r"(?:用地|分类|类别)?代码|用地性质代码"),
        ("land_use_name", r"用地(?:性质)?名称|类别名称|用地类[别型]"),
        ("land_use", r"用地性质|用地用途|土地用途"),
        ("area", r"用地面积|地块面积|占地面积|面积"),
        ("share", r"比例|占比|百分比|比重"),
    ))

# m² per unit, keyed as `normalise` writes them (NFKC: ㎡ → m2, hm² → hm2).
_AREA_UNITS = {"公顷": 10_000.0, "hm2": 10_000.0, "ha": 10_000.0, "万平方米": 10_000.0,
               "万m2": 10_000.0, "平方公里": 1_000_000.0, "km2": 1_000_000.0, "平方米": 1.0,
               "m2": 1.0, "亩": 10_000.0 / 15}
_UNIT_PATTERN = re.compile("|".join(sorted(map(re.escape, _AREA_UNITS), key=len, reverse=True)))
_NUMBER = re.compile(r"(?<![\d.])-?\d+(?:\.\d+)?")
_EMPTY = re.compile(r"^[\s\-—–/／\\、×xX*＊无]*$")
_CODE_AND_NAME = re.compile(r"^\s*(\d{2}(?:\d{2}){0,2}|[A-Z]{1,2}\d{0,2}[a-z]?)(?![\d.])\s*[/、\s（(]*"
                            r"(.*?)[)）]?\s*$")
TOTAL_ROW = re.compile(r"合\s*计|总\s*计|小\s*计|总用地|规划总用地|规划用地总")


@dataclass(frozen=True)
class Column:
    index: int
    field: Field
    heading: str
    area_factor: float | None = None  # m² per unit, for area columns (None: unit not stated)


def normalise(text: str | None) -> str:
    """Full-width to half-width, no spaces or line breaks (headings wrap inside cells)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def area_factor(text: str | None) -> float | None:
    match = _UNIT_PATTERN.search(normalise(text))
    return _AREA_UNITS.get(match.group(0)) if match else None


def heading_field(heading: str) -> Field | None:
    text = normalise(heading)
    for field, pattern in _HEADINGS:
        if pattern.search(text):
            return field
    return None


def map_columns(headings: list[str], table_unit: str | None = None) -> list[Column]:
    """The recognised columns of a table; the first column wins when two match one field."""
    columns: list[Column] = []
    taken: set[Field] = set()
    for index, heading in enumerate(headings):
        field = heading_field(heading)
        if field is None or field in taken:
            continue
        factor = None
        if field in ("area", "floor_area"):
            factor = area_factor(heading) or (area_factor(table_unit) if field == "area" else None)
        columns.append(Column(index, field, heading, factor))
        taken.add(field)
    return columns


def parse_number(text: str | None, prefer: Literal["upper", "lower"] = "upper") -> float | None:
    """A cell's number: "≤2.5" → 2.5, "35%" → 35, "1.2~1.5" → the upper (or lower) bound,
    "—" or "/" → None."""
    value = normalise(text).replace(",", "").replace("，", "")
    if _EMPTY.match(value):
        return None
    numbers = [float(n) for n in _NUMBER.findall(value.replace("~", " ").replace("～", " "))]
    if not numbers:
        return None
    if len(numbers) >= 2 and re.search(r"\d[~～\-—–至]\d", value):
        return max(numbers[:2]) if prefer == "upper" else min(numbers[:2])
    return numbers[0]


def parse_land_use(text: str | None) -> tuple[str | None, str | None]:
    """(code, name) from "0701", "城镇住宅用地", "0701 城镇住宅用地", "R2（二类居住用地）"."""
    value = (text or "").strip()
    if _EMPTY.match(value):
        return None, None
    match = _CODE_AND_NAME.match(unicodedata.normalize("NFKC", value))
    if match:
        return match.group(1), (match.group(2).strip() or None)
    return None, normalise(value)


def percent(value: float | None) -> float | None:
    """Ratios written as fractions (0.35) become percentages (35)."""
    if value is None:
        return None
    return value * 100 if 0 < value <= 1 else value
