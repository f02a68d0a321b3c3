"""`guihua review`: an automated review of a submitted plan, exported as HTML, Markdown, PDF or
JSON."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    fail,
    out,
    parse_date,
    progress_bar,
    settings,
    user_errors,
)
from app.cli.corpus_commands import app
from app.indexes import index_searcher

SEVERITY_STYLES = {"error": "red", "warning": "yellow", "review": "cyan", "info": "dim"}


@app.command()
def review(plan: Annotated[Path, typer.Argument(help="规划文件（PDF 或 DOCX）/ the plan document")],
           parcels: Annotated[Path | None, typer.Option(
               help="地块几何 GeoJSON（属性“地块编号”）/ parcel geometry")] = None,
           zones: Annotated[list[Path] | None, typer.Option(
               help="三区三线图层（GeoJSON 文件或文件夹，属性 zone），可重复 / zone layers")] = None,
           conditions: Annotated[Path | None, typer.Option(
               help="规划条件 JSON（每个地块的指标限值）/ per-parcel limits")] = None,
           report: Annotated[Path | None, typer.Option(
               "--out", help="报告文件：.html .md .pdf .json / report file")] = None,
           as_of: Annotated[str | None, typer.Option(
               "--as-of", help="审查依据的日期 YYYY-MM-DD（默认今天）")] = None,
           as_json: JsonFlag = False) -> None:
    """审查规划：指标、用地性质、一致性、三区三线 / review a plan against the rules."""
    from agents.compliance.engine import ComplianceEngine
    from agents.compliance.model import SEVERITY_LABELS
    from agents.review.pipeline import ReviewRequest, review_plan
    from agents.review.report import FORMATS, write_report

    if report is not None and report.suffix.lower() not in FORMATS:
        fail(f"报告格式应为 {'/'.join(FORMATS)} / report format must be one of {FORMATS}: "
             f"{report.name}", as_json)
    day = parse_date(as_of, as_json) or date.today()
    config = settings()
    request = ReviewRequest(plan, parcels, tuple(zones or ()), conditions)
    with user_errors(as_json):
        with clause_store(config) as store, index_searcher(config, store) as searcher:
            engine = ComplianceEngine.from_domain(store, day, tuple(config.rule_dirs))
            with progress_bar("审查", not as_json) as progress:
                result = review_plan(request, engine, progress=progress, searcher=searcher,
                                     day=day)
        if report is not None:
            write_report(result, report)
    if as_json:
        emit(result.to_dict())
        return
    summary = result.summary
    counts = "，".join(f"{label} {summary['by_severity'][key]}" for key, label in
                      SEVERITY_LABELS.items())
    out.print(f"{result.plan.get('name') or plan.name}：{summary['verdict']}（{counts}；"
              f"{summary['parcels']} 个地块）", highlight=False)
    for finding in result.findings:
        if finding.severity == "info":
            continue
        out.print(f"[{SEVERITY_STYLES[finding.severity]}]{SEVERITY_LABELS[finding.severity]}"
                  f"[/] {finding.subject}: {finding.message}", highlight=False)
    for note in summary["notes"]:
        out.print(note, style="dim", highlight=False)
    if report is not None:
        out.print(f"报告 / report → {report}", highlight=False)
