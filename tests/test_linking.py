"""Entity linking (kg/linking.py): real clause sentences, longest match, offsets, no overlaps,
and recall over the whole domain vocabulary. Offline: jieba ships its dictionary."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import jieba
import pytest

from kg.domain import load_indicators, load_land_use_classes, load_zone_types
from kg.linking import (
    AGENCIES,
    EntityLinker,
    Mention,
    build_vocabulary,
    document_surfaces,
    domain_vocabulary,
    indicator_surfaces,
)

LAND_LAW = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national" / \
    "土地管理法(2019-08-26).md"

# Real (short_name, title) pairs as the clause store holds them.
DOCUMENTS = [
    ("土地管理法", "中华人民共和国土地管理法"),
    ("土地管理法实施条例", "中华人民共和国土地管理法实施条例"),
    ("城乡规划法", "中华人民共和国城乡规划法"),
    ("河南省实施中华人民共和国城乡规划法办法", "河南省实施《中华人民共和国城乡规划法》办法"),
    ("基本农田保护条例", "基本农田保护条例"),
    ("水法", "中华人民共和国水法"),
    ("森林法", "中华人民共和国森林法"),
]
CONCEPTS = ["永久基本农田", "基本农田", "农用地", "建设用地", "耕地", "城乡规划", "土地利用总体规划"]

# Real sentences (土地管理法, 上海市城乡规划条例, 许昌市城乡规划条例, 杭州市城市规划管理技术规定 …).
ART_35 = ("第三十五条 永久基本农田经依法划定后，任何单位和个人不得擅自占用或者改变其用途。国家能源、"
          "交通、水利、军事设施等重点建设项目选址确实难以避让永久基本农田，涉及农用地转用或者土地征收"
          "的，必须经国务院批准。")
XUCHANG_1 = ("第一条 为了加强城乡规划管理，统筹城乡空间布局，改善人居环境，促进城乡经济社会全面协调可持续"
             "发展，根据《中华人民共和国城乡规划法》《河南省实施〈中华人民共和国城乡规划法〉办法》等法律、"
             "法规，结合本市实际，制定本条例。")
HENAN_2 = "乡、镇人民政府按照《城乡规划法》和本办法的规定，负责本行政区域内有关的城乡规划管理工作。"
SHANGHAI_FAR = ("建设工程设计方案公示应当包括建设用地范围、用地面积、规划用地性质、建筑面积、容积率等规划"
                "设计指标，以及公示期限、反馈意见的期限和途径等内容。")
HANGZHOU_TABLE = "表（2-3）城镇住宅用地容积率、建筑密度控制指标表"
LAND_LAW_27 = ("第二十七条 县级以上人民政府自然资源主管部门会同同级有关部门根据土地调查成果、规划土地用途"
               "和国家制定的统一标准，评定土地等级。")
PENALTY = ("第三十条 违反本条例规定，有下列行为之一的，依照《中华人民共和国土地管理法》和《中华人民共和国"
           "土地管理法实施条例》的有关规定")
NOT_THE_STATUTE = "以牟利为目的，违反土地管理法规，非法转让、倒卖土地使用权；依照土地管理法律、法规的规定"

# Contexts in which plain jieba joins a term's characters with its neighbours (在城镇/住宅/用/
# 地上, 非耕/地 …): without the dictionary boost ~300 of these sentences miss their term.
TEMPLATES = ["{}", "根据{}的规定，", "在{}上", "非{}", "本{}内", "在{}内的", "将{}划入", "于{}中",
             "原{}", "新{}"]


@pytest.fixture(scope="module")
def vocabulary() -> list[tuple[str, str, str]]:
    return build_vocabulary(DOCUMENTS, CONCEPTS)


@pytest.fixture(scope="module")
def linker(vocabulary: list[tuple[str, str, str]]) -> EntityLinker:
    return EntityLinker(vocabulary)


def spans(mentions: list[Mention]) -> set[tuple[str, str, str]]:
    return {(m.label, m.key, m.text) for m in mentions}


def assert_well_formed(text: str, mentions: list[Mention]) -> None:
    for m in mentions:
        assert text[m.start:m.end] == m.text, m
    distinct = sorted({(m.start, m.end) for m in mentions})
    for (s1, e1), (s2, e2) in itertools.pairwise(distinct):
        assert e1 <= s2, f"overlap {text[s1:e1]!r} / {text[s2:e2]!r}"


# ---------------------------------------------------------------- real sentences


def test_article_35_links_permanent_basic_farmland(linker: EntityLinker) -> None:
    mentions = linker.link(ART_35)
    assert_well_formed(ART_35, mentions)
    farmland = [m for m in mentions if m.text == "永久基本农田"]
    # Twice in the text, each time as the ZoneType and the Concept, ZoneType first.
    assert [(m.label, m.start) for m in farmland] == [
        ("ZoneType", 6), ("Concept", 6), ("ZoneType", 70), ("Concept", 70)]
    assert {m.key for m in farmland} == {"permanent_basic_farmland", "永久基本农田"}
    assert ("Concept", "农用地", "农用地") in spans(mentions)
    assert ("Agency", "国务院", "国务院") in spans(mentions)
    # 基本农田 is in the vocabulary but lies inside 永久基本农田 both times.
    assert "基本农田" not in {m.text for m in mentions}


def test_land_use_class_and_indicators(linker: EntityLinker) -> None:
    mentions = linker.link(HANGZHOU_TABLE)
    assert_well_formed(HANGZHOU_TABLE, mentions)
    assert spans(mentions) == {
        ("LandUseClass", "0701", "城镇住宅用地"),
        ("Indicator", "far", "容积率"),
        ("Indicator", "building_density", "建筑密度"),
    }
    # 城镇住宅用地 is one of the terms plain jieba splits across words (在城镇/住宅/用/地上).
    text = "不得在城镇住宅用地上建设工业项目"
    assert ("LandUseClass", "0701", "城镇住宅用地") in spans(linker.link(text))


def test_indicator_inside_longer_word(linker: EntityLinker) -> None:
    mentions = linker.link(SHANGHAI_FAR)
    assert ("Indicator", "far", "容积率") in spans(mentions)
    assert ("Concept", "建设用地", "建设用地") in spans(mentions)
    text = "其建筑容积率受到限制的，可以按照城市规划实行异地补偿"
    assert ("Indicator", "far", "容积率") in spans(linker.link(text))


def test_documents_by_title_short_name_and_nested_title(linker: EntityLinker) -> None:
    mentions = linker.link(XUCHANG_1)
    assert_well_formed(XUCHANG_1, mentions)
    documents = [(m.key, m.text) for m in mentions if m.label == "Document"]
    assert documents == [
        ("城乡规划法", "中华人民共和国城乡规划法"),
        ("河南省实施中华人民共和国城乡规划法办法", "河南省实施〈中华人民共和国城乡规划法〉办法"),
    ]
    assert ("Document", "城乡规划法", "城乡规划法") in spans(linker.link(HENAN_2))


def test_longer_document_name_wins(linker: EntityLinker) -> None:
    mentions = linker.link(PENALTY)
    assert [(m.key, m.text) for m in mentions if m.label == "Document"] == [
        ("土地管理法", "中华人民共和国土地管理法"),
        ("土地管理法实施条例", "中华人民共和国土地管理法实施条例"),
    ]


def test_law_and_regulation_compounds_are_not_the_statute(linker: EntityLinker) -> None:
    mentions = linker.link(NOT_THE_STATUTE)
    assert not [m for m in mentions if m.label == "Document"]
    assert ("Document", "土地管理法", "土地管理法") in spans(linker.link("依照土地管理法规定办理"))


def test_compound_agency_is_two_mentions(linker: EntityLinker) -> None:
    mentions = linker.link(LAND_LAW_27)
    agencies = [(m.key, m.start, m.end) for m in mentions if m.label == "Agency"]
    assert agencies == [("县级以上人民政府", 6, 14), ("自然资源主管部门", 14, 22)]
    # Surfaces with punctuation, and a 1-char end piece that jieba would join (本乡).
    assert ("Agency", "乡、镇人民政府", "乡、镇人民政府") in spans(linker.link(HENAN_2))
    text = "由本乡（镇）人民政府组织实施"
    assert ("Agency", "乡、镇人民政府", "乡（镇）人民政府") in spans(linker.link(text))


def test_one_character_end_pieces_are_split_off() -> None:
    # jieba reads 本乡 and 镇政府 as words; the punctuated surface is trusted over them.
    linker = EntityLinker([("Agency", "乡、镇人民政府", "乡、镇人民政府"), ("Concept", "城市、镇", "城市、镇")])
    assert spans(linker.link("制定本乡、镇人民政府条例")) == {("Agency", "乡、镇人民政府", "乡、镇人民政府")}
    assert spans(linker.link("在城市、镇政府所在地")) == {("Concept", "城市、镇", "城市、镇")}


def test_word_boundaries_from_segmentation(linker: EntityLinker) -> None:
    # 林地 and 园地 occur as characters but not as words; a character matcher would link them.
    assert linker.link("森林地区和公园地下空间") == []
    assert ("LandUseClass", "03", "林地") in spans(linker.link("森林地区的林地面积"))


def test_ascii_surface_needs_word_boundary(linker: EntityLinker) -> None:
    assert ("Indicator", "far", "FAR") in spans(linker.link("容积率（FAR）不大于2.5"))
    assert not [m for m in linker.link("FARM 用地") if m.text == "FAR"]
    # jieba does split a digit off a dictionary word that starts with one (1/5分钟生活圈).
    circle = EntityLinker([("Concept", "5分钟生活圈", "5分钟生活圈")])
    assert [m.start for m in circle.link("5分钟生活圈，15分钟生活圈")] == [0]


def test_longest_match_with_nested_vocabulary() -> None:
    linker = EntityLinker([("Concept", "基本农田", "基本农田"), ("ZoneType", "pbf", "永久基本农田"),
                           ("Document", "基本农田保护条例", "基本农田保护条例")])
    text = "永久基本农田和基本农田，依照基本农田保护条例"
    mentions = linker.link(text)
    assert [(m.key, m.start, m.end) for m in mentions] == [
        ("pbf", 0, 6), ("基本农田", 7, 11), ("基本农田保护条例", 14, 22)]


def test_link_many_matches_link(linker: EntityLinker) -> None:
    texts = [ART_35, "", "。。", XUCHANG_1, HANGZHOU_TABLE, LAND_LAW_27, "没有术语的句子"]
    assert list(linker.link_many(texts, batch_size=2)) == [linker.link(t) for t in texts]
    assert linker.link("") == [] and linker.link("没有术语的句子") == []


def test_vocab_does_not_grow(linker: EntityLinker) -> None:
    # Unsegmented blocks are new strings; kept, they would grow the vocab over 100k clauses.
    before = len(linker.nlp.vocab.strings)
    texts = [f"第{i}条 编号为{i}的地块不得占用永久基本农田。" for i in range(300)]
    assert all(ms for ms in linker.link_many(texts, batch_size=64))
    assert linker.link("另一个从未见过的句子") == []
    assert len(linker.nlp.vocab.strings) == before


def test_whole_law_offsets_and_no_overlaps(linker: EntityLinker) -> None:
    if not LAND_LAW.exists():
        pytest.skip(f"shared corpus file missing: {LAND_LAW}")
    lines = [line for line in LAND_LAW.read_text(encoding="utf-8").splitlines() if line.strip()]
    results = list(linker.link_many(lines))
    for line, mentions in zip(lines, results):
        assert_well_formed(line, mentions)
    # Every 永久基本农田 in the law is linked (none split by the segmentation).
    found = sum(1 for ms in results for m in ms if m.label == "ZoneType" and m.text == "永久基本农田")
    assert found == sum(line.count("永久基本农田") for line in lines) > 10


def test_skipping_blocks_does_not_change_matches(linker: EntityLinker) -> None:
    # The segmenter leaves blocks holding no vocabulary piece unsegmented; segmenting every
    # block must give the same mentions.
    texts = [ART_35, XUCHANG_1, HENAN_2, SHANGHAI_FAR, HANGZHOU_TABLE, LAND_LAW_27, PENALTY]
    fast = [linker.link(t) for t in texts]
    segmenter = linker.nlp.tokenizer.jieba_seg
    candidate = segmenter._candidate
    segmenter._candidate = re.compile("")  # matches every block
    try:
        assert [linker.link(t) for t in texts] == fast
    finally:
        segmenter._candidate = candidate


def test_global_jieba_untouched(linker: EntityLinker) -> None:
    assert linker.link("城镇住宅用地")
    assert "城镇住宅用地" not in jieba.dt.FREQ
    assert "城镇住宅用地" not in jieba.lcut("在城镇住宅用地上")


# ---------------------------------------------------------------- vocabulary


def test_vocabulary_recall(vocabulary: list[tuple[str, str, str]], linker: EntityLinker) -> None:
    """Every surface form, embedded in sentences, is linked exactly, with all its entries."""
    entries: dict[str, set[tuple[str, str]]] = {}
    for label, key, surface in vocabulary:
        entries.setdefault(surface, set()).add((label, key))
    texts, expected = [], []
    for surface, targets in entries.items():
        for template in TEMPLATES:
            text = template.format(surface)
            start = template.index("{}")
            texts.append(text)
            expected.append((surface, start, targets))
    missed = []
    for text, (surface, start, targets), mentions in zip(texts, expected, linker.link_many(texts)):
        got = {(m.label, m.key) for m in mentions if (m.start, m.end) == (start, start + len(surface))}
        if got != targets:
            missed.append((text, sorted(targets - got)))
    assert len(entries) > 250
    assert missed == []


def test_domain_vocabulary_covers_tables() -> None:
    vocab = domain_vocabulary()
    keys = {(label, key) for label, key, _ in vocab}
    assert ("LandUseClass", "0701") in keys and ("LandUseClass", "01") in keys
    # Residual classes are not linked: 其他土地 in law text means "other land".
    residual = {c.code for c in load_land_use_classes() if c.name.startswith("其他")}
    assert residual and not residual & {key for label, key in keys if label == "LandUseClass"}
    assert {z.id for z in load_zone_types()} <= {key for label, key in keys if label == "ZoneType"}
    assert {i.id for i in load_indicators()} == {key for label, key in keys if label == "Indicator"}
    assert set(AGENCIES) == {key for label, key in keys if label == "Agency"}


def test_document_surfaces() -> None:
    assert document_surfaces("土地管理法", "中华人民共和国土地管理法") == {
        "土地管理法", "中华人民共和国土地管理法"}
    assert document_surfaces("河南省实施中华人民共和国城乡规划法办法",
                             "河南省实施《中华人民共和国城乡规划法》办法") == {
        "河南省实施中华人民共和国城乡规划法办法", "河南省实施《中华人民共和国城乡规划法》办法",
        "河南省实施〈中华人民共和国城乡规划法〉办法"}


def test_indicator_surfaces() -> None:
    assert indicator_surfaces("容积率", ("FAR", "住宅用地容积率", "plot ratio")) == {
        "容积率", "FAR", "住宅用地容积率"}
    assert indicator_surfaces("人均公共绿地面积（居住区）", ()) == {
        "人均公共绿地面积（居住区）", "人均公共绿地面积"}


def test_build_vocabulary_rows() -> None:
    vocab = build_vocabulary([("城乡规划法", "中华人民共和国城乡规划法")], ["容积率", " ", "田"])
    assert ("Document", "城乡规划法", "中华人民共和国城乡规划法") in vocab
    assert ("Concept", "容积率", "容积率") in vocab and ("Indicator", "far", "容积率") in vocab
    assert not [row for row in vocab if row[2] in {"", " ", "田"}]
    assert len(vocab) == len(set(vocab))
