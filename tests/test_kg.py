"""The knowledge graph on a real embedded ArcadeDB server: build from the clause store, the
typical questions, and incremental updates."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from corpus.ingest import ingest_paths, remove_document
from corpus.readers.lawdb import read_law_database
from corpus.store import ClauseStore
from kg import queries
from kg.builder import sync_graph
from kg.graph import GraphStore
from kg.server import EmbeddedGraphServer

LAWS = ["土地管理法(2019-08-26).md", "土地管理法实施条例(2021-07-02).md", "城乡规划法(2019-04-23).md",
        "环境保护法(2014-04-24).md", "基本农田保护条例(2011-01-08).md", "湿地保护法(2021-12-24).md"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, national_laws: Path
          ) -> Iterator[tuple[ClauseStore, GraphStore, Path]]:
    data = tmp_path_factory.mktemp("kgdata")
    sources = data / "sources"
    sources.mkdir()
    for name in LAWS:
        shutil.copy(national_laws / name, sources / name)
    store = ClauseStore(data / "corpus.sqlite")
    assert not ingest_paths(store, [sources]).failures
    # two versions of 农业法 and a law adopted but not yet in force, from the embedded database
    for doc in read_law_database():
        if doc.short_name in ("农业法", "耕地保护和质量提升法"):
            store.put(doc)
    server = EmbeddedGraphServer(data, heap_mb=512)
    server.ensure_running()
    graph = GraphStore.from_server(server)
    report = sync_graph(graph, store)
    assert report["documents_loaded"] == len(LAWS) + 3
    yield store, graph, sources
    graph.close()
    server.stop()
    store.close()


def test_citations_both_ways(world) -> None:
    _, graph, _ = world
    cited_by = {r["id"]: r["as_written"] for r in queries.cited_by(graph, "土地管理法@2019-08-26#44")}
    assert {"土地管理法@2019-08-26#59-1", "土地管理法@2019-08-26#60-1",
            "土地管理法@2019-08-26#61-1"} <= set(cited_by)
    assert cited_by["土地管理法@2019-08-26#61-1"] == "本法第四十四条"
    cites = {r["id"]: r["as_written"] for r in queries.cites(graph, "土地管理法实施条例@2021-07-02#26")}
    assert cites == {"土地管理法@2019-08-26#45": "《土地管理法》第四十五条"}
    # 前款 points at the preceding paragraph of the same article
    prev = queries.cites(graph, "土地管理法@2019-08-26#60-2")
    assert [(r["id"], r["as_written"]) for r in prev] == [("土地管理法@2019-08-26#60-1", "前款")]


def test_versions_in_force_on_a_date(world) -> None:
    _, graph, _ = world
    assert [v["id"] for v in queries.versions_in_force(graph, "土地管理法", date(2020, 1, 1))] == [
        "土地管理法@2019-08-26"]
    assert [v["id"] for v in queries.versions_in_force(graph, "农业法", date(2020, 1, 1))] == [
        "农业法@2012-12-28"]
    assert [v["id"] for v in queries.versions_in_force(graph, "农业法", date(2027, 6, 1))] == [
        "农业法@2026-08-28"]
    # adopted 2026-08-28, in force from 2027-01-01
    assert queries.versions_in_force(graph, "耕地保护和质量提升法", date(2026, 11, 24)) == []
    assert len(queries.versions_in_force(graph, "耕地保护和质量提升法", date(2027, 1, 1))) == 1
    chain = queries.versions(graph, "农业法")
    assert [(v["id"], v["supersedes"]) for v in chain] == [
        ("农业法@2012-12-28", None), ("农业法@2026-08-28", "农业法@2012-12-28")]


def test_where_terms_are_defined(world) -> None:
    _, graph, _ = world
    farmland = {r["id"]: r["basis"] for r in queries.definitions(graph, "永久基本农田")}
    assert farmland == {"土地管理法@2019-08-26#33": "curated"}
    wetland = {r["id"] for r in queries.definitions(graph, "湿地")}
    assert wetland == {"湿地保护法@2021-12-24#2-2"}  # 第二款: 本法所称湿地，是指…
    red_line = {r["id"] for r in queries.definitions(graph, "生态保护红线")}
    assert "环境保护法@2014-04-24#29" in red_line


def test_land_use_class(world) -> None:
    _, graph, _ = world
    code = queries.land_use(graph, "0701")
    assert code["name"] == "城镇住宅用地" and code["construction"] == "建设用地"
    assert code["top"] == {"code": "07", "name": "居住用地"}
    assert queries.land_use(graph, "01")["construction"] == "非建设用地"
    assert queries.land_use(graph, "9999") is None
    prohibited = graph.run("MATCH (:ZoneType {name: '永久基本农田'})-[r:PROHIBITS]->(c:LandUseClass) "
                           "RETURN c.code AS code, r.clause AS clause")
    assert prohibited and all(r["clause"] for r in prohibited)


def test_every_document_node_records_its_ingest(world) -> None:
    _, graph, _ = world
    rows = graph.run("MATCH (v:Version)-[:HAS_CLAUSE]->(c:Clause) WHERE c.ingest <> v.id "
                     "RETURN count(c) AS n")
    assert rows[0]["n"] == 0
    rows = graph.run("MATCH (c:Clause)-[r:CITES]->() WHERE r.ingest <> c.doc RETURN count(r) AS n")
    assert rows[0]["n"] == 0


def test_incremental_update_and_removal(world) -> None:
    store, graph, sources = world
    before = queries.stats(graph)
    path = sources / "土地管理法(2019-08-26).md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "第四十五条 为了公共利益的需要", "第四十五条 为了公共利益的确需要"), encoding="utf-8")
    assert [o.action for o in ingest_paths(store, [path]).outcomes] == ["replaced"]
    report = sync_graph(graph, store)
    assert report["documents_loaded"] == 1 and report["touched"] == ["土地管理法"]
    text = graph.run("MATCH (c:Clause {id: '土地管理法@2019-08-26#45-1'}) RETURN c.text AS t")
    assert text[0]["t"].startswith("为了公共利益的确需要")
    assert queries.stats(graph) == before  # same shape: exactly its contribution was replaced
    # the regulation's citation into the replaced law was restored
    assert queries.cites(graph, "土地管理法实施条例@2021-07-02#26")[0]["id"] == "土地管理法@2019-08-26#45"
    assert sync_graph(graph, store)["documents_loaded"] == 0  # nothing new: nothing done
    remove_document(store, "城乡规划法@2019-04-23")
    sync_graph(graph, store)
    assert graph.run("MATCH (n) WHERE n.ingest = '城乡规划法@2019-04-23' RETURN count(n) AS n")[0]["n"] == 0
    assert graph.run("MATCH (d:Document {name: '城乡规划法'}) RETURN count(d) AS n")[0]["n"] == 0


def test_full_text_search_in_chinese(world) -> None:
    from kg.fulltext import search_clauses

    _, graph, _ = world
    hits = search_clauses(graph, "永久基本农田 占用", limit=5, as_of=date(2024, 1, 1))
    assert hits and all("永久基本农田" in h["text"] or "占用" in h["text"] for h in hits)
    top = search_clauses(graph, "挖塘养鱼", limit=3)
    assert top[0]["id"] == "土地管理法@2019-08-26#37-3"
    assert search_clauses(graph, "耕地保护", as_of=date(1990, 1, 1)) == []


def test_clauses_mention_vocabulary(world) -> None:
    _, graph, _ = world
    rows = graph.run("MATCH (c:Clause {id: '土地管理法@2019-08-26#35-1'})-[:MENTIONS]->(t) "
                     "RETURN labels(t)[0] AS label, coalesce(t.code, t.id, t.name) AS key")
    found = {(r["label"], r["key"]) for r in rows}
    assert ("ZoneType", "permanent_basic_farmland") in found
    assert ("Agency", "国务院") in found
    farmland_mentions = graph.run(
        "MATCH (c:Clause)-[:MENTIONS]->(:LandUseClass {code: '01'}) RETURN count(c) AS n")
    assert farmland_mentions[0]["n"] > 10  # 耕地 runs through the land law
