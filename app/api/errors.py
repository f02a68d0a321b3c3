"""Every error leaves the API as JSON: `{"error": {"code", "message", "type"}}`, the message in
Chinese and English, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from corpus.errors import AmbiguousNameError, GuihuaError, NotFoundError

log = logging.getLogger("guihua.api")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict:
    # `type` too, so OpenAI clients of /v1/chat/completions read it as they expect.
    return {"error": {"code": code, "message": message, "type": code}}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content=error_body(code, message))


_HTTP_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 429: "rate_limited"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_request: Request, err: ApiError) -> JSONResponse:
        return error_response(err.status, err.code, err.message)

    @app.exception_handler(NotFoundError)
    async def _missing(_request: Request, err: NotFoundError) -> JSONResponse:
        return error_response(404, "not_found", str(err))

    @app.exception_handler(AmbiguousNameError)
    async def _ambiguous(_request: Request, err: AmbiguousNameError) -> JSONResponse:
        return error_response(400, "ambiguous", str(err))

    @app.exception_handler(GuihuaError)
    async def _user(_request: Request, err: GuihuaError) -> JSONResponse:
        return error_response(400, "invalid_input", str(err))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, err: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                             for e in err.errors())
        return error_response(422, "invalid_request",
                              f"请求格式不正确 / invalid request: {problems}")

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, err: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(err.status_code, "http_error")
        return error_response(err.status_code, code, str(err.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, err: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal", "服务器内部错误，已记录 / internal server error "
                              f"(logged): {type(err).__name__}")
