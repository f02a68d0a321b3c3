"""规划审查: upload a plan (and geometry), follow its progress, filter the findings, see them on
the map, download the report."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import gradio as gr

from agents.compliance.model import SEVERITY_LABELS
from agents.compliance.spatial import read_parcels, read_zone_layers
from agents.review.report import write_report
from app.api.errors import ApiError
from app.api.review_jobs import start_review
from app.api.services import Services
from app.api.uploads import GEOMETRY_KINDS, PLAN_KINDS, check_page_count
from app.security.access import Principal
from app.ui.chat_tab import date_picker, parse_day
from app.ui.plan_map import plan_map_svg, worst_by_parcel
from app.ui.render import FINDING_COLUMNS, finding_rows, summary_html
from app.ui.session import audit
from app.ui.uploads import stage_upload

ALL = "全部"


def _filtered(findings: list[dict], severity: str, check: str) -> list[list[str]]:
    chosen = [f for f in findings
              if (severity == ALL or SEVERITY_LABELS.get(f["severity"]) == severity)
              and (check == ALL or f["check"] == check)]
    return finding_rows(chosen)


def build_review_tab(services: Services, principal: gr.State) -> None:
    with gr.Tab("规划审查", id="review"):
        gr.Markdown("上传控制性详细规划文本（PDF 或 DOCX），可附地块几何与三区三线图层；"
                    "审查结论由规则判定，并给出依据条文与在规划文件中的位置。需以审查员身份登录。")
        with gr.Row():
            plan = gr.File(label="规划文本（PDF / DOCX）", file_types=[".pdf", ".docx"],
                           elem_id="gh-plan")
            parcels = gr.File(label="地块几何（GeoJSON / SHP 压缩包 / GPKG，可选）",
                              elem_id="gh-parcels")
            zones = gr.File(label="三区三线图层（可多个，可选）", file_count="multiple",
                            elem_id="gh-zones")
            conditions = gr.File(label="规划条件 JSON（可选）", elem_id="gh-conditions")
        with gr.Row():
            as_of = date_picker("审查依据日期（默认今天）")
            start = gr.Button("开始审查", variant="primary", elem_id="gh-review-start")
        summary = gr.HTML(elem_id="gh-review-summary")
        with gr.Row():
            severity = gr.Dropdown([ALL, *SEVERITY_LABELS.values()], value=ALL, label="严重程度")
            check = gr.Dropdown([ALL], value=ALL, label="检查项")
        table = gr.Dataframe(headers=FINDING_COLUMNS, label="审查发现", wrap=True,
                             interactive=False, elem_id="gh-findings")
        plan_map = gr.HTML(elem_id="gh-map")
        reports = gr.File(label="下载审查报告", file_count="multiple", elem_id="gh-reports")
        findings = gr.State([])

        def run(plan_file: str | None, parcels_file: str | None, zone_files: list[str] | None,
                conditions_file: str | None, day_text: str, who: Principal,
                progress: gr.Progress = gr.Progress()) -> Iterator[tuple]:
            if not who.may("review"):
                raise gr.Error("规划审查需要审查员或管理员账号，请先登录")
            if not plan_file:
                raise gr.Error("请上传规划文本（PDF 或 DOCX）")
            day = parse_day(day_text) or date.today()
            limit = services.config.upload_max_mb << 20
            job = services.jobs.new("review", who.name)
            try:
                plan_path = stage_upload(plan_file, job.folder, "plan", PLAN_KINDS, limit)
                try:
                    check_page_count(plan_path, services.config.review_max_pages)
                except ApiError as exc:
                    raise gr.Error(exc.message) from None
                parcels_path = stage_upload(parcels_file, job.folder / "parcels", "parcels",
                                      GEOMETRY_KINDS, limit)
                zone_paths = tuple(stage_upload(z, job.folder / "zones", f"zone{i}", GEOMETRY_KINDS,
                                          limit) for i, z in enumerate(zone_files or []))
                conditions_path = stage_upload(conditions_file, job.folder / "conditions",
                                         "conditions", ("json",), limit)
            except gr.Error:
                services.jobs.discard(job)
                raise
            start_review(services, who, job, plan_path, parcels_path, zone_paths,
                         conditions_path, day)
            audit(services, who, "review", plan_path.name)
            while job.status in ("queued", "running"):
                progress(job.done / job.total if job.total else 0.0, desc=job.stage or "排队中")
                time.sleep(0.2)
            if job.status == "failed":
                raise gr.Error(job.error or "审查失败")
            review = job.result.to_dict()
            shapes, _ = read_parcels(parcels_path) if parcels_path else ([], [])
            layers, _ = read_zone_layers(list(zone_paths)) if zone_paths else ([], [])
            svg = plan_map_svg(shapes, layers, worst_by_parcel(review["findings"]))
            files = []
            for suffix in (".pdf", ".html", ".md", ".json"):
                path = job.folder / "report" / f"审查报告{suffix}"
                path.parent.mkdir(exist_ok=True)
                write_report(job.result, path)
                files.append(str(path))
            checks = [ALL, *sorted({f["check"] for f in review["findings"]})]
            yield (summary_html(review), finding_rows(review["findings"]), svg, files,
                   review["findings"], gr.update(choices=checks, value=ALL), ALL)

        start.click(run, [plan, parcels, zones, conditions, as_of, principal],
                    [summary, table, plan_map, reports, findings, check, severity])
        for control in (severity, check):
            control.change(_filtered, [findings, severity, check], table)
