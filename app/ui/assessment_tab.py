"""体检评估: upload survey layers, control lines, statistics and the plan's indicator table; see
each indicator against its target, the warnings on a map, the narrative, and download the
report."""

from __future__ import annotations

import time
from html import escape
from collections.abc import Iterator

import gradio as gr

from agents.assessment.assessment import AssessmentRequest
from agents.assessment.charts import trend_chart_svg
from agents.assessment.report import indicator_rows, warning_map_svg, write_assessment_report
from app.api.assessment_jobs import start_assessment
from app.api.services import Services
from app.api.uploads import GEOMETRY_KINDS, TABLE_KINDS
from app.security.access import Principal
from app.ui.uploads import stage_upload
from app.ui.session import audit

COLUMNS = ["指标", "属性", "单位", "基期值", "现状值", "目标值", "状态", "说明"]


def build_assessment_tab(services: Services, principal: gr.State) -> None:
    with gr.Tab("体检评估", id="assessment"):
        gr.Markdown("上传本年（及基期）国土调查图层、三区三线、统计表与规划指标表，自动计算评估指标，"
                    "对照规划目标预警，并定位两期之间永久基本农田、生态保护红线内的新增建设用地。")
        with gr.Row():
            region = gr.Textbox(label="地区", value="样例县", elem_id="gh-as-region")
            year = gr.Number(label="评估年份", value=2024, precision=0, elem_id="gh-as-year")
            base_year = gr.Number(label="基期年份（可选）", value=2020, precision=0)
        with gr.Row():
            survey = gr.File(label="本年国土调查（GPKG / SHP 压缩包 / GeoJSON）",
                             elem_id="gh-as-survey")
            base_survey = gr.File(label="基期国土调查（可选）", elem_id="gh-as-base")
            zones = gr.File(label="三区三线图层（可多个）", file_count="multiple",
                            elem_id="gh-as-zones")
            statistics = gr.File(label="统计表 CSV / XLSX", elem_id="gh-as-stats")
            targets = gr.File(label="规划指标表 CSV / XLSX", elem_id="gh-as-targets")
        start = gr.Button("开始评估", variant="primary", elem_id="gh-as-start")
        narrative = gr.HTML(elem_id="gh-as-narrative")
        table = gr.Dataframe(headers=COLUMNS, label="指标评估", wrap=True, interactive=False,
                             elem_id="gh-as-table")
        chart = gr.HTML(elem_id="gh-as-chart")
        warning_map = gr.HTML(elem_id="gh-as-map")
        reports = gr.File(label="下载评估报告", file_count="multiple", elem_id="gh-as-reports")

        def run(name: str, year_value: float | None, base_value: float | None,
                survey_file: str | None, base_file: str | None, zone_files: list[str] | None,
                stats_file: str | None, targets_file: str | None, who: Principal,
                progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
            if not who.may("assess"):
                raise gr.Error("体检评估需要工作人员及以上账号，请先登录")
            if not survey_file or not year_value:
                raise gr.Error("请填写评估年份并上传本年国土调查图层")
            limit = services.config.upload_max_mb << 20
            job = services.jobs.new("assessment", who.name)
            try:
                survey_path = stage_upload(survey_file, job.folder, "survey", GEOMETRY_KINDS, limit)
                base_path = stage_upload(base_file, job.folder / "base", "base_survey",
                                         GEOMETRY_KINDS, limit)
                zone_paths = tuple(stage_upload(z, job.folder / "zones", f"zone{i}",
                                                GEOMETRY_KINDS, limit)
                                   for i, z in enumerate(zone_files or []))
                stats_path = stage_upload(stats_file, job.folder, "statistics", TABLE_KINDS, limit)
                targets_path = stage_upload(targets_file, job.folder, "targets", TABLE_KINDS,
                                            limit)
            except gr.Error:
                services.jobs.discard(job)
                raise
            request = AssessmentRequest(name.strip() or "本地区", int(year_value), survey_path,
                                        zone_paths, stats_path, targets_path,
                                        int(base_value) if base_path and base_value else None,
                                        base_path)
            start_assessment(services, who, job, request)
            audit(services, who, "assess", f"{request.region} {request.year}")
            while job.status in ("queued", "running"):
                progress(job.done / job.total if job.total else 0.0, desc=job.stage or "排队中")
                time.sleep(0.2)
            if job.status == "failed":
                raise gr.Error(job.error or "评估失败")
            outcome = job.result
            rows = indicator_rows(outcome.result)
            table_rows = [[r["name"], r["kind"], r["unit"], r["base_text"], r["value_text"],
                           r["target_text"], r["level_word"], r["reason"]] for r in rows]
            text = "".join(f"<p>{escape(p)}</p>" for p in outcome.narrative.paragraphs)
            files = []
            for suffix in (".pdf", ".html", ".json"):
                path = job.folder / "report" / f"体检评估报告{suffix}"
                path.parent.mkdir(exist_ok=True)
                write_assessment_report(outcome.result, outcome.narrative, path)
                files.append(str(path))
            yield (f'<div class="gh-summary">{text}</div>', table_rows,
                   trend_chart_svg(rows), warning_map_svg(outcome.result), files)

        start.click(run, [region, year, base_year, survey, base_survey, zones, statistics,
                          targets, principal], [narrative, table, chart, warning_map, reports])

