"""check_indicator: a planned value against the rule packs, deterministically. The model only
routes the question here; the verdict and the clause it rests on come from the rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from agents.tools.specs import CheckIndicatorArgs
from kg.domain.schemas import Rule

_OPERATOR_TEXT = {"<=": "不大于", "<": "小于", ">=": "不小于", ">": "大于", "==": "等于"}


@dataclass(frozen=True)
class IndicatorVerdict:
    rule_id: str
    passed: bool
    limit: str  # "≤ 2.0" in words: 不大于 2.0
    source: str  # GB 50180-2018 第4.0.2条 表4.0.2
    confidence: str

    def to_dict(self) -> dict:
        return asdict(self)


def limit_text(rule: Rule) -> str:
    unit = "" if rule.unit == "1" else rule.unit
    if rule.operator == "between":
        return f"{rule.min:g}–{rule.max:g}{unit}"
    return f"{_OPERATOR_TEXT.get(rule.operator, rule.operator)} {rule.threshold:g}{unit}"


def source_text(rule: Rule) -> str:
    parts = [rule.source.document]
    if rule.source.clause:
        parts.append(f"第{rule.source.clause}条")
    if rule.source.table:
        parts.append(rule.source.table)
    return " ".join(parts)


def applicable_rules(rules: list[Rule], args: CheckIndicatorArgs,
                     region: str | None = None) -> list[Rule]:
    """Rules for this indicator whose conditions the arguments meet. A condition the arguments
    leave open (no climate zone given) does not exclude a rule. Rules for the high-density
    alternative layout (表4.0.3) are not applied: the arguments cannot ask for that layout yet,
    so every block is judged by the main table. A local pack's rules apply only when `region`
    (the plan's 杭州市西湖区 …) lies in theirs, and then drop the rules they supersede."""
    chosen = []
    for rule in rules:
        c = rule.conditions
        if rule.indicator != args.indicator:
            continue
        if c.land_use and not any(args.land_use.startswith(code) or code.startswith(args.land_use)
                                  for code in c.land_use):
            continue
        if c.climate_zone and args.climate_zone and args.climate_zone not in c.climate_zone:
            continue
        if c.average_storeys and args.average_storeys is not None and not (
                c.average_storeys.min <= args.average_storeys <= c.average_storeys.max):
            continue
        if c.layout and "standard" not in c.layout:
            continue
        if c.region and not (region and any(name in region for name in c.region)):
            continue
        chosen.append(rule)
    superseded = {target for rule in chosen for target in rule.supersedes}
    return [rule for rule in chosen if rule.id not in superseded]


def check_indicator(rules: list[Rule], args: CheckIndicatorArgs) -> list[IndicatorVerdict]:
    return [IndicatorVerdict(rule.id, rule.check(args.value), limit_text(rule), source_text(rule),
                             rule.confidence)
            for rule in applicable_rules(rules, args)]
