"""One review: the submitted files → extracted plan data → the compliance engine → a report.

Input is checked before anything is parsed (size, type by content); a plan without an indicator
table, a missing unit, a bad geometry or an id that appears on one side only becomes a finding,
so a review never passes silently over what it could not read."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from agents.compliance.engine import ComplianceEngine, ComplianceResult
from agents.compliance.model import (
    SEVERITY_LABELS,
    BalanceRow,
    Evidence,
    Finding,
    ParcelRow,
    PlanData,
    sort_findings,
)
from agents.compliance.spatial import read_parcels, read_zone_layers
from agents.compliance.vector_files import SUFFIXES
from agents.review.columns import area_factor, normalise, parse_number
from agents.review.conditions import read_conditions
from agents.review.errors import ReviewInputError
from agents.review.metadata import plan_metadata
from agents.review.plan_tables import (
    SourceTable,
    read_balance_table,
    read_indicator_table,
)
from agents.review.qualitative import qualitative_findings
from corpus.errors import IngestError
from corpus.readers.base import (
    BlockKind,
    Extracted,
    IngestLimits,
    Progress,
    no_progress,
)
from corpus.readers.registry import detect_content_type, reader_for
from retrieval.search import Searcher

PLAN_TYPES = ("pdf", "docx")
MAX_PLAN_BYTES = 200 * 1024 * 1024
PLAN_LIMITS = IngestLimits(max_file_bytes=MAX_PLAN_BYTES)
# "规划总用地面积为 12.35 公顷" — a total the text states, checked against the tables.
_TOTAL_CLAIM = re.compile(r"(?:规划)?总用地(?:面积)?(?:为|约|共|：|:)?\s*([\d.,]+)\s*"
                          r"(公顷|hm²|hm2|平方米|㎡|m²|亩|平方公里)")


@dataclass(frozen=True)
class ReviewRequest:
    plan: Path
    parcels: Path | None = None
    zones: tuple[Path, ...] = ()  # files, or folders of them
    conditions: Path | None = None


@dataclass
class ReviewReport:
    plan: dict
    findings: list[Finding]
    summary: dict
    parcels: list[ParcelRow] = field(default_factory=list)
    balance: list[BalanceRow] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The review contract: plan, findings, summary (plus the extracted rows, for audit)."""
        return {"plan": self.plan, "findings": [f.to_dict() for f in self.findings],
                "summary": self.summary,
                "extracted": {"parcels": [_row_dict(p) for p in self.parcels],
                              "balance": [_row_dict(b) for b in self.balance]}}


def _row_dict(row: ParcelRow | BalanceRow) -> dict:
    data = dict(vars(row))
    data["evidence"] = row.evidence.to_dict()
    return data


def read_plan_file(path: Path, limits: IngestLimits, progress: Progress) -> Extracted:
    if not path.is_file():
        raise ReviewInputError("规划文件不存在", "the plan file does not exist", str(path))
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise ReviewInputError(
            f"规划文件过大（{size / 2**20:.0f} MB，上限 {limits.max_file_bytes / 2**20:.0f} MB）",
            f"plan file too large ({size / 2**20:.0f} MB; limit "
            f"{limits.max_file_bytes / 2**20:.0f} MB)", f"{path.name}: 请压缩图片或拆分文件 / "
            "compress images or split the file")
    data = path.read_bytes()
    kind = detect_content_type(path, data)
    if kind not in PLAN_TYPES:
        raise ReviewInputError("规划文件应为 PDF 或 DOCX", "the plan must be a PDF or DOCX file",
                               f"{path.name}: 识别为 / detected as {kind}")
    try:
        return reader_for(kind, limits).read(path.resolve(), data, progress)
    except IngestError as err:
        raise ReviewInputError("无法读取规划文件", "cannot read the plan file", str(err)) from err


def _zone_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise ReviewInputError("分区文件不存在", "zone file not found", str(path))
    return files


