"""The guihua CLI as users and other programs call it: real subprocesses, real data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from collections.abc import Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GUIHUA_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("data")
    # Keyword index only: dense vectors of all 24k embedded articles take ~30 minutes here; the
    # dense path is covered on a small corpus below and in test_retrieval.
    result = run(path, "setup", "--no-dense", "--json")
    try:
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["store"]["documents"] == 378
        assert report["graph"]["documents_loaded"] == 378
        assert report["index"]["units"] > 20_000 and report["index"]["dense"] is False
        yield path
    finally:
        stopped = run(path, "kg", "stop", "--json")
        assert json.loads(stopped.stdout) == {"stopped": True}


def test_article_verbatim_from_embedded_corpus(data_dir: Path) -> None:
    result = run(data_dir, "article", "土地管理法", "35", "--json")
    assert result.returncode == 0, result.stderr
    article = json.loads(result.stdout)
    assert article["id"] == "土地管理法@2019-08-26#35"
    assert article["law"] == "土地管理法" and article["article"] == 35
    assert article["text"].startswith("永久基本农田经依法划定后，任何单位和个人不得擅自占用或者改变其用途。")
    assert article["status"] == "现行有效"
    human = run(data_dir, "article", "土地管理法", "第三十五条")
    assert human.returncode == 0
    # printed verbatim: the terminal renderer must not wrap the clause text
    assert article["text"].split("\n")[0] in human.stdout


def test_ingest_shared_laws_and_regulation_article(data_dir: Path, national_laws: Path) -> None:
    result = run(data_dir, "ingest", str(national_laws.parent), "--json")
    assert result.returncode == 0, result.stdout[-2000:]
    report = json.loads(result.stdout)
    assert not [o for o in report["outcomes"] if o["action"] == "failed"]
    assert sum(report["counts"].values()) == len(list(national_laws.parent.rglob("*.md")))
    got = json.loads(run(data_dir, "article", "土地管理法实施条例", "26", "--json").stdout)
    source = (national_laws / "土地管理法实施条例(2021-07-02).md").read_text(encoding="utf-8")
    assert got["valid_from"] == "2021-07-02" and got["level"] == "行政法规"
    assert got["status"] == "现行有效"
    for paragraph in got["text"].split("\n"):
        assert paragraph in source
    assert "第二十六条 " + got["text"].split("\n")[0] in source
    again = json.loads(run(data_dir, "ingest", str(national_laws), "--json").stdout)
    assert set(again["counts"]) == {"unchanged"}


def test_errors_are_readable_and_nonzero(data_dir: Path, tmp_path: Path) -> None:
    missing = run(data_dir, "article", "不存在法", "1")
    assert missing.returncode == 1
    assert "未找到" in missing.stderr and "Traceback" not in missing.stderr
    bad_date = run(data_dir, "article", "土地管理法", "35", "--as-of", "2020/01/01", "--json")
    assert bad_date.returncode == 1 and "YYYY-MM-DD" in json.loads(bad_date.stdout)["error"]
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    result = run(data_dir, "ingest", str(empty))
    assert result.returncode == 1 and "empty.md" in result.stderr and "0 字节" in result.stderr
    nowhere = run(data_dir, "ingest", str(tmp_path / "nope"))
    assert nowhere.returncode == 1 and "不存在" in nowhere.stderr


def test_graph_commands(data_dir: Path) -> None:
    stats = json.loads(run(data_dir, "kg", "stats", "--json").stdout)
    assert stats["nodes"]["Version"] >= 378 and stats["nodes"]["LandUseClass"] == 175
    shown = json.loads(run(data_dir, "kg", "show", "0701", "--json").stdout)
    assert shown["label"] == "LandUseClass" and shown["node"]["name"] == "城镇住宅用地"
    assert any(link["relationship"] == "SUBCLASS_OF" and link["key"] == "07"
               for link in shown["relationships"])
    rows = json.loads(run(data_dir, "kg", "query",
                          "MATCH (v:Version {document: '土地管理法'}) RETURN v.id AS id",
                          "--json").stdout)["rows"]
    assert {"id": "土地管理法@2019-08-26"} in rows
    refused = run(data_dir, "kg", "query", "CREATE (n:Clause {id: 'x'}) RETURN n")
    assert refused.returncode == 1 and "只读" in refused.stderr
    route = json.loads(run(data_dir, "kg", "path", "0701", "01", "--json").stdout)
    assert route and route[0]["nodes"][0] == "0701" and route[0]["nodes"][-1] == "01"


def test_verify_command(data_dir: Path) -> None:
    good = run(data_dir, "verify", "依据《土地管理法》第三十五条处理", "--as-of", "2024-01-01", "--json")
    assert good.returncode == 0
    [check] = json.loads(good.stdout)
    assert check["clause_id"] == "土地管理法@2019-08-26#35" and check["in_force"] is True
    bad = run(data_dir, "verify", "《耕地保护和质量提升法》第七十二条", "--as-of", "2026-11-24")
    assert bad.returncode == 1 and "尚未生效" in bad.stdout


def test_search_command(data_dir: Path) -> None:
    result = run(data_dir, "search", "土地管理法第三十五条", "-k", "3", "--json")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    first = found["hits"][0]
    assert first["id"] == "土地管理法@2019-08-26#35" and "reference" in first["via"]
    assert {"id", "law", "article", "text", "score", "level", "status", "valid_from",
            "valid_to", "source"} <= set(first)
    assert any("keyword search only" in note for note in found["notes"])  # --no-dense setup
    unchanged = json.loads(run(data_dir, "index", "--json").stdout)
    assert unchanged["units_added"] == 0 and unchanged["dense"] is False
    bad = run(data_dir, "search", "宅基地", "--mode", "fuzzy")
    assert bad.returncode == 1 and "hybrid" in bad.stderr


def test_dense_search_on_a_small_corpus(tmp_path: Path, national_laws: Path) -> None:
    law = national_laws / "城乡规划法(2019-04-23).md"
    ingested = run(tmp_path, "ingest", str(law), "--no-graph", "--json")
    assert ingested.returncode == 0, ingested.stderr
    result = run(tmp_path, "search", "城市总体规划报送审批前要公告多久", "-k", "5", "--json")
    assert result.returncode == 0, result.stderr
    hits = json.loads(result.stdout)["hits"]
    assert "城乡规划法@2019-04-23#26" in [h["id"] for h in hits]
    assert any("dense" in h["via"] for h in hits)
    text = run(tmp_path, "search", "临时建设", "-k", "1")
    assert "《城乡规划法》" in text.stdout and "id: 城乡规划法@" in text.stdout
