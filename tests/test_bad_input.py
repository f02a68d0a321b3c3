"""Bad input of every kind gets a clear error naming the file, the reason and what to do, and
loses nothing: the store keeps what it had and the rest of a folder still goes in."""

from __future__ import annotations

import zipfile
from pathlib import Path

import fitz
import pytest

from corpus.ingest import ingest_paths
from corpus.readers.base import IngestLimits
from corpus.lookup import lookup_article
from corpus.store import ClauseStore

GOOD = "中华人民共和国示例法\n第一条 为了示例，制定本法。\n第二条 本法自公布之日起施行。\n"


def _only_failure(store: ClauseStore, path: Path, limits: IngestLimits = IngestLimits()) -> str:
    report = ingest_paths(store, [path], limits=limits)
    assert len(report.outcomes) == 1 and report.outcomes[0].failed, report.to_dict()
    message = report.outcomes[0].message
    assert str(path) in message  # which file
    assert "处理建议 / what to do" in message  # what to do
    return message


@pytest.fixture
def seeded(store: ClauseStore, tmp_path: Path) -> ClauseStore:
    good = tmp_path / "seed" / "示例法.txt"
    good.parent.mkdir()
    good.write_text(GOOD, encoding="utf-8")
    assert not ingest_paths(store, [good]).failures
    return store


def _unchanged(store: ClauseStore) -> None:
    assert store.counts()["documents"] == 1
    assert lookup_article(store, "示例法", "2")["text"] == "本法自公布之日起施行。"


def test_zero_byte_and_blank(seeded: ClauseStore, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert "0 字节" in _only_failure(seeded, empty)
    blank = tmp_path / "blank.md"
    blank.write_text("\n\n   \n", encoding="utf-8")
    assert "没有可读的正文" in _only_failure(seeded, blank)
    _unchanged(seeded)


def test_binary_garbage_and_unknown_extension(seeded: ClauseStore, tmp_path: Path) -> None:
    garbage = tmp_path / "data.bin"
    garbage.write_bytes(bytes(range(256)) * 64)
    assert "二进制" in _only_failure(seeded, garbage)
    # an unknown extension with text content is read by what it is
    text = tmp_path / "示例条例.law"
    text.write_text(GOOD.replace("示例法", "示例条例"), encoding="utf-8")
    report = ingest_paths(seeded, [text])
    assert report.outcomes[0].action == "added"
    assert lookup_article(seeded, "示例条例", "1")["text"] == "为了示例，制定本法。"


def test_wrong_encodings(seeded: ClauseStore, tmp_path: Path) -> None:
    gbk = tmp_path / "国标编码条例.md"
    gbk.write_bytes(GOOD.replace("示例法", "国标编码条例").encode("gb18030"))
    utf16 = tmp_path / "双字节条例.txt"
    utf16.write_bytes(GOOD.replace("示例法", "双字节条例").encode("utf-16"))
    report = ingest_paths(seeded, [gbk, utf16])
    assert [o.action for o in report.outcomes] == ["added", "added"]
    assert lookup_article(seeded, "国标编码条例", "1")["text"] == "为了示例，制定本法。"
    assert lookup_article(seeded, "双字节条例", "2")["text"] == "本法自公布之日起施行。"


def test_oversized_file(seeded: ClauseStore, tmp_path: Path) -> None:
    big = tmp_path / "huge.pdf"
    with big.open("wb") as f:  # sparse: 200 MB on paper, nothing on disk
        f.truncate(200 * 1024 * 1024)
    message = _only_failure(seeded, big)
    assert "文件过大" in message and "200 MB" in message and "GUIHUA_MAX_FILE_MB" in message
    _unchanged(seeded)


def test_corrupt_and_encrypted_pdf(seeded: ClauseStore, tmp_path: Path) -> None:
    pdf = fitz.open()
    pdf.new_page().insert_text((72, 72), "第一条 测试", fontname="china-s")
    data = pdf.tobytes()
    corrupt = tmp_path / "corrupt.pdf"
    corrupt.write_bytes(data[: len(data) // 3])
    _only_failure(seeded, corrupt)
    locked = tmp_path / "locked.pdf"
    pdf.save(locked, encryption=fitz.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="secret")
    message = _only_failure(seeded, locked)
    assert "密码" in message or "加密" in message
    _unchanged(seeded)


def test_pdf_page_limit_and_thousand_pages(seeded: ClauseStore, tmp_path: Path) -> None:
    pdf = fitz.open()
    for n in range(1, 1051):
        page = pdf.new_page(width=300, height=200)
        page.insert_text((20, 40), f"第{n}条 第{n}页的规定内容。", fontname="china-s", fontsize=9)
    big = tmp_path / "千页汇编.pdf"
    pdf.save(big)
    limited = _only_failure(seeded, big, IngestLimits(max_pdf_pages=1000))
    assert "1050" in limited
    report = ingest_paths(seeded, [big])
    assert report.outcomes[0].action == "added", report.to_dict()
    doc_id = report.outcomes[0].doc_id
    last = seeded.article(doc_id, "1050")
    assert last.text == "第1050页的规定内容。" and last.provenance.page == 1050


def test_docx_zip_bomb_and_fake_docx(seeded: ClauseStore, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        with z.open("word/media/padding.bin", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(300):
                member.write(chunk)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    message = _only_failure(seeded, bomb)
    assert "压缩" in message or "zip" in message.lower()
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"PK\x03\x04" + b"\x13" * 500)
    _only_failure(seeded, fake)
    legacy = tmp_path / "old.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    assert ".docx" in _only_failure(seeded, legacy)
    _unchanged(seeded)


def test_folder_with_mixed_files_keeps_going(seeded: ClauseStore, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "甲条例.md").write_text(GOOD.replace("示例法", "甲条例"), encoding="utf-8")
    (folder / "empty.md").write_bytes(b"")
    (folder / ".hidden.md").write_text(GOOD, encoding="utf-8")
    (folder / "notes.xyz").write_text("ignored in folder walks", encoding="utf-8")
    report = ingest_paths(seeded, [folder])
    assert sorted((Path(o.source).name, o.action) for o in report.outcomes) == [
        ("empty.md", "failed"), ("甲条例.md", "added")]
