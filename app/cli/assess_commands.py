"""`guihua assess`: indicators, early warnings and the assessment report for a region and year."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    fail,
    out,
    progress_bar,
    settings,
    user_errors,
)
from app.cli.corpus_commands import app
from app.indexes import index_searcher

LEVEL_STYLES = {"red": "red", "yellow": "yellow", "green": "green", "none": "dim"}


@app.command()
def assess(region: Annotated[str, typer.Option(help="地区名称 / region")],
           year: Annotated[int, typer.Option(help="评估年份 / the year assessed")],
           survey: Annotated[Path, typer.Option(
               help="本年国土调查图层（GeoPackage / Shapefile 压缩包 / GeoJSON）")],
           zones: Annotated[list[Path] | None, typer.Option(
               help="三区三线图层（属性 zone），可重复 / zone layers")] = None,
           statistics: Annotated[Path | None, typer.Option(
               help="统计表 CSV/XLSX（地区、年份、常住人口、GDP、用水总量…）")] = None,
           targets: Annotated[Path | None, typer.Option(
               help="规划指标表 CSV/XLSX（指标名称、目标值、目标年）")] = None,
           base_year: Annotated[int | None, typer.Option(help="基期年份 / base year")] = None,
           base_survey: Annotated[Path | None, typer.Option(
               help="基期国土调查图层 / the base year's survey")] = None,
           report: Annotated[Path | None, typer.Option(
               "--out", help="报告文件：.html .pdf .json")] = None,
           as_json: JsonFlag = False) -> None:
    """体检评估：指标计算、预警与报告 / assessment: indicators, warnings, report."""
    from agents.assessment.assessment import AssessmentRequest
    from agents.assessment.assessment import assess as run_assessment
    from agents.assessment.basis import assessment_day, legal_basis
    from agents.assessment.compute import shown_unit
    from agents.assessment.narrative import LEVEL_WORDS, draft_narrative
    from agents.assessment.report import FORMATS, write_assessment_report
    from agents.llm.factory import backend_from_settings

    if report is not None and report.suffix.lower() not in FORMATS:
        fail(f"报告格式应为 {'/'.join(FORMATS)} / report format must be one of {FORMATS}: "
             f"{report.name}", as_json)
    request = AssessmentRequest(region, year, survey, tuple(zones or ()), statistics, targets,
                                base_year, base_survey)
    config = settings()
    with user_errors(as_json):
        with progress_bar("体检评估", not as_json) as progress:
            result = run_assessment(request, progress)
        with clause_store(config) as store, index_searcher(config, store) as searcher:
            basis = legal_basis(result, searcher, assessment_day(year)) if searcher else []
        narrative = draft_narrative(result, backend_from_settings(config), basis)
        if report is not None:
            write_assessment_report(result, narrative, report)
    if as_json:
        from agents.assessment.report import to_json

        emit(to_json(result, narrative))
        return
    for value, warning in zip(result.values, result.warnings, strict=True):
        shown = "—" if value.value is None else f"{value.value:,.2f}"
        out.print(f"[{LEVEL_STYLES[warning.level]}]{LEVEL_WORDS[warning.level]}[/] "
                  f"{value.name}: {shown} {shown_unit(value.unit)}　{warning.reason}",
                  highlight=False)
    for spatial in result.spatial:
        out.print(f"[red]空间预警[/] {spatial.line}内新增建设用地 {spatial.code} "
                  f"{spatial.area_m2:,.1f} m²（{spatial.area_mu:.2f} 亩）"
                  f"@ {spatial.lon:.6f},{spatial.lat:.6f}", highlight=False)
    for paragraph in narrative.paragraphs:
        out.print(paragraph, highlight=False)
    if report is not None:
        out.print(f"报告 / report → {report}", highlight=False)
