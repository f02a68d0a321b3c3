"""Structured plan data (what extraction produces and the checks read) and findings (what the
checks produce). Units are normalised on the way in: areas in m², ratios in %, heights in m."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Check = Literal["far", "density", "green_ratio", "height", "land_use_code", "zone_conflict",
                "consistency", "qualitative"]
Severity = Literal["error", "warning", "review", "info"]
# error: breaks a rule; warning: likely wrong, a person should look; review: no rule can decide
# (需人工复核); info: noted, no action needed.
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "review": 2, "info": 3}
SEVERITY_LABELS: dict[str, str] = {"error": "违规", "warning": "需关注", "review": "需人工复核",
                                   "info": "提示"}

SQM_PER_HECTARE = 10_000.0
SQM_PER_MU = 10_000.0 / 15  # 1 公顷 = 15 亩


@dataclass(frozen=True)
class Evidence:
    """Where in the submitted material a value was read."""

    file: str
    page: int | None = None  # 1-based
    table: str | None = None  # caption or "表2"
    row: int | None = None  # 1-based data row within the table

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    law: str  # document name (law, regulation or standard)
    article: str  # 第三十五条第一款, 4.0.2 / 表4.0.2
    text: str  # verbatim clause text where the corpus has it, else the rule's own statement
    clause_id: str | None = None  # resolves in the clause store when the corpus has the text

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    check: Check
    subject: str  # the parcel id (or the table / plan the finding is about)
    message: str
    value: float | str | None = None
    limit: str | None = None
    citation: Citation | None = None
    evidence: Evidence | None = None
    suggestion: str | None = None

    def to_dict(self) -> dict:
        data = asdict(self)
        data["citation"] = self.citation.to_dict() if self.citation else None
        data["evidence"] = self.evidence.to_dict() if self.evidence else None
        return data


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.subject, f.check))


@dataclass(frozen=True)
class ParcelRow:
    """One row of a 地块控制指标一览表, in canonical units; None where the table has no value."""

    parcel_id: str
    evidence: Evidence
    land_use: str | None = None  # 用地用海 code as written (0701), or None
    land_use_name: str | None = None  # the name as written (城镇住宅用地)
    area_m2: float | None = None
    far: float | None = None
    building_density: float | None = None  # %
    green_ratio: float | None = None  # %
    height_limit: float | None = None  # m
    floor_area_m2: float | None = None  # 计容建筑面积
    average_storeys: float | None = None


@dataclass(frozen=True)
class BalanceRow:
    """One row of a 用地平衡表."""

    name: str
    evidence: Evidence
    code: str | None = None
    area_m2: float | None = None
    share_pct: float | None = None
    is_total: bool = False  # the 合计 / 总用地 row


@dataclass(frozen=True)
class Limit:
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class ParcelConditions:
    """Limits a 规划条件 sets for one parcel (canonical units), keyed by check."""

    parcel_id: str
    limits: dict[str, Limit]
    source: str  # the file they came from


@dataclass(frozen=True)
class PlanMeta:
    name: str | None = None
    kind: str | None = None  # 控制性详细规划 / 村庄规划 / …
    region: str | None = None
    period: str | None = None  # 2021—2035年
    climate_zone: str | None = None  # 建筑气候区划 I–VII, for GB 50180


@dataclass
class PlanData:
    meta: PlanMeta
    parcels: list[ParcelRow] = field(default_factory=list)
    balance: list[BalanceRow] = field(default_factory=list)
    conditions: dict[str, ParcelConditions] = field(default_factory=dict)
