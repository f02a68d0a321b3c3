"""Documents (list for anyone, ingest and removal for admins), users and the audit log (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from pydantic import BaseModel, Field

from app.api.auth import requires
from app.api.errors import ApiError
from app.api.jobs import Job
from app.api.library import ingest_upload, remove_from_library
from app.api.services import Services
from app.api.uploads import save_upload
from app.security.access import Principal, Role
from corpus.access import CLASSIFICATIONS, PUBLIC, DocumentAccess, classification_of
from corpus.model import Level
from corpus.readers.base import Progress

router = APIRouter(prefix="/v1", tags=["admin"])


@router.get("/documents", summary="文档列表 / the documents you may see")
def documents(request: Request, principal: Principal = Depends(requires("read"))) -> dict:
    services: Services = request.app.state.services
    view = services.view(principal)
    return {"documents": [
        {"doc_id": r.doc_id, "title": r.title, "short_name": r.short_name, "level": r.level,
         "version": r.version, "status": r.status, "valid_from": r.valid_from,
         "valid_to": r.valid_to, "region": r.region, "classification": classification_of(r),
         "clauses": r.n_clauses, "origin": r.origin}
        for r in view.store.documents()]}


@router.post("/documents", status_code=202, summary="导入文档（管理员）/ ingest a document")
async def ingest(request: Request,
                 file: Annotated[UploadFile, File(description="PDF、DOCX、Markdown、TXT、HTML、"
                                                             "CSV 或 XLSX")],
                 classification: Annotated[str, Form(description="/".join(CLASSIFICATIONS))]
                 = PUBLIC,
                 region: Annotated[str | None, Form(max_length=64)] = None,
                 level: Annotated[Level | None, Form()] = None,
                 principal: Principal = Depends(requires("documents"))) -> dict:
    services: Services = request.app.state.services
    access = DocumentAccess(classification, region or None)
    job = services.jobs.new("ingest", principal.name)
    try:
        upload = await save_upload(file, job.folder, "document", None,
                                   services.config.upload_max_mb << 20)
    except ApiError:
        services.jobs.discard(job)
        raise

    def work(_job: Job, progress: Progress) -> dict:
        report = ingest_upload(services, upload, access, level, progress)
        return {"outcomes": [o.to_dict() for o in report.outcomes]}

    services.jobs.start(job, work)
    return {**job.to_dict(), "links": {"status": f"/v1/jobs/{job.id}"}}


@router.delete("/documents/{doc_id}", summary="删除文档（管理员）/ remove a document")
def remove(request: Request, doc_id: str,
           principal: Principal = Depends(requires("documents"))) -> dict:
    outcomes = remove_from_library(request.app.state.services, doc_id)
    return {"outcomes": [o.to_dict() for o in outcomes]}


@router.get("/jobs/{job_id}", summary="后台任务状态 / a background job's status")
def job_status(request: Request, job_id: str,
               principal: Principal = Depends(requires("read"))) -> dict:
    job = request.app.state.services.jobs.get(job_id)
    if job is None or (job.owner != principal.name and not principal.may("audit")):
        raise ApiError(404, "not_found", f"没有这个任务 / no such job: {job_id}")
    data = {**job.to_dict(), "links": {"status": f"/v1/jobs/{job.id}"}}
    if job.kind == "ingest" and job.status == "done":
        data["result"] = job.result
    return data


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: Role
    region: str | None = Field(None, max_length=64)
    clearance: str = PUBLIC
    password: str | None = Field(None, min_length=8, max_length=128)


@router.get("/users", summary="用户列表（管理员）/ users")
def users(request: Request, _principal: Principal = Depends(requires("users"))) -> dict:
    return {"users": [u.to_dict() for u in request.app.state.services.accounts.users()]}


@router.post("/users", status_code=201, summary="新建用户并签发密钥（管理员）/ add a user")
def add_user(request: Request, body: NewUser,
             _principal: Principal = Depends(requires("users"))) -> dict:
    accounts = request.app.state.services.accounts
    user = accounts.add_user(body.name, body.role, body.region, body.clearance, body.password)
    return {"user": user.to_dict(), "api_key": accounts.issue_key(user.name)}


@router.get("/audit", summary="审计日志（管理员）/ the audit log")
def audit(request: Request, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          user: Annotated[str | None, Query(max_length=64)] = None,
          _principal: Principal = Depends(requires("audit"))) -> dict:
    return {"entries": request.app.state.services.audit.recent(limit, user)}
