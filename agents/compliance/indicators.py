"""Parcel indicators (容积率, 建筑密度, 绿地率, 建筑限高) against the plan's own 规划条件 and the
rule packs.

Which row of a standard's table applies depends on facts a 控规 table rarely states (the
building climate zone, the average number of storeys). The check is conservative: it narrows the
rows by what is known — the climate zone when given, the storeys when given, else the storeys a
height limit leaves possible. If some row still possible fits every value the parcel states,
there is no finding. Otherwise a value that breaks *every* possible row is a violation, and one
that fits only rows the other values rule out is left to a person (`review`). So a finding is
never an artefact of guessing a row."""

from __future__ import annotations

import math
from collections.abc import Callable

from agents.compliance.model import (
    Check,
    Citation,
    Finding,
    Limit,
    ParcelConditions,
    ParcelRow,
    PlanMeta,
)
from agents.tools.indicator_check import applicable_rules, limit_text, source_text
from agents.tools.specs import CheckIndicatorArgs
from kg.domain.schemas import HEIGHT_CLASS_STOREYS, Rule

# GB 50096-2011 5.5.1: 住宅层高宜为 2.80 m. A height limit H leaves at most H / 2.8 storeys.
MIN_STOREY_HEIGHT_M = 2.8

INDICATOR_CHECKS: dict[str, Check] = {"far": "far", "building_density": "density",
                                      "green_space_ratio": "green_ratio",
                                      "building_height": "height"}
_VALUE: dict[Check, Callable[[ParcelRow], float | None]] = {
    "far": lambda p: p.far,
    "density": lambda p: p.building_density,
    "green_ratio": lambda p: p.green_ratio,
    "height": lambda p: p.height_limit,
}
CHECK_NAMES: dict[str, str] = {"far": "容积率", "density": "建筑密度", "green_ratio": "绿地率",
                               "height": "建筑限高"}
_UNITS: dict[str, str] = {"far": "", "density": "%", "green_ratio": "%", "height": "m"}
# Why a plan must keep to its 规划条件 (城乡规划法 第四十三条第一款).
CONDITIONS_BASIS = ("城乡规划法", "第四十三条第一款",
                    "建设单位应当按照规划条件进行建设；确需变更的，必须向城市、县人民政府城乡规划主管部门提出申请。")


def _fmt(value: float) -> str:
    return f"{value:g}"


def check_conditions(parcel: ParcelRow, conditions: ParcelConditions,
                     cite: Callable[[str, str, str], Citation]) -> list[Finding]:
    """The parcel's values against the limits its 规划条件 set."""
    findings = []
    for check, limit in conditions.limits.items():
        value = _VALUE[check](parcel)  # type: ignore[index]
        if value is None:
            continue
        name, unit = CHECK_NAMES[check], _UNITS[check]
        broken = _breaks(value, limit, unit)
        if broken is None:
            continue
        findings.append(Finding(
            f"conditions.{check}", "error", check, parcel.parcel_id,  # type: ignore[arg-type]
            f"地块 {parcel.parcel_id} {name} {_fmt(value)}{unit} {broken}规划条件（{conditions.source}）",
            value, _limit_words(limit, unit), cite(*CONDITIONS_BASIS), parcel.evidence,
            f"按规划条件调整{name}，或依法申请变更规划条件"))
    return findings


def _breaks(value: float, limit: Limit, unit: str) -> str | None:
    if limit.max is not None and value > limit.max + 1e-9:
        return f"超过上限 {_fmt(limit.max)}{unit}，违反"
    if limit.min is not None and value < limit.min - 1e-9:
        return f"低于下限 {_fmt(limit.min)}{unit}，违反"
    return None


def _limit_words(limit: Limit, unit: str) -> str:
    parts = []
    if limit.min is not None:
        parts.append(f"不小于 {_fmt(limit.min)}{unit}")
    if limit.max is not None:
        parts.append(f"不大于 {_fmt(limit.max)}{unit}")
    return "，".join(parts)


def possible_rows(rules: list[Rule], indicator: str, parcel: ParcelRow, meta: PlanMeta
                  ) -> list[Rule]:
    """The rule-pack rows that may apply to this parcel, narrowed by what the plan states."""
    if not parcel.land_use or not parcel.land_use.isdigit():
        return []
    args = CheckIndicatorArgs.model_construct(
        indicator=indicator, value=0.0, land_use=parcel.land_use,
        climate_zone=meta.climate_zone,
        average_storeys=round(parcel.average_storeys) if parcel.average_storeys else None)
    rows = applicable_rules(rules, args, meta.region)
    if parcel.average_storeys is None and parcel.height_limit:
        most = math.floor(parcel.height_limit / MIN_STOREY_HEIGHT_M)
        rows = [r for r in rows if _lowest_storeys(r) <= most]
    return rows


