"""The embedded ArcadeDB server and the Cypher store, against a real server (no mocks)."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.graph import (GraphQueryError, GraphReadOnlyError, GraphStore, check_read_only,
                      fulltext_index_sql)
from kg.server import EmbeddedGraphServer, port_open


def _server_pids(server: EmbeddedGraphServer) -> list[int]:
    """PIDs of every JVM serving this server's graph directory."""
    marker = f"-Darcadedb.server.rootPath={server.graph_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@pytest.fixture(scope="session")
def graph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedGraphServer]:
    server = EmbeddedGraphServer(tmp_path_factory.mktemp("graphdata"), heap_mb=512)
    server.ensure_running()
    yield server
    server.stop()


@pytest.fixture
def store(graph_server: EmbeddedGraphServer) -> Iterator[GraphStore]:
    with GraphStore.from_server(graph_server) as s:
        yield s


def test_start_health_and_reuse_without_second_process(graph_server: EmbeddedGraphServer,
                                                        store: GraphStore) -> None:
    info = graph_server.status()
    assert info is not None and graph_server.owned
    assert port_open(info.bolt_port) and port_open(info.http_port)
    assert store.ping()

    other = EmbeddedGraphServer(graph_server.data_dir)
    reused = other.ensure_running()
    assert reused.pid == info.pid and reused.bolt_port == info.bolt_port
    assert not other.owned
    assert _server_pids(graph_server) == [info.pid]


