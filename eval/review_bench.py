"""Review benchmark over any folder of cases in the design notes' format.

Per case: the review's findings (error and warning; `review`/`info` are not verdicts) about the
parcels the gold names are compared with the gold (subject, check) pairs; findings about the
plan as a whole are reported but not scored, as the gold format names parcels. When gold.json
carries the true indicator values (`indicators`, as our sample plans do), extracted values are
scored too: a value counts when it matches to rounding (0.5% or 0.01 absolute)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from agents.compliance.engine import ComplianceEngine
from agents.compliance.model import ParcelRow
from agents.review.pipeline import ReviewReport, ReviewRequest, review_plan
from corpus.errors import GuihuaError

VERDICTS = ("error", "warning")
VALUE_FIELDS = ("area_m2", "far", "building_density", "green_ratio", "height_limit")


@dataclass
class CaseScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    values_gold: int = 0
    values_extracted: int = 0
    values_right: int = 0


def request_for(folder: Path) -> ReviewRequest:
    plans = sorted(p for p in folder.iterdir() if p.stem == "plan" and
                   p.suffix.lower() in (".pdf", ".docx"))
    if not plans:
        raise FileNotFoundError(f"{folder}: 没有 plan.pdf 或 plan.docx / no plan.pdf or plan.docx")
    zones = folder / "zones"
    return ReviewRequest(plans[0],
                         folder / "parcels.geojson" if (folder / "parcels.geojson").exists() else None,
                         (zones,) if zones.is_dir() else (),
                         folder / "conditions.json" if (folder / "conditions.json").exists() else None)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= max(0.01, 0.005 * abs(b))


def score_case(report: ReviewReport, gold: dict) -> tuple[CaseScore, dict]:
    universe = set(gold.get("clean", [])) | {f["subject"] for f in gold.get("findings", [])}
    predicted = {(f.subject, f.check) for f in report.findings
                 if f.severity in VERDICTS and f.subject in universe}
    wanted = {(f["subject"], f["check"]) for f in gold.get("findings", [])}
    score = CaseScore(len(predicted & wanted), len(predicted - wanted), len(wanted - predicted))
    truth = gold.get("indicators") or {}
    extracted: dict[str, ParcelRow] = {}
    for row in report.parcels:
        extracted.setdefault(row.parcel_id, row)
    wrong_values = []
    for pid, values in truth.items():
        row = extracted.get(pid)
        for name in VALUE_FIELDS:
            if values.get(name) is None:
                continue
            score.values_gold += 1
            got = getattr(row, name) if row else None
            if got is None:
                wrong_values.append(f"{pid}.{name}: missing")
                continue
            score.values_extracted += 1
            if _close(got, values[name]):
                score.values_right += 1
            else:
                wrong_values.append(f"{pid}.{name}: {got} ≠ {values[name]}")
    # Values extracted for parcels the gold does not know are extractions too (precision).
    score.values_extracted += sum(1 for pid, row in extracted.items() if pid not in truth
                                  for name in VALUE_FIELDS if getattr(row, name) is not None)
    detail = {"false_positives": sorted(map(list, predicted - wanted)),
              "false_negatives": sorted(map(list, wanted - predicted)),
              "wrong_values": wrong_values[:20]}
    return score, detail


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def run_review_bench(cases: Path, engine: ComplianceEngine, out: Path | None = None,
                     on_case: Callable[[int, int, str], None] = lambda done, total, name: None
                     ) -> dict:
    folders = sorted(p for p in cases.iterdir() if p.is_dir() and (p / "gold.json").exists())
    totals = CaseScore()
    lines = []
    seconds = []
    failures = []
    for n, folder in enumerate(folders):
        on_case(n, len(folders), folder.name)
        gold = json.loads((folder / "gold.json").read_text(encoding="utf-8"))
        started = time.perf_counter()
        try:
            report = review_plan(request_for(folder), engine)
        except (GuihuaError, FileNotFoundError) as err:
            failures.append({"id": folder.name, "error": str(err)})
            wanted = len(gold.get("findings", []))
            totals.fn += wanted
            lines.append({"id": folder.name, "error": str(err)})
            continue
        seconds.append(time.perf_counter() - started)
        score, detail = score_case(report, gold)
        for name in vars(totals):
            setattr(totals, name, getattr(totals, name) + getattr(score, name))
        lines.append({"id": folder.name, "seconds": round(seconds[-1], 3),
                      "findings": [f.to_dict() for f in report.findings],
                      "summary": report.summary, "score": vars(score), **detail})
    on_case(len(folders), len(folders), "")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                       encoding="utf-8")
    return {"cases": len(folders), "failed": failures,
            "finding_precision": _ratio(totals.tp, totals.tp + totals.fp),
            "finding_recall": _ratio(totals.tp, totals.tp + totals.fn),
            "value_precision": _ratio(totals.values_right, totals.values_extracted),
            "value_recall": _ratio(totals.values_right, totals.values_gold),
            "tp": totals.tp, "fp": totals.fp, "fn": totals.fn,
            "seconds_per_case_max": round(max(seconds), 3) if seconds else None,
            "seconds_total": round(sum(seconds), 2)}
