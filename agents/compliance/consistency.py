"""Internal consistency of a plan's tables: duplicate parcel ids, 建筑面积 ≈ 容积率 × 用地面积,
用地平衡表 shares summing to 100% and agreeing with their areas and with the parcel table.

Tolerances allow for the rounding a printed table does (a FAR written to two decimals, shares to
one); they are settings, and every finding states the numbers it compared."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from agents.compliance.model import SQM_PER_HECTARE, BalanceRow, Finding, ParcelRow


@dataclass(frozen=True)
class Tolerances:
    far: float = 0.02  # absolute, between the stated FAR and 建筑面积 / 用地面积
    far_relative: float = 0.01  # … or this share of the stated FAR, whichever is larger
    share_sum_pct: float = 0.5  # 用地平衡表 shares may sum to 100 ± this
    area_relative: float = 0.01  # totals vs sums of areas


def check_duplicates(parcels: list[ParcelRow]) -> list[Finding]:
    counts = Counter(p.parcel_id for p in parcels)
    findings = []
    for parcel in parcels:
        if counts[parcel.parcel_id] > 1:
            findings.append(Finding(
                "consistency.duplicate_parcel", "error", "consistency", parcel.parcel_id,
                f"地块编号 {parcel.parcel_id} 在指标表中出现 {counts[parcel.parcel_id]} 次",
                parcel.parcel_id, None, None, parcel.evidence, "每个地块只保留一行，或更正编号"))
            counts[parcel.parcel_id] = 0  # one finding per duplicated id
    return findings


def check_floor_area(parcel: ParcelRow, tol: Tolerances) -> list[Finding]:
    if not (parcel.far and parcel.area_m2 and parcel.floor_area_m2):
        return []
    implied = parcel.floor_area_m2 / parcel.area_m2
    if abs(implied - parcel.far) <= max(tol.far, tol.far_relative * parcel.far):
        return []
    return [Finding(
        "consistency.floor_area", "error", "consistency", parcel.parcel_id,
        f"地块 {parcel.parcel_id} 建筑面积 {parcel.floor_area_m2:,.0f}㎡ ÷ 用地面积 "
        f"{parcel.area_m2:,.0f}㎡ = {implied:.2f}，与所列容积率 {parcel.far:g} 不一致",
        round(implied, 3), f"{parcel.far:g}", None, parcel.evidence,
        "核对用地面积、建筑面积与容积率，三者应满足 建筑面积 = 容积率 × 用地面积")]


def _top_level(rows: list[BalanceRow]) -> list[BalanceRow]:
    """The rows that partition the total. With codes: the shortest codes (一级类 rows, not their
    二级类 breakdowns), plus the uncoded rows (其他用地) when that brings the areas closer to the
    stated total — uncoded rows may also be group subtotals, which must not count twice."""
    body = [r for r in rows if not r.is_total]
    coded = [r for r in body if r.code]
    if not coded:
        return body
    shortest = min(len(r.code) for r in coded)  # type: ignore[arg-type]
    top = [r for r in coded if len(r.code) == shortest]  # type: ignore[arg-type]
    uncoded = [r for r in body if not r.code]
    total = next((r.area_m2 for r in rows if r.is_total and r.area_m2), None)
    if not uncoded or total is None:
        return top

    def gap(candidate: list[BalanceRow]) -> float:
        return abs(sum(r.area_m2 or 0.0 for r in candidate) - total)
    return top + uncoded if gap(top + uncoded) < gap(top) else top


def check_balance(rows: list[BalanceRow], parcels: list[ParcelRow], tol: Tolerances
                  ) -> list[Finding]:
    if not rows:
        return []
    findings = []
    parts = _top_level(rows)
    total = next((r for r in rows if r.is_total), None)
    where = (total or rows[0]).evidence
    shares = [r.share_pct for r in parts if r.share_pct is not None]
    if shares and len(shares) == len(parts) and abs(sum(shares) - 100) > tol.share_sum_pct:
        findings.append(Finding(
            "consistency.balance_shares", "error", "consistency", "用地平衡表",
            f"用地平衡表各类用地比例合计 {sum(shares):.2f}%，应为 100%", round(sum(shares), 2),
            "100%", None, where, "核对各类用地比例"))
    areas = [r.area_m2 for r in parts if r.area_m2 is not None]
    total_area = total.area_m2 if total and total.area_m2 else (
        sum(areas) if len(areas) == len(parts) else None)
    if (total and total.area_m2 and areas and len(areas) == len(parts)
            and abs(sum(areas) - total.area_m2) > tol.area_relative * total.area_m2):
        findings.append(Finding(
            "consistency.balance_total", "error", "consistency", "用地平衡表",
            f"用地平衡表各类用地面积之和 {sum(areas) / SQM_PER_HECTARE:.2f} 公顷，与合计 "
            f"{total.area_m2 / SQM_PER_HECTARE:.2f} 公顷不一致",
            round(sum(areas) / SQM_PER_HECTARE, 4), f"{total.area_m2 / SQM_PER_HECTARE:.4g}",
            None, total.evidence, "核对各类用地面积与合计"))
    if total_area:
        for row in parts:
            if row.area_m2 is None or row.share_pct is None:
                continue
            implied = 100 * row.area_m2 / total_area
            if abs(implied - row.share_pct) > max(0.15, tol.area_relative * row.share_pct):
                findings.append(Finding(
                    "consistency.balance_share_area", "warning", "consistency", row.name,
                    f"用地平衡表“{row.name}”面积占合计的 {implied:.2f}%，与所列比例 "
                    f"{row.share_pct:g}% 不一致", round(implied, 2), f"{row.share_pct:g}%", None,
                    row.evidence, "核对该类用地的面积与比例"))
        # Each parcel once: a duplicated row is its own finding, not a second area.
        unique = {p.parcel_id: p for p in parcels}.values()
        parcel_areas = [p.area_m2 for p in unique if p.area_m2]
        if parcel_areas and len(parcel_areas) == len(unique):
            summed = sum(parcel_areas)
            if abs(summed - total_area) > tol.area_relative * total_area:
                findings.append(Finding(
                    "consistency.balance_parcels", "warning", "consistency", "用地平衡表",
                    f"地块指标表用地面积合计 {summed / SQM_PER_HECTARE:.2f} 公顷，与用地平衡表合计 "
                    f"{total_area / SQM_PER_HECTARE:.2f} 公顷相差超过 "
                    f"{tol.area_relative:.0%}", round(summed / SQM_PER_HECTARE, 4),
                    f"{total_area / SQM_PER_HECTARE:.4g}", None, where,
                    "核对地块面积与用地平衡表（规划范围是否一致）"))
    return findings
