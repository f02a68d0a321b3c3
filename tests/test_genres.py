"""Standards and cases: genre detection and their clause trees."""

from __future__ import annotations

from pathlib import Path

from corpus.model import ClauseKind, Level
from corpus.parsers import build_document, detect_genre
from corpus.readers.base import no_progress
from corpus.readers.text import MarkdownReader, TextReader

STANDARD = """城市用地分类与规划建设用地标准 GB 50137-2011
1 总则
1.0.1 为统一全国城市用地分类，科学编制城乡规划，制定本标准。
1.0.2 本标准适用于城市的总体规划工作。
3 用地分类
3.1 一般规定
3.1.1 用地分类包括城乡用地分类、城市建设用地分类两部分。
3.1.2 用地分类应符合下列规定：
1 采用大类、中类和小类3级分类体系；
2 使用字母与数字结合的代码。
4 规划建设用地标准
4.0.1 规划人均城市建设用地面积指标应符合表 4.0.1 的规定。
附录 A 用词说明
A.0.1 表示很严格，非这样做不可的用词。
"""


def _doc(text: str, name: str, reader=TextReader):
    return build_document(reader().read(Path(name), text.encode(), no_progress))


def test_standard_numbered_clauses() -> None:
    doc = _doc(STANDARD, "GB50137.txt")
    assert doc.genre == "standard"
    assert doc.level is Level.NATIONAL_STANDARD
    ids = {c.number: c for c in doc.walk()}
    assert ids["1"].kind is ClauseKind.CHAPTER and ids["1"].text == "总则"
    assert ids["3.1"].kind is ClauseKind.SECTION
    clause = ids["3.1.2"]
    assert clause.kind is ClauseKind.NUMBERED
    assert clause.path == ("3 用地分类", "3.1 一般规定")
    # items "1 …", "2 …" belong to the clause; they are not chapters 1 and 2
    assert [c.number for c in clause.children] == ["3.1.2-1", "3.1.2-2"]
    assert clause.text == "用地分类应符合下列规定：\n1 采用大类、中类和小类3级分类体系；\n2 使用字母与数字结合的代码。"
    assert ids["4.0.1"].text.endswith("表 4.0.1 的规定。")
    assert ids["A"].kind is ClauseKind.APPENDIX and ids["A.0.1"].id.endswith("#A.0.1")
    assert [c.number for c in doc.articles()] == ["1.0.1", "1.0.2", "3.1.1", "3.1.2", "4.0.1",
                                                "A.0.1"]


def test_case_passages_and_citations() -> None:
    text = """# 某公司诉某市自然资源局行政处罚案

## 基本案情

某公司未经批准占用耕地12亩建设厂房。

## 裁判结果

法院依照《中华人民共和国土地管理法》第七十七条判决驳回诉讼请求。

## 典型意义

本案明确了行政诉讼法第七十四条的适用。
"""
    doc = _doc(text, "案例.md", MarkdownReader)
    assert doc.genre == "case" and doc.level is Level.CASE
    assert [c.number for c in doc.clauses] == ["基本案情", "裁判结果", "典型意义"]
    assert doc.clauses[0].text == "某公司未经批准占用耕地12亩建设厂房。"
    assert doc.meta["cites"] == [{"law": "中华人民共和国土地管理法", "article": "77"},
                                 {"law": "行政诉讼法", "article": "74"}]


def test_shared_cases_are_cases(national_laws: Path) -> None:
    folder = national_laws.parents[1] / "cases" / "lawrefbook_admin_agreement"
    for path in sorted(folder.glob("*.md")):
        doc = build_document(MarkdownReader().read(path, path.read_bytes(), no_progress))
        assert doc.genre == "case", path.name
        assert "基本案情" in [c.number for c in doc.clauses], path.name
        assert doc.title == path.stem


def test_genre_detection_on_plain_prose() -> None:
    doc = _doc("关于做好规划工作的通知\n各区：\n请认真做好规划工作。\n特此通知。", "通知.txt")
    assert detect_genre(MarkdownReader().read(Path("x.md"), "正文。".encode(), no_progress).blocks) == "generic"
    assert doc.genre == "generic" and doc.clauses and "请认真做好规划工作。" in doc.clauses[0].text
