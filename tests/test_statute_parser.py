"""The statute parser on texts written for the test and on the shared corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from corpus.model import ClauseKind, Level
from corpus.parsers import build_document
from corpus.readers.base import no_progress
from corpus.readers.text import MarkdownReader, TextReader

LAW = """中华人民共和国示例规划法

（2020年1月1日第十三届全国人民代表大会常务委员会第十五次会议通过　2021年6月1日起施行）

第一章　总则

第一条　为了规范示例规划，制定本法。

第二条　本法所称规划，包括下列内容：
（一）总体规划；
（二）详细规划：
1.控制性详细规划；
2.修建性详细规划。
规划经批准后公布。

第十条之一　新增加的条文，引用第二条规定的内容。

第二章　附则

第十一条　本法自2021年6月1日起施行。
"""


def _parse(text: str, name: str = "示例规划法.txt", encoding: str = "utf-8", reader=TextReader):
    data = text.encode(encoding)
    return build_document(reader().read(Path(name), data, no_progress))


def test_clause_tree_and_ids() -> None:
    doc = _parse(LAW)
    assert doc.title == "中华人民共和国示例规划法"
    assert doc.short_name == "示例规划法"
    assert doc.level is Level.LAW
    assert doc.version == "2020-01-01"
    assert doc.effective.isoformat() == "2021-06-01"
    assert doc.issuing_body == "全国人民代表大会常务委员会"
    assert [a.number for a in doc.articles()] == ["1", "2", "10之1", "11"]
    art2 = next(a for a in doc.articles() if a.number == "2")
    assert art2.id == "示例规划法@2020-01-01#2"
    assert art2.path == ("第一章 总则",)
    assert art2.text.split("\n")[0] == "本法所称规划，包括下列内容："
    kinds = [(c.id.split("#")[1], c.kind) for c in art2.walk()]
    assert kinds == [("2", ClauseKind.ARTICLE), ("2-1", ClauseKind.PARAGRAPH),
                     ("2-1-1", ClauseKind.ITEM), ("2-1-2", ClauseKind.ITEM),
                     ("2-1-2-1", ClauseKind.SUBITEM), ("2-1-2-2", ClauseKind.SUBITEM),
                     ("2-2", ClauseKind.PARAGRAPH)]
    art = next(a for a in doc.articles() if a.number == "10之1")
    assert art.label == "第十条之一" and art.text == "新增加的条文，引用第二条规定的内容。"


def test_gbk_input_reads_the_same() -> None:
    utf8 = _parse(LAW)
    gbk = _parse(LAW, encoding="gbk")
    assert [(a.id, a.text) for a in gbk.articles()] == [(a.id, a.text) for a in utf8.articles()]


def test_reference_is_not_an_article() -> None:
    text = LAW.replace("规划经批准后公布。", "第二十条规定的情形除外。")
    doc = _parse(text)
    assert [a.number for a in doc.articles()] == ["1", "2", "10之1", "11"]
    assert "第二十条规定的情形除外。" in next(a for a in doc.articles() if a.number == "2").text


def test_long_clause_segments_are_lossless() -> None:
    body = "\n".join("第{}款内容".format(i) + "很长的句子，" * 80 + "。" for i in range(5))
    doc = _parse(f"测试条例\n第一条 {body}\n第二条 短。", name="测试条例.txt")
    article = doc.articles()[0]
    segments = article.segments(max_chars=600)
    assert len(segments) > 1
    assert all(len(s) <= 600 for s in segments)
    assert "\n".join(segments).replace("\n", "") == article.text.replace("\n", "")


def test_every_shared_law_parses_every_article(national_laws: Path) -> None:
    """Article numbers found by the parser = the 第X条 lines of each source file."""
    laws = sorted(national_laws.parent.rglob("*.md"))
    assert len(laws) > 100
    for path in laws:
        doc = build_document(MarkdownReader().read(path, path.read_bytes(), no_progress))
        raw = path.read_text(encoding="utf-8")
        expected = re.findall(r"(?m)^(第[零一二三四五六七八九十百千]+条(?:之[一二三四五六七八九十]+)?)", raw)
        got = [a.label for a in doc.articles()]
        assert got == expected, path.name
        for article in doc.articles():
            assert article.text, f"{path.name} {article.label} has no text"
            start, end = article.provenance.char_start, article.provenance.char_end
            assert raw[start:end].startswith(article.label)


def test_local_regulation_metadata(national_laws: Path) -> None:
    path = national_laws.parent / "local" / "上海市城乡规划条例(2018-12-20).md"
    doc = build_document(MarkdownReader().read(path, path.read_bytes(), no_progress))
    assert doc.level is Level.LOCAL_REGULATION
    assert doc.region == "上海市"
    assert doc.version == "2018-12-20"
    assert doc.issuing_body == "上海市人民代表大会常务委员会"
    art = next(a for a in doc.articles() if a.number == "40")
    assert art.id == "上海市城乡规划条例@2018-12-20#40"


@pytest.mark.parametrize("name,level", [
    ("土地管理法实施条例(2021-07-02).md", Level.ADMIN_REGULATION),
    ("城乡规划法(2019-04-23).md", Level.LAW),
])
def test_national_levels(national_laws: Path, name: str, level: Level) -> None:
    path = national_laws / name
    doc = build_document(MarkdownReader().read(path, path.read_bytes(), no_progress))
    assert doc.level is level
    assert doc.repealed is None
