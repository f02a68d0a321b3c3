"""What the job routes share: a caller sees only its own jobs (admins all), and a result is
served only once its job is done."""

from __future__ import annotations

from typing import Any

from app.api.errors import ApiError
from app.api.jobs import Job, JobQueue
from app.security.access import Principal

KIND_LABELS = {"review": ("审查", "review"), "assessment": ("评估", "assessment"),
               "ingest": ("导入", "ingest")}


def owned_job(jobs: JobQueue, job_id: str, kind: str, principal: Principal) -> Job:
    job = jobs.get(job_id)
    if job is None or job.kind != kind or (job.owner != principal.name
                                           and not principal.may("audit")):
        zh, en = KIND_LABELS[kind]
        raise ApiError(404, "not_found", f"没有这个{zh}任务 / no such {en} job: {job_id}")
    return job


def finished_result(job: Job) -> Any:
    zh, en = KIND_LABELS[job.kind]
    if job.status == "failed":
        raise ApiError(422, f"{job.kind}_failed", job.error or f"{zh}失败 / the {en} failed")
    if job.status != "done":
        raise ApiError(409, "not_ready", f"{zh}尚未完成（{job.status}）/ the {en} is not finished "
                       f"yet ({job.status}); 请稍后查询 / poll its status")
    return job.result
