"""Assessment speed on a county-sized input: a generated region of ≈100k survey polygons per
year (two years, three control lines, statistics), every catalogue indicator computed. The
baseline, timed in the same run, is GDAL reading the two survey files and nothing else.

    python -m eval.assessment_speed [--rows 320 --cols 320] [--out eval/results/assessment_speed.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from agents.assessment.assessment import AssessmentRequest, assess
from agents.assessment.compute import IndicatorCalculator, YearInputs
from agents.assessment.layers import read_survey, read_zones
from agents.assessment.narrative import template_narrative
from agents.assessment.report import write_assessment_report
from agents.assessment.statistics import read_statistics
from agents.compliance.vector_files import read_ogr
from eval.sample_region import RegionSpec, write_region


def run(spec: RegionSpec) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        paths = write_region(Path(folder), spec)
        generated = time.perf_counter() - started
        surveys = [paths[f"survey_{spec.base_year}"], paths[f"survey_{spec.year}"]]
        started = time.perf_counter()
        for path in surveys:
            read_ogr(path)
        raw_read = time.perf_counter() - started
        started = time.perf_counter()
        zones, _ = read_zones([paths["zones"]])
        stats = read_statistics(paths["statistics"])
        base = YearInputs(spec.base_year, read_survey(surveys[0]), zones,
                          stats[("样例县", spec.base_year)])
        current = YearInputs(spec.year, read_survey(surveys[1]), zones,
                             stats[("样例县", spec.year)])
        read = time.perf_counter() - started
        started = time.perf_counter()
        values = IndicatorCalculator(current, base).all()
        computed = time.perf_counter() - started
        request = AssessmentRequest("样例县", spec.year, surveys[1], (paths["zones"],),
                                    paths["statistics"], paths["targets"], spec.base_year,
                                    surveys[0])
        started = time.perf_counter()
        result = assess(request)
        assessed = time.perf_counter() - started
        narrative = template_narrative(result)
        report_s = {}
        for suffix in (".html", ".pdf", ".json"):
            started = time.perf_counter()
            write_assessment_report(result, narrative, Path(folder) / f"report{suffix}")
            report_s[suffix[1:]] = round(time.perf_counter() - started, 2)
    total = read + computed
    return {"polygons_per_year": spec.rows * spec.cols, "indicators": len(values),
            "missing": [v.id for v in values if v.value is None],
            "generate_s": round(generated, 2), "gdal_read_only_s": round(raw_read, 2),
            "read_and_prepare_s": round(read, 2), "compute_s": round(computed, 2),
            "total_s": round(total, 2), "total_vs_gdal_read": round(total / raw_read, 2),
            "assess_with_warnings_s": round(assessed, 2), "report_s": report_s,
            "spatial_warnings": len(result.spatial)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=320)
    parser.add_argument("--cols", type=int, default=320)
    parser.add_argument("--out", type=Path, default=Path("eval/results/assessment_speed.json"))
    args = parser.parse_args()
    result = run(RegionSpec(rows=args.rows, cols=args.cols, converted=args.rows // 2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