def extract_plan(extracted: Extracted, file: str) -> tuple[PlanData, list[Finding], list[str]]:
    """Plan data from a read document, the findings extraction itself raises, and the labels of
    the tables it used."""
    texts = [b.text for b in extracted.blocks if b.kind is not BlockKind.TABLE]
    plan = PlanData(plan_metadata(texts, extracted.title_hint))
    findings: list[Finding] = []
    used: list[str] = []
    tables = [b for b in extracted.blocks if b.kind is BlockKind.TABLE and b.table is not None]
    for n, block in enumerate(tables, 1):
        source = SourceTable(block.table, file, block.table.caption or f"表{n}")  # type: ignore[arg-type]
        indicator = read_indicator_table(source)
        if indicator is not None:
            plan.parcels += indicator[0]
            findings += indicator[1]
            used.append(source.label)
            continue
        balance = read_balance_table(source)
        if balance is not None and not plan.balance:
            plan.balance, extra = balance
            findings += extra
            used.append(source.label)
    if not plan.parcels:
        findings.append(Finding(
            "extraction.no_indicator_table", "warning", "consistency", "规划文本",
            f"未在 {file} 中找到地块控制指标表（需含地块编号及容积率、建筑密度、绿地率、限高、用地面积中至少两项）"
            "，指标未能审查", None, None, None, Evidence(file),
            "确认指标表为可复制文字的表格（非图片），表头含“地块编号”等列名"))
    findings += _total_claims(extracted, plan, file)
    findings += _parcel_claims(extracted, plan, file)
    return plan, findings, used


# "A-01地块容积率不大于2.5" — a parcel's indicator stated in the text, checked against the table.
_PARCEL_CLAIM = re.compile(r"(?P<pid>[A-Za-z]{1,4}[-－]?\d{1,3}(?:[-－]\d{1,2})?)\s*(?:号)?地块"
                           r"[^。；;\n]{0,16}?(?P<name>容积率|建筑密度|绿地率|建筑限高|建筑高度)"
                           r"[^0-9。；;\n]{0,8}?(?P<value>\d+(?:\.\d+)?)")
_CLAIM_FIELDS = {"容积率": "far", "建筑密度": "building_density", "绿地率": "green_ratio",
                 "建筑限高": "height_limit", "建筑高度": "height_limit"}


def _parcel_claims(extracted: Extracted, plan: PlanData, file: str) -> list[Finding]:
    rows = {normalise(p.parcel_id): p for p in plan.parcels}
    findings = []
    for block in extracted.blocks:
        if block.kind is BlockKind.TABLE:
            continue
        for match in _PARCEL_CLAIM.finditer(normalise(block.text)):
            row = rows.get(match.group("pid").replace("－", "-"))
            table_value = getattr(row, _CLAIM_FIELDS[match.group("name")]) if row else None
            stated = float(match.group("value"))
            if table_value is None or abs(stated - table_value) <= 0.005 * max(1.0, table_value):
                continue
            findings.append(Finding(
                "consistency.text_parcel", "error", "consistency", row.parcel_id,  # type: ignore[union-attr]
                f"文本称地块 {row.parcel_id} {match.group('name')}为 {match.group('value')}，"  # type: ignore[union-attr]
                f"指标表为 {table_value:g}", stated, f"{table_value:g}", None,
                Evidence(file, block.page), "核对文本与地块控制指标表，使二者一致"))
    return findings