def test_password_files_are_private_and_off_the_command_line(
        graph_server: EmbeddedGraphServer) -> None:
    for path in (graph_server.password_file, graph_server.reader_password_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = graph_server.status()
    assert info is not None
    cmdline = Path(f"/proc/{info.pid}/cmdline").read_bytes()
    assert graph_server.password.encode() not in cmdline
    assert len(graph_server.password) >= 24


def test_stale_state_is_cleaned_up(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path)
    server.graph_dir.mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # A dead PID, then a live PID that is not our JVM (PID reuse): both are stale.
    for pid in (dead.pid, os.getpid()):
        server.state_file.write_text(json.dumps({
            "pid": pid, "http_port": 1, "bolt_port": 2, "password_file": "x",
            "reader_password_file": "y", "detached": False, "started_at": "2026-01-01"}))
        assert server.status() is None
        assert not server.state_file.exists()
    assert server.stop() is False


def test_round_trip_nodes_and_relationships_in_chinese(store: GraphStore) -> None:
    law = {"id": "城乡规划法", "title": "中华人民共和国城乡规划法", "effective": dt.date(2008, 1, 1)}
    store.write("MERGE (d:RtDoc {id: $id}) SET d.title = $title, d.effective = $effective", **law)
    for _ in range(2):  # MERGE twice: still one node and one relationship
        store.write("MATCH (d:RtDoc {id: $doc}) MERGE (c:RtClause {id: $id}) "
                    "SET c.text = $text MERGE (c)-[r:PART_OF {位置: '第一章'}]->(d)",
                    doc=law["id"], id="城乡规划法-第二条", text="制定和实施城乡规划，在规划区内进行建设活动，必须遵守本法。")
    rows = store.run("MATCH (c:RtClause)-[r:PART_OF]->(d:RtDoc) "
                     "RETURN c.text AS text, r.位置 AS pos, d.title AS title, d.effective AS eff")
    assert rows == [{"text": "制定和实施城乡规划，在规划区内进行建设活动，必须遵守本法。", "pos": "第一章",
                     "title": "中华人民共和国城乡规划法", "eff": dt.date(2008, 1, 1)}]


def test_write_batch_of_2000_rows(store: GraphStore) -> None:
    rows = [{"id": f"批量-{i}", "n": i} for i in range(2000)]
    sent = store.write_batch("UNWIND $rows AS row CREATE (:BatchNode {id: row.id, n: row.n})",
                             rows, batch_size=500)
    assert sent == 2000
    assert store.run("MATCH (b:BatchNode) RETURN count(b) AS c, sum(b.n) AS s") == [
        {"c": 2000, "s": sum(range(2000))}]
    with pytest.raises(GraphQueryError):
        store.write_batch("CREATE (:BatchNode)", rows)


def test_fulltext_search_in_chinese(graph_server: EmbeddedGraphServer, store: GraphStore) -> None:
    store.write_batch("UNWIND $rows AS row CREATE (:FtClause {id: row[0], text: row[1]})", [
        ["a", "国土空间规划编制审批"], ["b", "永久基本农田保护红线"], ["c", "城市总体规划实施"]])
    graph_server.admin().ensure_schema(fulltext_index_sql("FtClause", "text"))
    hits = store.search_text("FtClause[text]", "基本农田")
    assert [h["node"]["id"] for h in hits] == ["b"]
    assert {h["node"]["id"] for h in store.search_text("FtClause[text]", "规划")} == {"a", "c"}


def test_read_only_store_rejects_writes(graph_server: EmbeddedGraphServer,
                                        store: GraphStore) -> None:
    with GraphStore.from_server(graph_server, read_only=True) as reader:
        with pytest.raises(GraphReadOnlyError, match="write clause"):  # refused before sending
            reader.run("CREATE (:RoProbe {id: 1})")
        with pytest.raises(GraphReadOnlyError):
            reader.write("MATCH (n) RETURN n")
        # Words inside literals are not clauses.
        assert reader.run("RETURN 'CREATE 规划' AS s") == [{"s": "CREATE 规划"}]
    # ArcadeDB ignores Bolt's access mode, so the reader account is what the database enforces:
    # even with the client-side guard off, its writes are refused.
    info = graph_server.status()
    assert info is not None
    with GraphStore.connect(info.bolt_url, graph_server.reader_user,
                            graph_server.reader_password) as raw_reader:
        with pytest.raises(GraphReadOnlyError, match="not allowed"):
            raw_reader.write("CREATE (:RoProbe {id: 2})")
    assert store.run("MATCH (n:RoProbe) RETURN count(n) AS c") == [{"c": 0}]


@pytest.mark.parametrize("cypher", [
    "MATCH (n) DETACH DELETE n", "MATCH (n) SET n.x = 1", "merge (n:A {id: 1})",
    "MATCH (n) REMOVE n.x", "DROP INDEX i", "LOAD CSV FROM 'file:///etc/passwd' AS l RETURN l",
    "MATCH (n) CALL { WITH n CREATE (m) } RETURN n", "CALL db.createLabel('X')",
    "MATCH (n) FOREACH (x IN [1] | SET n.y = x)"])
def test_read_only_guard_flags_writes(cypher: str) -> None:
    with pytest.raises(GraphReadOnlyError):
        check_read_only(cypher)


@pytest.mark.parametrize("cypher", [
    "MATCH (n:Clause {id: $id}) RETURN n.set, n.`create` AS c // DELETE",
    "MATCH (n) WHERE n.text CONTAINS 'MERGE' RETURN {merge: 1} AS m, $delete AS d",
    "CALL db.index.fulltext.queryNodes('Clause[text]', '规划') YIELD node RETURN node",
    "MATCH p = shortestPath((a)-[:CITES*..5]->(b)) RETURN p"])
def test_read_only_guard_passes_reads(cypher: str) -> None:
    check_read_only(cypher)


def test_stop_ends_process_frees_port_and_restart_keeps_data(tmp_path: Path) -> None:
    server = EmbeddedGraphServer(tmp_path, heap_mb=512)
    info = server.ensure_running()
    password = server.password
    with GraphStore.from_server(server) as s:
        s.write("CREATE (:Persisted {name: '保留'})")

    assert server.stop() is True
    assert _server_pids(server) == []
    assert not port_open(info.bolt_port) and not port_open(info.http_port)
    assert not server.state_file.exists() and server.status() is None

    with server:  # the restart reuses the password and the data
        assert server.password == password
        with GraphStore.from_server(server) as s:
            assert s.run("MATCH (p:Persisted) RETURN p.name AS name") == [{"name": "保留"}]
    assert _server_pids(server) == []
