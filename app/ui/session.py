"""Who is using the UI (the public until someone signs in), and the audit trail of UI actions."""

from __future__ import annotations

from app.api.services import Services
from app.security.access import ANONYMOUS, ROLE_LABELS, Principal
from app.security.audit import AuditEntry


def sign_in(services: Services, name: str, password: str) -> Principal | None:
    user = services.accounts.by_password(name.strip(), password)
    return user.principal() if user is not None else None


def describe(principal: Principal) -> str:
    if principal == ANONYMOUS:
        return "当前身份：公众（未登录）"
    return (f"当前身份：{principal.name}（{ROLE_LABELS[principal.role]}，"
            f"{principal.region or '全国'}，可阅 {principal.clearance}）")


def audit(services: Services, principal: Principal, action: str, target: str | None,
          ok: bool = True) -> None:
    services.audit.record(AuditEntry(principal, f"ui_{action}", "UI", f"/ui#{action}",
                                     200 if ok else 400, target=(target or "")[:500] or None))
