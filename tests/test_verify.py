"""Citation verification against the embedded law database: existing, non-existent, repealed
or superseded, and not-yet-effective clauses."""

from __future__ import annotations

from datetime import date

import pytest

from corpus.ingest import ingest_embedded_laws
from corpus.store import ClauseStore
from retrieval.verify import verify_citations


@pytest.fixture(scope="module")
def laws(tmp_path_factory: pytest.TempPathFactory) -> ClauseStore:
    store = ClauseStore(tmp_path_factory.mktemp("verify") / "corpus.sqlite")
    ingest_embedded_laws(store)
    yield store
    store.close()


def test_existing_clause_verbatim_and_in_force(laws: ClauseStore) -> None:
    [check] = verify_citations(laws, "依据《中华人民共和国土地管理法》第三十五条，不得擅自占用。",
                               on=date(2024, 1, 1))
    assert check.exists and check.in_force and check.problem is None
    assert check.clause_id == "土地管理法@2019-08-26#35"
    assert check.text.startswith("永久基本农田经依法划定后")
    assert check.cited == "《中华人民共和国土地管理法》第三十五条"


def test_paragraph_and_nonexistent(laws: ClauseStore) -> None:
    checks = verify_citations(laws, "城乡规划法第四十条第二款和《土地管理法》第九百条，以及《不存在的法》第一条",
                              on=date(2024, 1, 1))
    by_cited = {c.cited: c for c in checks}
    assert by_cited["城乡规划法第四十条第二款"].clause_id == "城乡规划法@2019-04-23#40-2"
    missing = by_cited["《土地管理法》第九百条"]
    assert not missing.exists and "没有第 900 条" in missing.problem
    assert not by_cited["《不存在的法》第一条"].exists
    assert "语料中没有" in by_cited["《不存在的法》第一条"].problem
    paragraph = verify_citations(laws, "《土地管理法》第三十五条第九款", on=date(2024, 1, 1))[0]
    assert not paragraph.exists  # the article has two 款, not nine


def test_not_yet_effective_and_superseded(laws: ClauseStore) -> None:
    pending = verify_citations(laws, "《耕地保护和质量提升法》第七十二条", on=date(2026, 11, 24))[0]
    assert pending.exists and not pending.in_force and pending.status == "尚未生效"
    assert "尚未生效" in pending.problem and pending.valid_from == "2027-01-01"
    old = verify_citations(laws, "《农业法》第一条", on=date(2027, 6, 1))[0]
    assert old.clause_id.startswith("农业法@2026-08-28#")  # the text in force that day
    then = verify_citations(laws, "《农业法》第一条", on=date(2020, 6, 1))[0]
    assert then.clause_id == "农业法@2012-12-28#1" and then.in_force


def test_support_by_context_and_self_references(laws: ClauseStore) -> None:
    text = "违反本法第四十四条规定的，依照《土地管理法》第七十七条处理。"
    checks = verify_citations(laws, text, on=date(2024, 1, 1), default_law="土地管理法",
                              context_ids={"土地管理法@2019-08-26#77"})
    by_article = {c.article: c for c in checks}
    assert by_article["77"].supported is True
    assert by_article["44"].supported is False and "不在检索到的依据中" in by_article["44"].problem
    assert verify_citations(laws, "违反本法第四十四条") == []  # no law to anchor 本法
