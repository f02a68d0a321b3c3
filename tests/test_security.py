"""Access rules (roles, clearance, region lines), masking of personal data, accounts, and the
audit log on SQLite and on a real PostgreSQL server started here."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.security.access import (
    ANONYMOUS,
    Principal,
    Role,
    mask_personal_data,
    regions_related,
)
from app.security.accounts import AccountError, AccountStore
from app.security.audit import AuditEntry, AuditLog
from app.security.database import open_database
from corpus.access import ClassificationError, DocumentAccess
from corpus.errors import NotFoundError
from corpus.scoped_store import ScopedStore
from corpus.store import DocumentRecord


def _record(classification: str | None, region: str | None) -> DocumentRecord:
    meta = {"classification": classification} if classification else {}
    return DocumentRecord("x@2024-01-01", "x", "x", "地方性法规", "2024-01-01", "x.md", "markdown",
                          "user", "h", None, region, None, None, None, "现行有效", "statute",
                          "2024-01-01", None, 1, meta)


def test_clearance_and_region_lines() -> None:
    hangzhou = Principal("a", Role.STAFF, "杭州市", "内部")
    assert hangzhou.can_see(_record(None, None)) and hangzhou.can_see(_record("公开", "宁波市"))
    assert hangzhou.can_see(_record("内部", "浙江省"))  # the province above
    assert hangzhou.can_see(_record("内部", "330106"))  # a district below, by code
    assert not hangzhou.can_see(_record("内部", "宁波市"))
    assert not hangzhou.can_see(_record("敏感", "杭州市"))
    assert not ANONYMOUS.can_see(_record("内部", None))
    assert Principal("n", Role.ADMIN, None, "敏感").can_see(_record("敏感", "宁波市"))
    assert regions_related("杭州", "杭州市") and not regions_related("330100", "330200")


def test_roles_permissions() -> None:
    assert not ANONYMOUS.may("graph") and not ANONYMOUS.may("review")
    assert Principal("r", Role.REVIEWER).may("review")
    assert not Principal("s", Role.STAFF).may("documents")


def test_personal_data_is_masked() -> None:
    text = "申请人身份证号33010619880715432X，手机13912345678，电话0571-87654321；用地代码0701。"
    masked = mask_personal_data(text)
    assert "33010619880715432X" not in masked and "330106***********X" in masked
    assert "139****5678" in masked and "87654321" not in masked
    assert "0701" in masked and "2019-08-26" in mask_personal_data("2019-08-26")


def test_classification_labels_are_checked() -> None:
    with pytest.raises(ClassificationError):
        DocumentAccess("绝密")


def test_scoped_store_hides_documents_like_missing_ones(national_laws: Path, store) -> None:  # type: ignore[no-untyped-def]
    from corpus.ingest import ingest_paths

    ingest_paths(store, [national_laws / "土地管理法(2019-08-26).md"],
                 access=DocumentAccess("内部", "杭州市"))
    hidden = ScopedStore(store, ANONYMOUS.can_see)
    assert hidden.documents() == [] and hidden.counts() == {"documents": 0, "clauses": 0}
    for lookup in (lambda: hidden.clause("土地管理法@2019-08-26#35"),
                   lambda: hidden.document("土地管理法@2019-08-26"),
                   lambda: hidden.resolve_name("土地管理法")):
        with pytest.raises(NotFoundError):
            lookup()
    with pytest.raises(PermissionError):
        hidden.remove("土地管理法@2019-08-26")
    seen = ScopedStore(store, Principal("h", Role.STAFF, "杭州市", "内部").can_see)
    assert seen.clause("土地管理法@2019-08-26#35").text


def _exercise(url: str) -> None:
    engine = open_database(url)
    accounts = AccountStore(engine)
    accounts.add_user("张三", Role.REVIEWER, "杭州市", "内部", password="long-enough-1")
    with pytest.raises(AccountError):
        accounts.add_user("张三", Role.STAFF)
    key = accounts.issue_key("张三")
    assert accounts.by_key(key).principal() == Principal("张三", Role.REVIEWER, "杭州市", "内部")
    assert accounts.by_key(key + "x") is None
    assert accounts.by_password("张三", "long-enough-1") is not None
    assert accounts.by_password("张三", "wrong-password") is None
    accounts.set_disabled("张三", True)
    assert accounts.by_key(key) is None and accounts.by_password("张三", "long-enough-1") is None
    log = AuditLog(engine)
    who = Principal("张三", Role.REVIEWER)
    log.record(AuditEntry(who, "search", "GET", "/v1/search", 200, target="q=耕地",
                          detail={"hits": 3}))
    log.record(AuditEntry(ANONYMOUS, "ask", "POST", "/v1/ask", 429))
    entries = log.recent(10)
    assert [e["action"] for e in entries] == ["ask", "search"]
    assert entries[1]["target"] == "q=耕地" and entries[1]["detail"] == {"hits": 3}
    assert [e["user_name"] for e in log.recent(10, user="张三")] == ["张三"]
    engine.dispose()


def test_accounts_and_audit_on_sqlite(tmp_path: Path) -> None:
    _exercise(f"sqlite:///{tmp_path / 'app.sqlite'}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (scripts/install-test-deps.sh installs the server)."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        pytest.skip("PostgreSQL is not installed (scripts/install-test-deps.sh installs it)")
    bin_dir = Path(binaries[-1]).parent
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser")
        run_as = ["runuser", "-u", "postgres", "--"]
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as
    # the postgres user.
    folder = Path(tempfile.mkdtemp(prefix="guihua-pg-"))
    if run_as:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", _free_port()
    subprocess.run([*run_as, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U",
                    "guihua", "-E", "UTF8", "--locale=C"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l",
                    str(folder / "log"), "-o", f"-p {port} -k {folder} -c listen_addresses="
                    "127.0.0.1", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://guihua@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_accounts_and_audit_on_postgresql(postgres: str) -> None:
    _exercise(postgres)


def test_rate_limit_per_caller() -> None:
    from app.api.auth import RateLimit
    from app.api.errors import ApiError

    limit = RateLimit("2/minute")
    limit.check("a")
    limit.check("a")
    limit.check("b")  # another caller has its own allowance
    with pytest.raises(ApiError) as refused:
        limit.check("a")
    assert refused.value.status == 429 and "2 per 1 minute" in refused.value.message
