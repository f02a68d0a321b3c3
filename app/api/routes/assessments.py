"""体检评估 as a job: upload the survey layers, zone layers, statistics and the plan's indicator
table → job id; poll; fetch the result JSON or the report (HTML, PDF, JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from agents.assessment.assessment import AssessmentRequest
from app.api.assessment_jobs import AssessmentOutcome, start_assessment
from app.api.auth import requires
from app.api.errors import ApiError
from app.api.job_access import finished_result, owned_job
from app.api.jobs import Job
from app.api.services import Services
from app.api.uploads import GEOMETRY_KINDS, TABLE_KINDS, save_upload
from app.security.access import Principal

router = APIRouter(prefix="/v1/assessments", tags=["assessments"])

REPORT_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
                "json": "application/json"}


def _links(job: Job) -> dict[str, str]:
    base = f"/v1/assessments/{job.id}"
    return {"status": base, "result": f"{base}/result",
            **{f"report_{fmt}": f"{base}/report.{fmt}" for fmt in REPORT_TYPES}}


@router.post("", status_code=202, summary="提交体检评估 / start an assessment")
async def submit(request: Request,
                 region: Annotated[str, Form(min_length=1, max_length=64, description="地区")],
                 year: Annotated[int, Form(ge=1990, le=2100, description="评估年份")],
                 survey: Annotated[UploadFile, File(description="本年国土调查图层")],
                 base_year: Annotated[int | None, Form(ge=1990, le=2100)] = None,
                 base_survey: Annotated[UploadFile | None, File(description="基期调查图层")] = None,
                 zones: Annotated[list[UploadFile] | None, File(description="三区三线图层")] = None,
                 statistics: Annotated[UploadFile | None, File(description="统计表")] = None,
                 targets: Annotated[UploadFile | None, File(description="规划指标表")] = None,
                 principal: Principal = Depends(requires("assess"))) -> dict:
    services: Services = request.app.state.services
    limit = services.config.upload_max_mb << 20
    job = services.jobs.new("assessment", principal.name)
    try:
        survey_path = await save_upload(survey, job.folder / "survey", "survey", GEOMETRY_KINDS,
                                        limit)
        base_path = await save_upload(base_survey, job.folder / "base", "base_survey",
                                      GEOMETRY_KINDS, limit) if base_survey else None
        zone_paths = tuple([await save_upload(z, job.folder / "zones", f"zones{i}",
                                              GEOMETRY_KINDS, limit)
                            for i, z in enumerate(zones or [])])
        stats_path = await save_upload(statistics, job.folder / "statistics", "statistics",
                                       TABLE_KINDS, limit) if statistics else None
        targets_path = await save_upload(targets, job.folder / "targets", "targets",
                                         TABLE_KINDS, limit) if targets else None
        if base_path is not None and base_year is None:
            raise ApiError(422, "invalid_request", "给出基期调查时需要基期年份 / a base survey "
                           "needs base_year")
    except ApiError:
        services.jobs.discard(job)
        raise
    request_ = AssessmentRequest(region, year, survey_path, zone_paths, stats_path, targets_path,
                                 base_year, base_path)
    start_assessment(services, principal, job, request_)
    return {**job.to_dict(), "links": _links(job)}


def _own_job(request: Request, job_id: str, principal: Principal) -> Job:
    return owned_job(request.app.state.services.jobs, job_id, "assessment", principal)


def _finished(job: Job) -> AssessmentOutcome:
    return finished_result(job)


@router.get("/{job_id}", summary="评估进度 / status and progress")
def status(request: Request, job_id: str,
           principal: Principal = Depends(requires("assess"))) -> dict:
    job = _own_job(request, job_id, principal)
    return {**job.to_dict(), "links": _links(job)}


@router.get("/{job_id}/result", summary="评估结果 JSON / the assessment as JSON")
def result(request: Request, job_id: str,
           principal: Principal = Depends(requires("assess"))) -> dict:
    return _finished(_own_job(request, job_id, principal)).to_dict()


@router.get("/{job_id}/report.{fmt}", summary="下载评估报告 / download the report",
            response_class=FileResponse)
def report(request: Request, job_id: str, fmt: Literal["html", "pdf", "json"],
           principal: Principal = Depends(requires("assess"))) -> FileResponse:
    from agents.assessment.report import write_assessment_report

    job = _own_job(request, job_id, principal)
    outcome = _finished(job)
    path: Path = job.folder / "report" / f"assessment.{fmt}"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        write_assessment_report(outcome.result, outcome.narrative, path)
    name = f"{outcome.result.region}{outcome.result.year}年体检评估报告.{fmt}"
    return FileResponse(path, media_type=REPORT_TYPES[fmt], filename=name)
