"""End to end: generated PDF, DOCX and scanned documents through ingestion into the store,
then looked up as clauses with their provenance."""

from __future__ import annotations

from pathlib import Path

from test_office_readers import _law_docx
from test_pdf_reader import law_pdf, scanned_page_pdf, standard_pdf

from corpus.ingest import ingest_paths
from corpus.lookup import lookup_article
from corpus.model import Level
from corpus.store import ClauseStore


def _ingest_one(store: ClauseStore, path: Path, **options) -> str:
    report = ingest_paths(store, [path], **options)
    assert [o.action for o in report.outcomes] == ["added"], report.to_dict()
    return report.outcomes[0].doc_id


def test_law_pdf_with_table(store: ClauseStore, tmp_path: Path) -> None:
    path = tmp_path / "国土空间规划测试法(2024-01-01).pdf"
    path.write_bytes(law_pdf())
    doc_id = _ingest_one(store, path)
    assert doc_id == "国土空间规划测试法@2024-01-01"
    record = store.document(doc_id)
    assert record.level == "法律" and record.genre == "statute"
    art3 = lookup_article(store, "国土空间规划测试法", "3")
    assert art3["text"].split("\n")[1] == "（一）上级国土空间规划发生变更，提出修改规划要求的；"
    assert art3["path"] == ["第一章 总\u3000则"]  # heading text verbatim, as printed
    # 第四条 runs from page 1 onto page 2
    art4 = lookup_article(store, "国土空间规划测试法", "第四条")
    assert (art4["provenance"]["page"], art4["provenance"]["page_end"]) == (1, 2)
    # the table between 第三条 and 第四条 is a clause of its own, with caption, unit and page
    table = store.clause(f"{doc_id}#3-表1")
    assert table.kind == "表" and table.table.caption == "表 1　各类用地面积指标"
    assert table.table.unit == "公顷" and table.provenance.page == 1
    assert table.table.rows[0] == ["耕地", "1200.5", "1250.0"]
    assert "1200.5" not in art3["text"]


def test_standard_pdf_table_across_pages(store: ClauseStore, tmp_path: Path) -> None:
    path = tmp_path / "国土空间规划用地指标标准.pdf"
    path.write_bytes(standard_pdf())
    doc_id = _ingest_one(store, path, level=Level.NATIONAL_STANDARD)
    record = store.document(doc_id)
    assert record.genre == "standard" and record.level == "国家标准"
    clause = store.article(doc_id, "3.2.1")
    assert clause.text.endswith("并应符合表 3.2.1 的规定。")
    assert clause.path == ("3 用地指标",)
    table = store.article(doc_id, "表3.2.1")
    assert table.table.pages == [2, 3]
    assert (table.provenance.page, table.provenance.page_end) == (2, 3)
    assert [r[0] for r in table.table.rows] == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "Ⅵ", "Ⅶ"]
    assert table.parent_id == clause.id  # the table belongs to the clause that cites it
    assert store.article(doc_id, "3.2.2").provenance.page == 3


def test_scanned_pdf_through_ocr(store: ClauseStore, tmp_path: Path) -> None:
    path = tmp_path / "扫描办法.pdf"
    path.write_bytes(scanned_page_pdf(with_text_page=False))
    doc_id = _ingest_one(store, path)
    record = store.document(doc_id)
    assert record.meta["ocr_pages"] == [1]
    first = store.article(doc_id, "1")
    assert "城市规划区内的建设活动" in first.text and first.provenance.page == 1


def test_docx_law(store: ClauseStore, tmp_path: Path) -> None:
    path = tmp_path / "国土空间规划管理条例.docx"
    path.write_bytes(_law_docx())
    doc_id = _ingest_one(store, path)
    record = store.document(doc_id)
    assert record.title == "国土空间规划管理条例" and record.genre == "statute"
    art2 = store.article(doc_id, "2")
    assert art2.text == "本条例适用于下列活动：\n（一）国土空间规划的编制；\n（二）国土空间规划的实施。"
    assert art2.path == ("第一章 总则",)
    table = store.clause(f"{doc_id}#2-表1")
    assert table.table.unit == "公顷"
    assert (0, 1, 1, 2) in table.table.merges
    assert store.article(doc_id, "3").text == "本条例自公布之日起施行。"
