"""Parcels against the three control lines (三区三线), by the zone rules of the domain table
(`kg/domain/data/zone_types.yaml`):

- inside 永久基本农田 or 生态保护红线: the most specific rule for the parcel's land use decides —
  prohibit → error, restrict (allowed only with approval, e.g. 国务院批准) → 需人工复核, allow →
  nothing; with no specific rule, construction land is an error under the line's general
  prohibition;
- outside 城镇开发边界: a rule scoped `outside` for the land use → error; any other
  construction land outside the boundary is flagged for a person to check (村庄建设, 独立选址
  projects may be lawful there).
Overlaps within the sliver tolerance are ignored and listed as `info`."""

from __future__ import annotations

from collections.abc import Callable

from agents.compliance.model import Citation, Evidence, Finding
from agents.compliance.spatial import Overlap, ParcelShape, SliverTolerance
from kg.domain.schemas import LandUseClass, ZoneRule, ZoneType

URBAN_BOUNDARY = "城镇开发边界"
# Construction land that belongs outside the urban boundary by design: rural housing and village
# services (0703, 0704) and transport corridors (12). Not flagged there.
EXPECTED_OUTSIDE_BOUNDARY = ("0703", "0704", "12")
Citer = Callable[[str, str, str], Citation]


def _rule_citation(rule: ZoneRule, cite: Citer) -> Citation:
    article = rule.source.article or rule.source.clause or ""
    return cite(rule.source.document, article, rule.source.quote or rule.activity)


def _specific_rule(rules: tuple[ZoneRule, ...], code: str, scope: str) -> ZoneRule | None:
    """The rule naming the most specific class that contains `code`."""
    best: tuple[int, ZoneRule] | None = None
    for rule in rules:
        if rule.scope != scope:
            continue
        for named in rule.land_use:
            if code.startswith(named) and (best is None or len(named) > best[0]):
                best = (len(named), rule)
    return best[1] if best else None


def _general_prohibition(rules: tuple[ZoneRule, ...], scope: str) -> ZoneRule | None:
    return next((r for r in rules if r.scope == scope and r.effect == "prohibit"
                 and not r.land_use), None)


def _is_construction(code: str, classes: dict[str, LandUseClass]) -> bool | None:
    for length in (len(code), 4, 2):
        found = classes.get(code[:length])
        if found:
            return found.construction == "建设用地"
    return None


def check_zones(parcel: ParcelShape, land_use: str | None, overlaps: list[Overlap],
                zone_types: dict[str, ZoneType], classes: dict[str, LandUseClass],
                tolerance: SliverTolerance, cite: Citer, evidence: Evidence | None = None
                ) -> list[Finding]:
    """Findings for one parcel. `land_use`: the table's code (else the geometry's); `evidence`:
    the table row (else the feature)."""
    where = evidence or parcel.evidence
    findings: list[Finding] = []
    by_line = {o.line: o for o in overlaps if o.parcel_id == parcel.parcel_id}
    for line, overlap in by_line.items():
        if line == URBAN_BOUNDARY:
            continue
        if tolerance.ignores(overlap.area_m2, parcel.area_m2):
            findings.append(Finding(
                "zones.sliver", "info", "zone_conflict", parcel.parcel_id,
                f"地块 {parcel.parcel_id} 与{line}重叠 {overlap.area_m2:.1f}㎡，在容差"
                f"（{tolerance.area_m2:g}㎡ 或 {tolerance.share:.1%}）以内，视为边界误差",
                round(overlap.area_m2, 2), None, None, where))
            continue
        findings += _inside(parcel, land_use, overlap, zone_types[line], classes, cite, where)
    if URBAN_BOUNDARY in zone_types and land_use:
        findings += _outside_boundary(parcel, land_use, by_line.get(URBAN_BOUNDARY),
                                      zone_types[URBAN_BOUNDARY], classes, tolerance, cite, where)
    return findings


def _amount(overlap_m2: float, parcel_m2: float) -> str:
    return (f"{overlap_m2:,.0f}㎡（{overlap_m2 / (10000 / 15):.2f}亩，占地块 "
            f"{overlap_m2 / parcel_m2:.1%}）")


def _inside(parcel: ParcelShape, land_use: str | None, overlap: Overlap, zone: ZoneType,
            classes: dict[str, LandUseClass], cite: Citer, where: Evidence) -> list[Finding]:
    amount = _amount(overlap.area_m2, parcel.area_m2)
    value = round(overlap.area_m2, 2)
    if not land_use:
        return [Finding("zones.unknown_use", "review", "zone_conflict", parcel.parcel_id,
                        f"地块 {parcel.parcel_id} 与{zone.name}重叠 {amount}，用地性质不明，需人工复核",
                        value, None, None, where, f"补充用地性质后复核与{zone.name}的关系")]
    rule = _specific_rule(zone.rules, land_use, "inside")
    if rule is None and _is_construction(land_use, classes):
        rule = _general_prohibition(zone.rules, "inside")
    if rule is None or rule.effect == "allow":
        return []
    severity = "error" if rule.effect == "prohibit" else "review"
    verb = "占用" if rule.effect == "prohibit" else "涉及"
    message = (f"地块 {parcel.parcel_id}（{land_use}）{verb}{zone.name} {amount}：{rule.activity}")
    suggestion = (f"调整地块边界或用地性质，避让{zone.name}" if rule.effect == "prohibit"
                  else "核实是否属于允许情形并取得相应批准")
    return [Finding(f"zones.{zone.id}.{rule.effect}", severity, "zone_conflict",  # type: ignore[arg-type]
                    parcel.parcel_id, message, value, f"不得{verb}{zone.name}" if
                    rule.effect == "prohibit" else rule.activity, _rule_citation(rule, cite),
                    where, suggestion)]


def _outside_boundary(parcel: ParcelShape, land_use: str, inside: Overlap | None,
                      zone: ZoneType, classes: dict[str, LandUseClass],
                      tolerance: SliverTolerance, cite: Citer, where: Evidence) -> list[Finding]:
    outside_m2 = parcel.area_m2 - (inside.area_m2 if inside else 0.0)
    if tolerance.ignores(outside_m2, parcel.area_m2):
        return []
    amount = _amount(outside_m2, parcel.area_m2)
    rule = _specific_rule(zone.rules, land_use, "outside")
    if rule is not None and rule.effect == "prohibit":
        return [Finding(f"zones.{zone.id}.outside", "error", "zone_conflict", parcel.parcel_id,
                        f"地块 {parcel.parcel_id}（{land_use}）有 {amount} 位于{zone.name}外：{rule.activity}",
                        round(outside_m2, 2), f"应位于{zone.name}内", _rule_citation(rule, cite),
                        where, f"将该用地调入{zone.name}内，或调整用地性质")]
    if _is_construction(land_use, classes) and not land_use.startswith(EXPECTED_OUTSIDE_BOUNDARY):
        basis = zone.legal_basis
        citation = cite(basis.document, basis.article or "", basis.quote or zone.definition) \
            if basis else None
        return [Finding(f"zones.{zone.id}.outside_flag", "warning", "zone_conflict",
                        parcel.parcel_id,
                        f"建设用地地块 {parcel.parcel_id}（{land_use}）有 {amount} 位于{zone.name}外，"
                        "请核对是否属于允许在边界外布局的村庄建设、独立选址等项目",
                        round(outside_m2, 2), f"原则上位于{zone.name}内", citation, where,
                        "核对项目类型与审批依据")]
    return []
