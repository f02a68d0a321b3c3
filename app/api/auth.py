"""Who is calling: an API key (`Authorization: Bearer gh_…` or `X-API-Key`), a UI login session,
or nobody (the public). Also the per-caller rate limit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from app.api.errors import ApiError
from app.security.access import ANONYMOUS, ROLE_LABELS, Principal

SESSION_USER = "guihua_user"


class RateLimit:
    def __init__(self, spec: str) -> None:
        self.item = parse(spec)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, key: str) -> None:
        if not self.limiter.hit(self.item, key):
            raise ApiError(429, "rate_limited", f"请求过于频繁（上限 {self.item}）/ too many "
                           f"requests (limit {self.item}); 请稍后再试 / try again shortly")


def _key_from(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get("x-api-key") or None


def caller(request: Request) -> Principal:
    """The principal of this request (a FastAPI dependency); also kept for the audit log."""
    services = request.app.state.services
    key = _key_from(request)
    if key is not None:
        user = services.accounts.by_key(key)
        if user is None:
            raise ApiError(401, "unauthorized", "API 密钥无效或已停用 / invalid or revoked API key")
        principal = user.principal()
    else:
        principal = ANONYMOUS
    request.state.principal = principal
    client = request.client.host if request.client else "?"
    request.app.state.rate_limit.check(principal.name if key else f"ip:{client}")
    return principal


def requires(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only callers whose role has `permission`."""
    def check(principal: Principal = Depends(caller)) -> Principal:
        if not principal.may(permission):
            raise ApiError(403, "forbidden", f"当前角色（{ROLE_LABELS[principal.role]}）无权执行此"
                           f"操作 / your role ({principal.role.value}) may not do this; 请使用有权限的"
                           "账号 / use an account that may")
        return principal
    return check
