"""The printed cells of a sample plan's tables, shared by the PDF and DOCX writers: heading
rows (with merges) and body rows formatted as the layout says."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from eval.sample_plans.spec import Layout, Parcel

AREA_FACTORS = {"公顷": 10_000.0, "㎡": 1.0, "亩": 10_000.0 / 15}
GROUPS = {"code": "用地性质", "name": "用地性质", "far": "控制指标", "density": "控制指标",
          "green": "控制指标", "height": "控制指标"}


@dataclass
class PrintedTable:
    caption: str
    unit_line: str | None
    header: list[list[str]]  # one or two rows
    merges: list[tuple[int, int, int, int]]  # row, col, rowspan, colspan within the header
    body: list[list[str]]


def _area(value_m2: float, unit: str) -> str:
    value = value_m2 / AREA_FACTORS[unit]
    return f"{value:.0f}" if unit == "㎡" else f"{value:.4f}" if unit == "公顷" else f"{value:.2f}"


def _percent(value: float, style: str, bound: str) -> str:
    text = f"{value:g}"
    return {"plain": text, "sign": f"{text}%", "bounded": f"{bound}{text}%"}[style]


def _cell(parcel: Parcel, key: str, layout: Layout) -> str:
    match key:
        case "pid":
            return parcel.pid
        case "code":
            return parcel.code
        case "name":
            return parcel.name
        case "use":
            return f"{parcel.code} {parcel.name}"
        case "area":
            return _area(parcel.area_m2, layout.area_unit)
        case "far":
            return f"{parcel.far:g}"
        case "density":
            return _percent(parcel.density, layout.percent_style, "≤")
        case "green":
            return _percent(parcel.green, layout.percent_style, "≥")
        case "height":
            return f"{parcel.height:g}"
        case "floor":
            heading = layout.headings["floor"]
            factor = 10_000.0 if "万" in heading else 1.0
            value = parcel.floor_area_m2 / factor
            return f"{value:.4f}" if factor > 1 else f"{value:.0f}"
    raise KeyError(key)


def _heading(key: str, layout: Layout) -> str:
    text = layout.headings[key]
    if key == "area" and layout.unit_in == "heading":
        text += f"（{layout.area_unit}）"
    return text


def indicator_table(parcels: list[Parcel], layout: Layout) -> PrintedTable:
    body = []
    for parcel in parcels:
        row = [_cell(parcel, key, layout) for key in layout.columns]
        body.append(row)
        if parcel.duplicate:
            body.append(row[:])
    unit_line = f"单位：{layout.area_unit}" if layout.unit_in == "line" else None
    if not layout.merged_header:
        return PrintedTable("表1 地块控制指标一览表", unit_line,
                            [[_heading(k, layout) for k in layout.columns]], [], body)
    # Two heading rows: group cells over their columns, other headings merged down.
    top, bottom, merges = [], [], []
    col = 0
    keys = list(layout.columns)
    while col < len(keys):
        group = GROUPS.get(keys[col])
        span = 1
        while group and col + span < len(keys) and GROUPS.get(keys[col + span]) == group:
            span += 1
        if group and span > 1:
            top += [group] + [""] * (span - 1)
            bottom += [_heading(k, layout) for k in keys[col:col + span]]
            merges.append((0, col, 1, span))
        elif keys[col] == "area":
            top.append(layout.headings["area"])
            bottom.append(f"（{layout.area_unit}）" if layout.unit_in == "heading" else "")
        else:
            top.append(_heading(keys[col], layout))
            bottom.append("")
            merges.append((0, col, 2, 1))
        col += span
    return PrintedTable("表1 地块控制指标一览表", unit_line, [top, bottom], merges, body)


def balance_table(parcels: list[Parcel], classes: dict[str, str]) -> PrintedTable:
    """By 一级类 of the (valid) codes; parcels with an invalid code go under 其他."""
    areas: dict[str, float] = defaultdict(float)
    for parcel in parcels:
        key = parcel.code[:2] if parcel.code[:2] in classes and parcel.code.isdigit() else "其他"
        areas[key] += parcel.area_m2
    total = sum(areas.values())
    body = []
    for key in sorted(areas):
        name = classes.get(key, "其他用地")
        code = key if key in classes else ""
        body.append([code, name, f"{areas[key] / 10_000:.4f}", f"{100 * areas[key] / total:.2f}"])
    body.append(["", "合计", f"{total / 10_000:.4f}", "100.00"])
    return PrintedTable("表2 规划用地平衡表", None, [["用地代码", "用地名称", "面积（公顷）", "比例（%）"]],
                        [], body)
