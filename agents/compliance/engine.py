"""All deterministic checks over one plan: the table's indicators, land-use codes and internal
consistency, then (with geometry) the overlay against the control lines. Pure over its inputs:
the same plan, rules and geometry always give the same findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from agents.compliance.citations import ClauseCiter
from agents.compliance.consistency import (
    Tolerances,
    check_balance,
    check_duplicates,
    check_floor_area,
)
from agents.compliance.indicators import check_conditions, check_rule_packs
from agents.compliance.land_use import check_land_use
from agents.compliance.model import Finding, PlanData, sort_findings
from agents.compliance.spatial import (
    Overlap,
    ParcelShape,
    SliverTolerance,
    ZoneLayer,
    overlay,
)
from agents.compliance.zones import check_zones
from corpus.store import ClauseStore
from kg.domain.loader import land_use_by_code, load_rule_packs, load_zone_types
from kg.domain.schemas import LandUseClass, Rule, ZoneType

DEFAULT_TOLERANCES = Tolerances()  # frozen: safe to share as a default
DEFAULT_SLIVER = SliverTolerance()


@dataclass
class ComplianceResult:
    findings: list[Finding]
    overlaps: list[Overlap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the checks assumed, for the report
    parcels_checked: int = 0
    rules_loaded: int = 0


class ComplianceEngine:
    def __init__(self, rules: list[Rule], classes: dict[str, LandUseClass],
                 zone_types: dict[str, ZoneType], citer: ClauseCiter,
                 tolerances: Tolerances = DEFAULT_TOLERANCES,
                 sliver: SliverTolerance = DEFAULT_SLIVER) -> None:
        self.rules = rules
        self.classes = classes
        self.zone_types = zone_types
        self.cite = citer
        self.tolerances = tolerances
        self.sliver = sliver

    @classmethod
    def from_domain(cls, store: ClauseStore | None, day: date, rule_dirs: tuple[Path, ...] = (),
                    tolerances: Tolerances = DEFAULT_TOLERANCES,
                    sliver: SliverTolerance = DEFAULT_SLIVER) -> ComplianceEngine:
        """The shipped rule packs plus local ones, and the shipped code and zone tables."""
        rules = [rule for pack in load_rule_packs(rule_dirs) for rule in pack.rules]
        zone_types = {z.name: z for z in load_zone_types() if z.kind == "control_line"}
        return cls(rules, land_use_by_code(), zone_types, ClauseCiter(store, day), tolerances,
                   sliver)

    def run(self, plan: PlanData, shapes: list[ParcelShape] | None = None,
            layers: list[ZoneLayer] | None = None) -> ComplianceResult:
        findings = check_duplicates(plan.parcels)
        notes = []
        if plan.parcels and not plan.meta.climate_zone:
            notes.append("规划未写明建筑气候区划：按各气候区中可能适用的档位判断，只有全部档位都不满足才判为违规")
        for parcel in plan.parcels:
            findings += check_land_use(parcel, self.classes)
            conditions = plan.conditions.get(parcel.parcel_id)
            if conditions:
                findings += check_conditions(parcel, conditions, self.cite)
            findings += check_rule_packs(parcel, plan.meta, self.rules, self.cite)
            findings += check_floor_area(parcel, self.tolerances)
        findings += check_balance(plan.balance, plan.parcels, self.tolerances)
        overlaps: list[Overlap] = []
        if shapes is not None:
            findings += self._match_ids(plan, shapes)
            overlaps = overlay(shapes, layers or [])
            rows = {p.parcel_id: p for p in plan.parcels}
            for shape in shapes:
                row = rows.get(shape.parcel_id)
                land_use = (row.land_use if row and row.land_use else None) or shape.land_use
                findings += check_zones(shape, land_use, overlaps, self.zone_types, self.classes,
                                        self.sliver, self.cite, row.evidence if row else None)
            notes.append(f"叠加分析容差：重叠面积不超过 {self.sliver.area_m2:g}㎡ 或地块面积的 "
                         f"{self.sliver.share:.1%} 视为边界误差")
        return ComplianceResult(sort_findings(findings), overlaps, notes, len(plan.parcels),
                                len(self.rules))

    @staticmethod
    def _match_ids(plan: PlanData, shapes: list[ParcelShape]) -> list[Finding]:
        table = {p.parcel_id: p for p in plan.parcels}
        drawn = {s.parcel_id: s for s in shapes}
        findings = [Finding("consistency.parcel_not_drawn", "warning", "consistency", pid,
                            f"指标表中的地块 {pid} 在地块几何文件中没有对应图斑，未做叠加分析",
                            evidence=row.evidence, suggestion="补充该地块的几何，或核对地块编号")
                    for pid, row in table.items() if pid not in drawn]
        if plan.parcels:
            findings += [Finding("consistency.parcel_not_listed", "warning", "consistency", pid,
                                 f"地块几何文件中的 {pid} 不在地块控制指标表中",
                                 evidence=shape.evidence, suggestion="核对地块编号或补充指标")
                         for pid, shape in drawn.items() if pid not in table]
        return findings
