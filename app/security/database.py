"""The app's own database: accounts and the audit log. SQLite in the data directory by default,
PostgreSQL (or any SQLAlchemy URL) by configuration."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("region", String(64)),
    Column("clearance", String(8), nullable=False),
    Column("password_hash", String(256)),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False, index=True),
    Column("label", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("user_name", String(64), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("action", String(64), nullable=False),
    Column("method", String(8), nullable=False),
    Column("path", Text, nullable=False),
    Column("target", Text),
    Column("status", Integer, nullable=False),
    Column("client", String(64)),
    Column("detail", JSON),
)


def app_database_url(data_dir: Path, configured: str | None) -> str:
    return configured or f"sqlite:///{(data_dir / 'app.sqlite').resolve()}"


def open_database(url: str) -> Engine:
    """An engine with the tables created. SQLite gets WAL, so audit writes do not block reads."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _wal(connection, _record) -> None:  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=5000")
    metadata.create_all(engine)
    return engine
