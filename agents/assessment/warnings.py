"""Early warning (动态预警): each indicator against its plan target — green, yellow or red with the
reason — a trend warning when this year's rate of change breaches the target before its year,
and spatial warnings for new construction inside 永久基本农田 or 生态保护红线 between two surveys."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import shapely

from agents.assessment.compute import IndicatorValue, shown_unit
from agents.assessment.layers import SurveyLayer
from agents.assessment.targets import Target
from kg.domain.loader import land_use_by_code
from kg.spatial.geometry import areas_m2

SQM_PER_MU = 10_000.0 / 15
PROTECTED_LINES = ("永久基本农田", "生态保护红线")


@dataclass(frozen=True)
class WarningPolicy:
    """How close to a binding limit turns yellow (a share of the target), and the smallest new
    construction patch reported (smaller ones are digitising slivers)."""

    near_limit: float = 0.02
    min_patch_m2: float = 1.0


@dataclass
class IndicatorWarning:
    indicator_id: str
    name: str
    level: str  # green, yellow, red, none (no target)
    reason: str
    value: float | None
    target: float | None
    target_year: int | None
    trend: str | None = None
    rate: float | None = None  # change per year since the base year
    breach_year: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SpatialWarning:
    line: str
    code: str
    area_m2: float
    lon: float
    lat: float
    geometry: shapely.Geometry

    @property
    def area_mu(self) -> float:
        return self.area_m2 / SQM_PER_MU

    def to_dict(self) -> dict:
        return {"line": self.line, "code": self.code, "area_m2": round(self.area_m2, 1),
                "area_mu": round(self.area_mu, 2), "lon": round(self.lon, 6),
                "lat": round(self.lat, 6), "geometry": shapely.geometry.mapping(self.geometry)}


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def judge(value: IndicatorValue, target: Target | None, base: IndicatorValue | None = None,
          base_year: int | None = None, year: int | None = None,
          policy: WarningPolicy = WarningPolicy()) -> IndicatorWarning:
    """Green, yellow or red against the target, with the reason in words."""
    if value.value is None:
        return IndicatorWarning(value.id, value.name, "none", f"无法计算：{value.note}", None,
                                target.value if target else None,
                                target.year if target else None)
    if target is None:
        return IndicatorWarning(value.id, value.name, "none", "规划未设目标值", value.value,
                                None, None)
    higher = value.direction == "higher"
    unit = shown_unit(value.unit)
    shortfall = target.value - value.value if higher else value.value - target.value
    binding = value.kind == "约束性"
    limit_word = "下限" if higher else "上限"
    if shortfall > 0:
        level = "red" if binding else "yellow"
        reason = (f"{_fmt(value.value)}{unit} {'低于' if higher else '超过'}规划目标"
                  f"{limit_word} {_fmt(target.value)}{unit}（差 {_fmt(shortfall)}）")
    elif -shortfall <= abs(target.value) * policy.near_limit and binding:
        level = "yellow"
        reason = (f"{_fmt(value.value)}{unit} 接近规划目标{limit_word} "
                  f"{_fmt(target.value)}{unit}（余量 {_fmt(-shortfall)}）")
    else:
        level, reason = "green", f"{_fmt(value.value)}{unit}，符合规划目标 {_fmt(target.value)}{unit}"
    warning = IndicatorWarning(value.id, value.name, level, reason, value.value, target.value,
                               target.year)
    if base is not None and base.value is not None and base_year and year and year > base_year:
        _trend(warning, value, base.value, base_year, year, higher)
    return warning


def _trend(warning: IndicatorWarning, value: IndicatorValue, before: float, base_year: int,
           year: int, higher: bool) -> None:
    unit = shown_unit(value.unit)
    rate = (value.value - before) / (year - base_year)
    warning.rate = rate
    warning.trend = f"{base_year}—{year} 年均变化 {_fmt(rate)}{unit}"
    target = warning.target
    worsening = rate < 0 if higher else rate > 0
    if target is None or not worsening or warning.level == "red":
        return
    breach = year + math.ceil(abs((value.value - target) / rate))
    if warning.target_year is None or breach <= warning.target_year:
        warning.breach_year = breach
        warning.trend += f"；按此速度，约 {breach} 年突破目标"
        if warning.level == "green":
            warning.level = "yellow"
            warning.reason += f"，但按当前速度约 {breach} 年突破"


def new_construction_in_protected_zones(before: SurveyLayer, after: SurveyLayer,
                                        zones: dict[str, shapely.Geometry],
                                        policy: WarningPolicy = WarningPolicy()
                                        ) -> list[SpatialWarning]:
    """Land that is construction in `after` and was not in `before`, inside a protected line:
    each patch located (lon/lat of a point inside it) and measured (m², 亩)."""
    construction = tuple(sorted(code for code, cls in land_use_by_code().items()
                                if cls.construction == "建设用地"))

    def built(layer: SurveyLayer) -> np.ndarray:
        return np.logical_or.reduce([np.char.startswith(layer.codes.astype(str), c)
                                     for c in construction])
    old = before.geometries[built(before)]
    old_tree = shapely.STRtree(old)
    now_mask = built(after)
    now, codes = after.geometries[now_mask], after.codes[now_mask]
    found: list[SpatialWarning] = []
    for line in PROTECTED_LINES:
        zone = zones.get(line)
        if zone is None:
            continue
        hits = shapely.STRtree(now).query(zone, predicate="intersects")
        for index in hits:
            part = shapely.intersection(now[index], zone)
            earlier = old[old_tree.query(part, predicate="intersects")]
            if len(earlier):
                part = shapely.difference(part, shapely.union_all(earlier))
            if part.is_empty:
                continue
            area = float(areas_m2(np.asarray([part]))[0])
            if area < policy.min_patch_m2:
                continue
            point = part.representative_point()
            found.append(SpatialWarning(line, str(codes[index]), area, point.x, point.y, part))
    return sorted(found, key=lambda w: -w.area_m2)
