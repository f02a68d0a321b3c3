"""Users, their API keys and passwords. Keys are random and stored only as SHA-256 digests;
passwords as salted scrypt hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.security.access import Principal, Role
from app.security.database import api_keys, users
from corpus.access import PUBLIC, classification_rank
from corpus.errors import GuihuaError

KEY_PREFIX = "gh_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(GuihuaError):
    """A user could not be created or changed."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    region: str | None
    clearance: str
    disabled: bool

    def principal(self) -> Principal:
        return Principal(self.name, self.role, self.region, self.clearance)

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role.value, "region": self.region,
                "clearance": self.clearance, "disabled": self.disabled}


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${derived.hex()}"


def _password_matches(password: str, stored: str) -> bool:
    _, salt, _digest_hex = stored.split("$")
    return hmac.compare_digest(_hash_password(password, bytes.fromhex(salt)), stored)


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_user(self, name: str, role: Role, region: str | None = None,
                 clearance: str = PUBLIC, password: str | None = None) -> User:
        if not name.strip() or len(name) > 64:
            raise AccountError("用户名应为 1–64 个字符 / a user name has 1–64 characters")
        classification_rank(clearance)
        row = {"name": name, "role": role.value, "region": region, "clearance": clearance,
               "password_hash": _hash_password(password) if password else None,
               "disabled": False, "created_at": datetime.now(timezone.utc)}
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(users).values(**row))
        except IntegrityError:
            raise AccountError(f"用户已存在 / user exists: {name}") from None
        return self.user(name)

    def user(self, name: str) -> User:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        if row is None:
            raise AccountError(f"没有这个用户 / no such user: {name}")
        return User(row["name"], Role(row["role"]), row["region"], row["clearance"],
                    row["disabled"])

    def users(self) -> list[User]:
        with self.engine.connect() as conn:
            names = conn.execute(select(users.c.name).order_by(users.c.name)).scalars().all()
        return [self.user(name) for name in names]

    def issue_key(self, name: str, label: str = "") -> str:
        """A new API key for the user; shown once, only its digest is kept."""
        self.user(name)
        key = KEY_PREFIX + secrets.token_urlsafe(24)
        with self.engine.begin() as conn:
            conn.execute(insert(api_keys).values(
                key_hash=_digest(key), user_name=name, label=label or None,
                created_at=datetime.now(timezone.utc), revoked=False))
        return key

    def set_disabled(self, name: str, disabled: bool) -> User:
        self.user(name)
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.name == name).values(disabled=disabled))
        return self.user(name)

    def by_key(self, key: str) -> User | None:
        with self.engine.connect() as conn:
            name = conn.execute(select(api_keys.c.user_name).where(
                api_keys.c.key_hash == _digest(key), api_keys.c.revoked.is_(False))).scalar()
        if name is None:
            return None
        user = self.user(name)
        return None if user.disabled else user

    def by_password(self, name: str, password: str) -> User | None:
        with self.engine.connect() as conn:
            stored = conn.execute(select(users.c.password_hash).where(
                users.c.name == name)).scalar()
        if not stored or not _password_matches(password, stored):
            return None
        user = self.user(name)
        return None if user.disabled else user
