"""Plan targets for assessment indicators, from the plan's indicator table as a CSV or XLSX file:
a row per indicator with its name (or id), target value and target year, as 规划指标表 list them
(指标名称 | 单位 | 基期值 | 目标值 | 目标年 | 属性)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agents.assessment.statistics import StatisticsError, column_key, table_rows
from kg.domain.loader import load_indicators

NAME_COLUMNS = ("指标名称", "指标", "名称", "indicator")
TARGET_COLUMNS = ("目标值", "规划目标", "规划期末", "target")
YEAR_COLUMNS = ("目标年", "目标年份", "规划期末年", "year")


@dataclass(frozen=True)
class Target:
    indicator_id: str
    value: float
    year: int | None


def _find(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((i for i, h in enumerate(header) if h in names), None)


def read_targets(path: Path, default_year: int | None = None) -> tuple[dict[str, Target], list[str]]:
    """Targets by indicator id, and rows that name no known indicator (reported, not dropped
    silently)."""
    rows = [r for r in table_rows(path) if any(c.strip() for c in r)]
    if not rows:
        raise StatisticsError("指标表为空", "the indicator table is empty", path.name)
    header = [column_key(h) for h in rows[0]]
    name_at, target_at = _find(header, NAME_COLUMNS), _find(header, TARGET_COLUMNS)
    year_at = _find(header, YEAR_COLUMNS)
    if name_at is None or target_at is None:
        raise StatisticsError("指标表需要“指标名称”和“目标值”两列", "the indicator table needs "
                              "name and target columns", f"{path.name}: {rows[0]}")
    known = {}
    for indicator in load_indicators():
        for label in (indicator.id, indicator.name, *indicator.aliases):
            known[label] = indicator.id
    targets: dict[str, Target] = {}
    unknown: list[str] = []
    for row in rows[1:]:
        name = row[name_at].strip()
        if name not in known:
            unknown.append(name)
            continue
        try:
            value = float(row[target_at].replace(",", ""))
        except (ValueError, IndexError):
            raise StatisticsError("目标值不是数字", "a target is not a number",
                                  f"{path.name}「{name}」: {row[target_at]!r}") from None
        year = default_year
        if year_at is not None and year_at < len(row) and row[year_at].strip():
            year = int(float(row[year_at]))
        targets[known[name]] = Target(known[name], value, year)
    return targets, unknown