def _lowest_storeys(rule: Rule) -> int:
    c = rule.conditions
    if c.average_storeys:
        return c.average_storeys.min
    if c.height_class:
        return min(HEIGHT_CLASS_STOREYS[h][0] for h in c.height_class)
    return 1


_GENERIC: tuple = ((), (), None, (), (), (), ())


def _row_group(rule: Rule) -> tuple:
    """Rules that are one row of a table (the same climate zones, storey class, layout …) share
    this key: together they describe one reading of what the parcel is."""
    c = rule.conditions
    return (c.climate_zone, c.height_class, c.average_storeys, c.layout, c.development_type,
            c.life_circle, ())


def check_rule_packs(parcel: ParcelRow, meta: PlanMeta, rules: list[Rule],
                     cite: Callable[[str, str, str], Citation]) -> list[Finding]:
    """No finding when some possible row fits every value the parcel states; otherwise an error
    for each value that breaks every possible row, and a review for a value that fits only rows
    the other values rule out."""
    stated = {indicator: value for indicator, check in INDICATOR_CHECKS.items()
              if (value := _VALUE[check](parcel)) is not None}
    possible = {indicator: possible_rows(rules, indicator, parcel, meta) for indicator in stated}
    # Each standard (GB 50180, a city's 技术规定) is its own set of readings; their limits add
    # up, so a parcel must fit some reading of every one of them.
    by_source: dict[str, dict[str, list[Rule]]] = {}
    for indicator, rows in possible.items():
        for rule in rows:
            by_source.setdefault(rule.source.document, {}).setdefault(indicator, []).append(rule)
    findings = []
    for rows_by_indicator in by_source.values():
        findings += _judge(parcel, stated, rows_by_indicator, cite)
    return findings


def _judge(parcel: ParcelRow, stated: dict[str, float], possible: dict[str, list[Rule]],
           cite: Callable[[str, str, str], Citation]) -> list[Finding]:
    groups: dict[tuple, dict[str, Rule]] = {}
    generic: dict[str, Rule] = {}  # rules for every reading (住宅建筑高度不大于80米)
    for indicator, rows in possible.items():
        for rule in rows:
            if _row_group(rule) == _GENERIC:
                generic[indicator] = rule
            else:
                groups.setdefault(_row_group(rule), {})[indicator] = rule
    groups = {key: {**generic, **group} for key, group in groups.items()} or {_GENERIC: generic}
    if any(all(rule.check(stated[ind]) for ind, rule in group.items())
           for group in groups.values()):
        return []
    findings = []
    for indicator, rows in possible.items():
        value, check = stated[indicator], INDICATOR_CHECKS[indicator]
        failing = [r for r in rows if not r.check(value)]
        if not failing:
            continue
        name, unit = CHECK_NAMES[check], _UNITS[check]
        if len(failing) == len(rows):
            # Every possible row is broken: cite the most lenient one (the value breaks even it).
            rule = _most_lenient(failing, value)
            findings.append(Finding(
                rule.id, rule.severity if rule.severity != "info" else "warning", check,
                parcel.parcel_id,
                f"地块 {parcel.parcel_id}（{parcel.land_use}）{name} {_fmt(value)}{unit} 不符合"
                f"{source_text(rule)}：应{limit_text(rule)}"
                + ("" if len(rows) == 1 else f"（可能适用的 {len(rows)} 档均不满足）"),
                value, limit_text(rule),
                cite(rule.source.document, _article(rule), f"{name}{limit_text(rule)}"),
                parcel.evidence, f"调整{name}至{limit_text(rule)}以内"))
        else:
            findings.append(Finding(
                failing[0].id, "review", check, parcel.parcel_id,
                f"地块 {parcel.parcel_id} 的各项指标不能同时满足{source_text(rows[0])}的任何一档："
                f"{name} {_fmt(value)}{unit} 只符合部分档位，请核对建筑气候区划与住宅平均层数",
                value, "；".join(sorted({limit_text(r) for r in rows})),
                cite(failing[0].source.document, _article(failing[0]),
                     f"{name}{limit_text(failing[0])}"), parcel.evidence,
                "在规划文本中写明建筑气候区划和住宅建筑平均层数，并使各项指标落在同一档内"))
    return findings


def _article(rule: Rule) -> str:
    return " ".join(p for p in (rule.source.clause, rule.source.table) if p)


def _most_lenient(rules: list[Rule], value: float) -> Rule:
    """The failing row whose limit is nearest the value: the one the plan is closest to meeting."""
    def distance(rule: Rule) -> float:
        bounds = [b for b in (rule.threshold, rule.min, rule.max) if b is not None]
        return min(abs(value - b) for b in bounds)
    return min(rules, key=distance)
