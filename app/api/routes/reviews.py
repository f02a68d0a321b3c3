"""Plan review as a job: upload the plan (and optional geometry and 规划条件) → job id; poll its
progress; fetch the result JSON or a report (HTML, PDF, Markdown, JSON)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from app.api.auth import requires
from app.api.errors import ApiError
from app.api.job_access import finished_result, owned_job
from app.api.jobs import Job
from app.api.review_jobs import start_review
from app.api.services import Services
from app.api.uploads import GEOMETRY_KINDS, PLAN_KINDS, check_page_count, save_upload
from agents.review.pipeline import ReviewReport
from app.security.access import Principal

router = APIRouter(prefix="/v1/reviews", tags=["reviews"])

REPORT_TYPES = {"html": "text/html; charset=utf-8", "md": "text/markdown; charset=utf-8",
                "pdf": "application/pdf", "json": "application/json"}


def _links(job: Job) -> dict[str, str]:
    base = f"/v1/reviews/{job.id}"
    return {"status": base, "result": f"{base}/result",
            **{f"report_{fmt}": f"{base}/report.{fmt}" for fmt in REPORT_TYPES}}


@router.post("", status_code=202, summary="提交规划审查 / submit a plan for review")
async def submit(request: Request,
                 plan: Annotated[UploadFile, File(description="规划文本 PDF 或 DOCX")],
                 parcels: Annotated[UploadFile | None, File(
                     description="地块几何：GeoJSON、压缩的 Shapefile 或 GeoPackage")] = None,
                 zones: Annotated[list[UploadFile] | None, File(
                     description="三区三线图层（可多个）")] = None,
                 conditions: Annotated[UploadFile | None, File(
                     description="规划条件 JSON")] = None,
                 as_of: Annotated[date | None, Form(description="审查依据的日期")] = None,
                 principal: Principal = Depends(requires("review"))) -> dict:
    services: Services = request.app.state.services
    config = services.config
    limit = config.upload_max_mb << 20
    job = services.jobs.new("review", principal.name)
    try:
        plan_path = await save_upload(plan, job.folder, "plan", PLAN_KINDS, limit)
        check_page_count(plan_path, config.review_max_pages)
        parcels_path = await save_upload(parcels, job.folder / "parcels", "parcels",
                                         GEOMETRY_KINDS, limit) if parcels else None
        zone_paths = tuple([await save_upload(z, job.folder / "zones", f"zones{i}", GEOMETRY_KINDS,
                                              limit) for i, z in enumerate(zones or [])])
        conditions_path = await save_upload(conditions, job.folder / "conditions", "conditions",
                                            ("json",), limit) if conditions else None
    except ApiError:
        services.jobs.discard(job)
        raise
    start_review(services, principal, job, plan_path, parcels_path, zone_paths,
                 conditions_path, as_of or date.today())
    return {**job.to_dict(), "links": _links(job)}


def _own_job(request: Request, job_id: str, principal: Principal) -> Job:
    return owned_job(request.app.state.services.jobs, job_id, "review", principal)


@router.get("", summary="我的审查任务 / my review jobs")
def list_jobs(request: Request, principal: Principal = Depends(requires("review"))) -> dict:
    jobs = [j for j in request.app.state.services.jobs.jobs()
            if j.kind == "review" and (j.owner == principal.name or principal.may("audit"))]
    return {"jobs": [{**j.to_dict(), "links": _links(j)} for j in jobs]}


@router.get("/{job_id}", summary="审查进度 / status and progress")
def status(request: Request, job_id: str,
           principal: Principal = Depends(requires("review"))) -> dict:
    job = _own_job(request, job_id, principal)
    return {**job.to_dict(), "links": _links(job)}


def _finished(job: Job) -> ReviewReport:
    return finished_result(job)


@router.get("/{job_id}/result", summary="审查结果 JSON / the review as JSON")
def result(request: Request, job_id: str,
           principal: Principal = Depends(requires("review"))) -> dict:
    return _finished(_own_job(request, job_id, principal)).to_dict()


@router.get("/{job_id}/report.{fmt}", summary="下载审查报告 / download the report",
            response_class=FileResponse)
def report(request: Request, job_id: str, fmt: Literal["html", "md", "pdf", "json"],
           principal: Principal = Depends(requires("review"))) -> FileResponse:
    from agents.review.report import write_report

    job = _own_job(request, job_id, principal)
    review = _finished(job)
    path: Path = job.folder / "report" / f"review.{fmt}"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        write_report(review, path)
    name = f"{Path(review.plan.get('file') or 'plan').stem}-审查报告.{fmt}"
    return FileResponse(path, media_type=REPORT_TYPES[fmt], filename=name)
