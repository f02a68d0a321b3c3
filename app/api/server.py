"""The guihua server: the HTTP API (OpenAPI schema at /openapi.json, docs at /docs), with the
audit log and upload limits around every request. The Gradio UI mounts on the same app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from app.api.auth import RateLimit
from app.api.errors import error_response, install_error_handlers, log
from app.api.routes import admin, answers, assessments, clauses, graph, reviews
from app.api.services import Services
from app.security.access import ANONYMOUS
from app.security.audit import AuditEntry

# Requests that only describe the service are not audited.
_NOT_AUDITED = ("/healthz", "/openapi.json", "/docs", "/redoc", "/ui", "/gradio")
_MULTIPART_SLACK = 1 << 20  # form fields and boundaries around the files


def create_app(services: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()

    app = FastAPI(title="guihua 规划 API", version="1", lifespan=lifespan,
                  description="国土空间规划条文检索、依据条文的问答、规划审查与知识图谱查询。"
                              "Authorization: Bearer <API 密钥>；无密钥即公众身份。")
    app.state.services = services
    app.state.rate_limit = RateLimit(services.config.rate_limit)
    install_error_handlers(app)
    for router in (clauses.router, answers.router, reviews.router, assessments.router,
                   graph.router, admin.router):
        app.include_router(router)

    @app.get("/healthz", tags=["service"], summary="服务状态 / health")
    def healthz() -> dict:
        return {"status": "ok", "documents": services.store.counts()["documents"],
                "index": services.searcher is not None, "graph": services.graph is not None,
                "backend": services.backend.name}

    max_body = (services.config.upload_max_mb << 20) * 4 + _MULTIPART_SLACK

    @app.middleware("http")
    async def guard_and_audit(request: Request,
                              call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_body:
            # Refused before the body is read: a 500 MB upload never reaches the disk.
            response: Response = error_response(413, "too_large", f"请求体超过 {max_body >> 20} MB "
                                                f"上限 / request body over {max_body >> 20} MB")
        else:
            response = await call_next(request)
        path = request.url.path
        if not path.startswith(_NOT_AUDITED):
            entry = AuditEntry(getattr(request.state, "principal", ANONYMOUS),
                               _action(request), request.method, path, response.status_code,
                               target=request.url.query or None,
                               client=request.client.host if request.client else None)
            try:
                await run_in_threadpool(services.audit.record, entry)
            except Exception:  # an audit failure is logged loudly but does not eat the answer
                log.exception("audit log write failed for %s %s", request.method, path)
        return response

    return app


def _action(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "name", None) or "unknown"
