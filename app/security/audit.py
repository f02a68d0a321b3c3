"""The audit log: every request that reads or changes data, who made it and what came of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select

from app.security.access import Principal
from app.security.database import audit_log


@dataclass(frozen=True)
class AuditEntry:
    principal: Principal
    action: str
    method: str
    path: str
    status: int
    target: str | None = None
    client: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class AuditLog:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, entry: AuditEntry) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit_log).values(
                at=datetime.now(timezone.utc), user_name=entry.principal.name,
                role=entry.principal.role.value, action=entry.action, method=entry.method,
                path=entry.path[:2000], target=entry.target, status=entry.status,
                client=entry.client, detail=entry.detail or None))

    def recent(self, limit: int = 100, user: str | None = None) -> list[dict[str, Any]]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if user:
            query = query.where(audit_log.c.user_name == user)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [{**row, "at": row["at"].isoformat()} for row in rows]
