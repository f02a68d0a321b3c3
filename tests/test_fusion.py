"""Reciprocal-rank fusion and the document filter."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from corpus.store import DocumentRecord
from retrieval.filters import DocumentFilter
from retrieval.fusion import reciprocal_rank_fusion


def test_items_found_by_both_rankings_rise():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "d", "a"]], k=10)
    order = [item for item, _ in fused]
    assert order[:2] == ["a", "c"] and set(order) == {"a", "b", "c", "d"}
    assert fused[0][1] == 1 / 11 + 1 / 13


def test_weights_scale_a_ranking():
    fused = reciprocal_rank_fusion([["a"], ["b"]], weights=[1.0, 2.5])
    assert [item for item, _ in fused] == ["b", "a"]


RECORD = DocumentRecord(
    doc_id="示例条例@2020-01-01", title="某省示例条例", short_name="示例条例", level="地方性法规",
    version="2020-01-01", source="x", source_kind="markdown", origin="user", content_hash="h",
    issuing_body=None, region="浙江省", promulgated=None, effective="2020-03-01", repealed=None,
    status="现行有效", genre="statute", valid_from="2020-03-01", valid_to="2024-01-01",
    n_clauses=1, meta={})


def test_filter_by_date_level_and_region():
    on = DocumentFilter(date(2021, 1, 1))
    assert on.reason_to_exclude(RECORD) is None
    assert DocumentFilter(date(2020, 1, 1)).reason_to_exclude(RECORD) == "尚未生效"
    assert DocumentFilter(date(2025, 1, 1)).reason_to_exclude(RECORD) == "历史版本"
    assert DocumentFilter(date(2025, 1, 1), include_inactive=True).reason_to_exclude(RECORD) is None
    assert DocumentFilter(date(2021, 1, 1), levels=frozenset({"法律"})).reason_to_exclude(
        RECORD) == "level"
    assert DocumentFilter(date(2021, 1, 1), region="上海市").reason_to_exclude(RECORD) == "region"
    national = replace(RECORD, region=None)
    assert DocumentFilter(date(2021, 1, 1), region="上海市").reason_to_exclude(national) is None
