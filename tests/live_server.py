"""A real guihua server on loopback for API and browser tests, over a small real corpus with an
internal (内部, 杭州市) document and one holding personal data."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from app.cli.common import sync_graph
from app.indexes import sync_index
from app.settings import Settings
from corpus.access import DocumentAccess
from corpus.ingest import ingest_paths
from corpus.store import ClauseStore

NATIONAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national"
SECRET_RULE = "临时停车场设置期限不得超过十八个月，到期须恢复原状"
HANGZHOU_DOC = f"""# 杭州市临时停车场规划管理内部工作细则

第一条　为规范临时停车场规划管理，制定本细则。

第二条　{SECRET_RULE}。

第三条　本细则自2024年1月1日起施行。
"""
CONTACT_DOC = """# 某县宅基地审批公示

第一条　申请人王某，身份证号330106198807154321，联系电话13912345678，申请宅基地一处。

第二条　公示期间对宅基地审批有异议的，可以向县自然资源局反映。
"""


@contextmanager
def server_data(root: Path) -> Iterator[Path]:
    """Clause store, keyword index and graph for a test server; the embedded graph server is
    stopped afterwards."""
    from kg.connect import embedded_server

    data_dir = build_data_dir(root)
    try:
        yield data_dir
    finally:
        embedded_server(data_dir).stop()


def build_data_dir(root: Path) -> Path:
    """Clause store, keyword index and graph for the test server."""
    files = root / "files"
    files.mkdir()
    (files / "杭州市临时停车场规划管理内部工作细则.md").write_text(HANGZHOU_DOC, encoding="utf-8")
    (files / "宅基地审批公示.md").write_text(CONTACT_DOC, encoding="utf-8")
    config = Settings(data_dir=root / "data")
    with ClauseStore(config.store_path) as store:
        report = ingest_paths(store, [NATIONAL / "土地管理法(2019-08-26).md",
                                      NATIONAL / "城乡规划法(2019-04-23).md",
                                      files / "宅基地审批公示.md"])
        internal = ingest_paths(store, [files / "杭州市临时停车场规划管理内部工作细则.md"],
                                access=DocumentAccess("内部", "杭州市"))
        assert not report.failures and not internal.failures
        sync_graph(config, store, lambda *a: None)
        sync_index(config, store, dense=False)
    return config.data_dir


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
