"""One assessment run: a region and year (against a base year) → indicators, warnings and the
figures a report is written from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agents.assessment.compute import IndicatorCalculator, IndicatorValue, YearInputs
from agents.assessment.layers import read_survey, read_zones
from agents.assessment.statistics import StatisticsError, read_statistics
from agents.assessment.targets import Target, read_targets
from agents.assessment.warnings import (
    IndicatorWarning,
    SpatialWarning,
    WarningPolicy,
    judge,
    new_construction_in_protected_zones,
)
from corpus.readers.base import Progress, no_progress


@dataclass(frozen=True)
class AssessmentRequest:
    region: str
    year: int
    survey: Path
    zones: tuple[Path, ...] = ()
    statistics: Path | None = None
    targets: Path | None = None
    base_year: int | None = None
    base_survey: Path | None = None


@dataclass
class AssessmentResult:
    region: str
    year: int
    base_year: int | None
    values: list[IndicatorValue]
    base_values: dict[str, IndicatorValue]
    warnings: list[IndicatorWarning]
    spatial: list[SpatialWarning]
    notes: list[str] = field(default_factory=list)
    unknown_targets: list[str] = field(default_factory=list)
    zones: dict = field(default_factory=dict, repr=False)  # for maps

    @property
    def summary(self) -> dict[str, int]:
        counts = {"red": 0, "yellow": 0, "green": 0, "none": 0}
        for warning in self.warnings:
            counts[warning.level] += 1
        counts["spatial"] = len(self.spatial)
        return counts

    def to_dict(self) -> dict:
        return {"region": self.region, "year": self.year, "base_year": self.base_year,
                "summary": self.summary,
                "indicators": [{**v.to_dict(),
                                "base_value": self.base_values[v.id].value
                                if v.id in self.base_values else None}
                               for v in self.values],
                "warnings": [w.to_dict() for w in self.warnings],
                "spatial_warnings": [w.to_dict() for w in self.spatial],
                "notes": self.notes, "unknown_targets": self.unknown_targets}


def _statistics_row(table: dict[tuple[str, int], dict[str, float]], region: str, year: int,
                    notes: list[str]) -> dict[str, float]:
    row = table.get((region, year))
    if row is None:
        regions = sorted({r for r, _ in table})
        if len(regions) == 1:  # a single-region table need not spell the name the same way
            row = table.get((regions[0], year))
    if row is None:
        notes.append(f"统计表中没有 {region} {year} 年的数据")
    return row or {}


def assess(request: AssessmentRequest, progress: Progress = no_progress,
           policy: WarningPolicy = WarningPolicy()) -> AssessmentResult:
    def stage(done: int, what: str) -> None:
        progress(done, 5, what)

    notes: list[str] = []
    stage(0, "读取三区三线与统计表")
    zones, zone_notes = read_zones(list(request.zones)) if request.zones else ({}, [])
    notes += zone_notes
    table = read_statistics(request.statistics) if request.statistics else {}
    if request.base_survey is not None and request.base_year is None:
        raise StatisticsError("给出基期调查时需要基期年份", "a base survey needs its base year",
                              str(request.base_survey))
    stage(1, f"读取 {request.year} 年国土调查")
    survey = read_survey(request.survey)
    notes += survey.notes
    current = YearInputs(request.year, survey, zones,
                         _statistics_row(table, request.region, request.year, notes))
    base = before = None
    if request.base_year is not None:
        stage(2, f"读取 {request.base_year} 年国土调查")
        before = read_survey(request.base_survey) if request.base_survey else None
        base = YearInputs(request.base_year, before, zones,
                          _statistics_row(table, request.region, request.base_year, notes))
    stage(3, "计算指标")
    values = IndicatorCalculator(current, base).all()
    base_values = {v.id: v for v in IndicatorCalculator(base, None).all()} if base else {}
    targets: dict[str, Target] = {}
    unknown: list[str] = []
    if request.targets is not None:
        targets, unknown = read_targets(request.targets)
    stage(4, "预警研判")
    warnings = [judge(v, targets.get(v.id), base_values.get(v.id), request.base_year,
                      request.year, policy) for v in values]
    spatial = new_construction_in_protected_zones(before, survey, zones, policy) \
        if before is not None else []
    stage(5, "完成")
    return AssessmentResult(request.region, request.year, request.base_year, values, base_values,
                            warnings, spatial, notes, unknown, zones)
