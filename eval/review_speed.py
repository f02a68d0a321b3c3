"""Review speed: a 30-page plan with 300 parcels and three zone layers, reviewed without any
language model. The baseline, timed in the same process, is reading the PDF alone (what any
review must pay); the ratio says what extraction, checks, overlay and the report add.

    python -m eval.review_speed [--parcels 300] [--pages 30] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import pymupdf

from agents.compliance.engine import ComplianceEngine
from agents.review.pipeline import PLAN_LIMITS, read_plan_file, review_plan
from agents.review.report import write_report
from eval.review_bench import request_for
from eval.sample_plans.cases import write_case
from eval.sample_plans.spec import LAYOUTS, make_spec

PARAGRAPHS_PER_PAGE = 33  # one-line paragraphs per page of body text


def build_case(folder: Path, parcels: int, pages: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    spec = make_spec("speed", rng, "pdf", LAYOUTS[0], parcels)
    spec.start_offset = 0
    write_case(folder, spec, rng)
    # Pad the body text until the document has the pages asked for.
    table_pages = pymupdf.open(folder / "plan.pdf").page_count
    spec.start_offset = max(0, (pages - table_pages) * PARAGRAPHS_PER_PAGE)
    write_case(folder, spec, random.Random(seed))
    return folder


def run(parcels: int, pages: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = build_case(Path(tmp) / "speed", parcels, pages)
        request = request_for(folder)
        engine = ComplianceEngine.from_domain(None, date.today())
        read_s, review_s, report_s = [], [], []
        for _ in range(runs):
            started = time.perf_counter()
            read_plan_file(request.plan, PLAN_LIMITS, lambda *a: None)
            read_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            report = review_plan(request, engine)
            review_s.append(time.perf_counter() - started)
            started = time.perf_counter()
            write_report(report, Path(tmp) / "report.pdf")
            report_s.append(time.perf_counter() - started)
        doc_pages = pymupdf.open(request.plan).page_count
        layers = len(list((folder / "zones").glob("*.geojson")))
    median = statistics.median
    return {"pages": doc_pages, "parcels": len({p.parcel_id for p in report.parcels}),
            "zone_layers": layers,
            "findings": len(report.findings), "runs": runs,
            "read_pdf_s": round(median(read_s), 3), "review_s": round(median(review_s), 3),
            "pdf_report_s": round(median(report_s), 3),
            "review_vs_read": round(median(review_s) / median(read_s), 2),
            "target_s": 10.0, "within_target": median(review_s) < 10.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=300)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("eval/results/review_speed.json"))
    args = parser.parse_args()
    result = run(args.parcels, args.pages, args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
