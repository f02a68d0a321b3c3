"""Each assessment indicator of the catalogue computed for one region and year, with the inputs
and the formula that gave it. Areas come from the ellipsoid (equal-area projection), never from
degrees; results are in the catalogue's units (hm² for areas)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import shapely

from agents.assessment.layers import URBAN_SETTINGS, VILLAGE_SETTINGS, SurveyLayer
from kg.domain.loader import land_use_by_code, load_indicators
from kg.domain.schemas import Computation, Indicator
from kg.spatial.geometry import areas_m2

M2_PER_HECTARE = 10_000.0
UDB = "城镇开发边界"


@dataclass(frozen=True)
class YearInputs:
    """What one year contributes: its survey, zone layers and statistics row."""

    year: int
    survey: SurveyLayer | None = None
    zones: dict[str, shapely.Geometry] = field(default_factory=dict)
    statistics: dict[str, float] = field(default_factory=dict)


@dataclass
class IndicatorValue:
    id: str
    name: str
    unit: str
    value: float | None
    kind: str
    direction: str
    formula: str
    inputs: dict[str, float] = field(default_factory=dict)
    note: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def shown_unit(unit: str) -> str:
    """How a unit is written after a number: a dimensionless "1" is not written."""
    return "" if unit == "1" else unit


class MissingInput(Exception):
    """An indicator cannot be computed from what was supplied (said in its note, not raised)."""


class IndicatorCalculator:
    """Computes the catalogue for one region: `current` year, optionally against a `base`."""

    def __init__(self, current: YearInputs, base: YearInputs | None = None,
                 catalogue: list[Indicator] | None = None) -> None:
        self.current, self.base = current, base
        self.catalogue = {i.id: i for i in (catalogue or load_indicators()) if i.assessment}
        construction = {code for code, cls in land_use_by_code().items()
                        if cls.construction == "建设用地"}
        self._construction = tuple(sorted(construction))
        self._cache: dict[tuple[str, int], float] = {}

    def all(self) -> list[IndicatorValue]:
        return [self.value(indicator_id) for indicator_id in self.catalogue]

    def value(self, indicator_id: str) -> IndicatorValue:
        indicator = self.catalogue[indicator_id]
        assessment = indicator.assessment
        inputs: dict[str, float] = {}
        try:
            value = self._compute(indicator, self.current, inputs)
            note = None
        except MissingInput as missing:
            value, note = None, str(missing)
        return IndicatorValue(indicator.id, indicator.name, indicator.unit,
                              None if value is None else round(value, 4), assessment.kind,
                              assessment.direction, indicator.formula or indicator.definition,
                              {k: round(v, 4) for k, v in inputs.items()}, note)

    # -- the methods ----------------------------------------------------------------------------
    def _compute(self, indicator: Indicator, year: YearInputs, inputs: dict[str, float]) -> float:
        key = (indicator.id, year.year)
        if key in self._cache:
            return self._cache[key]
        spec = indicator.assessment.compute
        method = getattr(self, f"_{spec.method}")
        result = method(spec, year, inputs)
        self._cache[key] = result
        return result

    def _land_area(self, spec: Computation, year: YearInputs, inputs: dict[str, float]) -> float:
        survey = self._survey(year)
        mask = self._coded(survey, spec.codes or self._construction)
        if spec.setting in ("城镇", "村庄") and survey.has_settings:
            wanted = URBAN_SETTINGS if spec.setting == "城镇" else VILLAGE_SETTINGS
            mask &= np.isin(survey.settings, wanted)
        elif spec.setting is not None:  # inside the 城镇开发边界 (or, lacking 城镇村 codes, as 城镇)
            boundary = self._zone(year, UDB)
            inside = _area_within(survey.geometries[mask], survey.areas_m2[mask], boundary)
            if spec.setting == "村庄":
                inside = float(survey.areas_m2[mask].sum()) - inside
            inputs[f"{year.year}年 {spec.setting}图斑面积(公顷)"] = inside / M2_PER_HECTARE
            return inside / M2_PER_HECTARE
        area = float(survey.areas_m2[mask].sum()) / M2_PER_HECTARE
        inputs[f"{year.year}年 {'、'.join(spec.codes) or '建设用地'} 图斑面积(公顷)"] = area
        return area

    def _zone_area(self, spec: Computation, year: YearInputs, inputs: dict[str, float]) -> float:
        area = float(areas_m2(np.asarray([self._zone(year, spec.zone)]))[0]) / M2_PER_HECTARE
        inputs[f"{spec.zone}面积(公顷)"] = area
        return area

    def _statistic(self, spec: Computation, year: YearInputs, inputs: dict[str, float]) -> float:
        return self._operand(f"stat:{spec.column}", year, inputs)

    def _quotient(self, spec: Computation, year: YearInputs, inputs: dict[str, float]) -> float:
        numerator = self._operand(spec.numerator, year, inputs)
        at = self._base_year() if spec.base_denominator else year
        denominator = self._operand(spec.denominator, at, inputs)
        if denominator == 0:
            raise MissingInput(f"分母为 0：{spec.denominator}")
        return numerator / denominator * spec.factor

    def _decline(self, spec: Computation, year: YearInputs, inputs: dict[str, float]) -> float:
        base = self._base_year()
        now = self._operand(spec.numerator, year, inputs) / self._operand(spec.denominator, year,
                                                                           inputs)
        then = self._operand(spec.numerator, base, inputs) / self._operand(spec.denominator, base,
                                                                           inputs)
        return (1 - now / then) * 100

    def _converted_area(self, spec: Computation, year: YearInputs,
                        inputs: dict[str, float]) -> float:
        before, after = self._survey(self._base_year()), self._survey(year)
        was = before.geometries[self._coded(before, spec.codes)]
        now = after.geometries[self._coded(after, self._construction)]
        tree = shapely.STRtree(now)
        left, right = tree.query(was, predicate="intersects")
        overlap = shapely.intersection(was[left], now[right])
        area = float(areas_m2(overlap).sum()) / M2_PER_HECTARE
        inputs[f"{self._base_year().year}→{year.year} 由 {'、'.join(spec.codes)} 变为建设用地(公顷)"] = area
        return area

    # -- inputs ---------------------------------------------------------------------------------
    def _operand(self, name: str | None, year: YearInputs, inputs: dict[str, float]) -> float:
        assert name is not None
        if name.startswith("stat:"):
            column = name[5:]
            if column not in year.statistics:
                raise MissingInput(f"统计表缺少 {year.year} 年的「{column}」")
            value = year.statistics[column]
            inputs[f"{year.year}年 {column}"] = value
            return value
        indicator = self.catalogue[name]
        value = self._compute(indicator, year, {})
        inputs[f"{year.year}年 {indicator.name}({indicator.unit})"] = value
        return value

    def _base_year(self) -> YearInputs:
        if self.base is None:
            raise MissingInput("需要基期数据（基期调查与统计）")
        return self.base

    @staticmethod
    def _survey(year: YearInputs) -> SurveyLayer:
        if year.survey is None:
            raise MissingInput(f"缺少 {year.year} 年的国土调查图层")
        return year.survey

    @staticmethod
    def _zone(year: YearInputs, line: str | None) -> shapely.Geometry:
        if line not in year.zones:
            raise MissingInput(f"缺少{line}图层")
        return year.zones[line]

    @staticmethod
    def _coded(survey: SurveyLayer, codes: tuple[str, ...]) -> np.ndarray:
        return np.char.startswith(survey.codes.astype(str), codes[0]) if len(codes) == 1 else \
            np.logical_or.reduce([np.char.startswith(survey.codes.astype(str), c) for c in codes])


def _area_within(geometries: np.ndarray, areas: np.ndarray, zone: shapely.Geometry) -> float:
    """m² of the polygons inside `zone`: whole ones counted as they are, crossing ones cut."""
    shapely.prepare(zone)
    inside = shapely.contains_properly(zone, geometries)
    crossing = ~inside & shapely.intersects(zone, geometries)
    cut = shapely.intersection(geometries[crossing], zone)
    return float(areas[inside].sum() + areas_m2(cut).sum())