def _total_claims(extracted: Extracted, plan: PlanData, file: str) -> list[Finding]:
    total = next((r.area_m2 for r in plan.balance if r.is_total and r.area_m2), None)
    if total is None:
        return []
    findings = []
    for block in extracted.blocks:
        if block.kind is BlockKind.TABLE:
            continue
        for match in _TOTAL_CLAIM.finditer(normalise(block.text)):
            value = parse_number(match.group(1))
            factor = area_factor(match.group(2))
            if value is None or factor is None:
                continue
            stated = value * factor
            if abs(stated - total) > 0.01 * total:
                findings.append(Finding(
                    "consistency.text_total", "error", "consistency", "规划文本",
                    f"文本所述规划总用地 {match.group(1)}{match.group(2)}，与用地平衡表合计 "
                    f"{total / 10_000:.2f} 公顷不一致", round(stated / 10_000, 4),
                    f"{total / 10_000:.4g}", None, Evidence(file, block.page),
                    "核对文本与用地平衡表中的总用地面积"))
    return findings


def review_plan(request: ReviewRequest, engine: ComplianceEngine,
                limits: IngestLimits = PLAN_LIMITS, progress: Progress = no_progress,
                searcher: Searcher | None = None, day: date | None = None) -> ReviewReport:
    """`searcher`: when given, requirements no rule decides get the clauses to check them
    against (需人工复核 findings)."""
    def stage(done: int, label: str) -> None:
        progress(done, 5, label)

    stage(0, "读取规划文件")
    extracted = read_plan_file(request.plan, limits,
                               lambda done, total, what="": progress(0, 5, f"读取第 {done}/{total} 页"))
    stage(1, "提取指标表")
    plan, findings, used = extract_plan(extracted, request.plan.name)
    if request.conditions:
        plan.conditions, ignored = read_conditions(request.conditions)
        findings += ignored
    if searcher is not None:
        findings += qualitative_findings(extracted, request.plan.name, searcher,
                                         day or date.today())
    stage(2, "读取地块与分区")
    shapes = layers = None
    if request.parcels:
        shapes, problems = read_parcels(request.parcels)
        findings += problems
    if request.zones:
        layers, problems = read_zone_layers(_zone_files(request.zones))
        findings += problems
    stage(3, "规则审查与叠加分析")
    result = engine.run(plan, shapes, layers)
    stage(4, "生成报告")
    all_findings = sort_findings(findings + result.findings)
    report = ReviewReport(_plan_section(request, extracted, plan, used),
                          all_findings, _summary(all_findings, plan, result), plan.parcels,
                          plan.balance)
    stage(5, "完成")
    return report


def _plan_section(request: ReviewRequest, extracted: Extracted, plan: PlanData,
                  used: list[str]) -> dict:
    meta = plan.meta
    return {"name": meta.name, "kind": meta.kind, "region": meta.region, "period": meta.period,
            "climate_zone": meta.climate_zone, "file": request.plan.name,
            "pages": extracted.pages, "tables_used": used,
            "parcels_file": request.parcels.name if request.parcels else None,
            "zone_files": [p.name for p in request.zones],
            "conditions_file": request.conditions.name if request.conditions else None}


def _summary(findings: list[Finding], plan: PlanData, result: ComplianceResult) -> dict:
    by_severity = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITY_LABELS}
    by_check: dict[str, int] = {}
    for finding in findings:
        if finding.severity in ("error", "warning"):
            by_check[finding.check] = by_check.get(finding.check, 0) + 1
    flagged = {f.subject for f in findings if f.severity == "error"}
    return {"parcels": len(plan.parcels), "balance_rows": len(plan.balance),
            "by_severity": by_severity, "by_check": by_check,
            "parcels_with_errors": sorted(flagged & {p.parcel_id for p in plan.parcels}),
            "clean_parcels": sorted({p.parcel_id for p in plan.parcels} - {
                f.subject for f in findings if f.severity in ("error", "warning")}),
            "overlaps": [{"parcel": o.parcel_id, "zone": o.line, "area_m2": round(o.area_m2, 2),
                          "mu": round(o.mu, 3)} for o in result.overlaps],
            "notes": result.notes, "rules_loaded": result.rules_loaded,
            "verdict": "不通过" if by_severity["error"] else (
                "需修改或复核" if by_severity["warning"] or by_severity["review"] else "通过")}
