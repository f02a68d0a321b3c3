"""`guihua serve` as a user starts it (its own process, API and UI on one port), and
`guihua users add` issuing a key that server accepts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from app.cli import app
from live_server import SECRET_RULE, server_data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_brings_up_api_and_ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with server_data(tmp_path) as data_dir:
        _serve_and_use(data_dir, monkeypatch)


def _serve_and_use(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = _free_port()
    env = {**os.environ, "GUIHUA_DATA_DIR": str(data_dir), "GRADIO_ANALYTICS_ENABLED": "False"}
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = httpx.get(f"{url}/healthz", timeout=5)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stdout.read().decode()
                assert time.monotonic() < deadline, "guihua serve did not come up"
                time.sleep(0.5)
        assert health.json()["index"] and health.json()["graph"]
        home = httpx.get(url, follow_redirects=True, timeout=30)
        assert home.status_code == 200 and "/ui" in str(home.url) and "gradio" in home.text.lower()
        monkeypatch.setenv("GUIHUA_DATA_DIR", str(data_dir))
        made = CliRunner().invoke(app, ["users", "add", "杭州科员", "--role", "staff", "--region",
                                        "杭州市", "--clearance", "内部", "--json"])
        assert made.exit_code == 0, made.output
        key = json.loads(made.stdout)["api_key"]
        question = {"question": "杭州市临时停车场设置期限最长多久？"}
        public = httpx.post(f"{url}/v1/ask", json=question, timeout=60).json()
        staff = httpx.post(f"{url}/v1/ask", json=question, timeout=60,
                           headers={"Authorization": f"Bearer {key}"}).json()
        assert SECRET_RULE not in json.dumps(public, ensure_ascii=False)
        assert any(SECRET_RULE in c["text"] for c in staff["citations"])
    finally:
        server.terminate()
        server.wait(timeout=30)
