"""Knowledge-graph commands: guihua kg sync | stats | query | show | path | stop."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    fail,
    graph_store,
    metrics_table,
    out,
    progress_bar,
    settings,
    sync_graph,
    user_errors,
)

kg_app = typer.Typer(help="知识图谱 / knowledge graph", no_args_is_help=True)


@kg_app.command("sync")
def kg_sync(as_json: JsonFlag = False) -> None:
    """按文档库增量更新知识图谱 / bring the graph up to date with the document store."""
    config = settings()
    with user_errors(as_json):
        with clause_store(config) as store, progress_bar("更新知识图谱", not as_json) as progress:
            report = sync_graph(config, store, progress)
    if as_json:
        emit(report)
    else:
        out.print(f"载入 {report['documents_loaded']}，移除 {report['documents_removed']}，"
                  f"条文节点 {report['clauses']}，引用 {report['citations']}（未解析 "
                  f"{report['unresolved_citations']}）", highlight=False)


@kg_app.command("stats")
def kg_stats(as_json: JsonFlag = False) -> None:
    """图谱统计 / node and relationship counts."""
    from kg.queries import stats

    with user_errors(as_json), graph_store(settings(), read_only=True) as graph:
        result = stats(graph)
    if as_json:
        emit(result)
        return
    out.print(metrics_table("guihua kg stats", {**result["nodes"], **result["relationships"]}))


@kg_app.command("query")
def kg_query(cypher: Annotated[str, typer.Argument(help="Cypher 语句")],
             write: Annotated[bool, typer.Option("--write", help="允许写入 / allow writes")] = False,
             limit: Annotated[int, typer.Option(help="最多返回行数 / max rows")] = 200,
             as_json: JsonFlag = False) -> None:
    """执行 Cypher 查询（默认只读）/ run Cypher (read-only unless --write)."""
    with user_errors(as_json):
        with graph_store(settings(), read_only=not write) as graph:
            if write:
                rows, truncated = graph.write(cypher), False
            else:
                result = graph.query(cypher, max_rows=limit)
                rows, truncated = result.rows, result.truncated
    if as_json:
        emit({"rows": rows, "truncated": truncated})
        return
    for row in rows:
        out.print(json.dumps(row, ensure_ascii=False, default=str), highlight=False)
    out.print(f"{len(rows)} 行 / rows" + ("（已截断 / truncated）" if truncated else ""),
              highlight=False)


@kg_app.command("show")
def kg_show(entity: Annotated[str, typer.Argument(
                help="条文 id、用地代码、概念、文档名等 / clause id, land-use code, concept, …")],
            as_json: JsonFlag = False) -> None:
    """显示一个实体及其关系 / one entity and its relationships."""
    from kg.queries import find_node, neighbours

    with user_errors(as_json), graph_store(settings(), read_only=True) as graph:
        found = find_node(graph, entity)
        if found is None:
            fail(f"图谱中没有「{entity}」/ not in the graph: {entity}", as_json)
            return
        links = neighbours(graph, found["label"], found["key"], entity)
    result = {**found, "relationships": links}
    if as_json:
        emit(result)
        return
    out.print(f"[{found['label']}] " + json.dumps(found["node"], ensure_ascii=False,
                                                   default=str)[:2000], highlight=False)
    for link in links:
        arrow = "→" if link["outgoing"] else "←"
        out.print(f"  {arrow} {link['relationship']} {link['labels']} {link['key']} "
                  f"{link['name'] or ''}", highlight=False)


@kg_app.command("path")
def kg_path(a: Annotated[str, typer.Argument(help="起点 / from")],
            b: Annotated[str, typer.Argument(help="终点 / to")],
            max_hops: Annotated[int, typer.Option(help="最大跳数")] = 6,
            as_json: JsonFlag = False) -> None:
    """两个实体之间的最短路径 / shortest path between two entities."""
    from kg.queries import find_node, path

    with user_errors(as_json), graph_store(settings(), read_only=True) as graph:
        start, end = find_node(graph, a), find_node(graph, b)
        missing = [k for k, v in ((a, start), (b, end)) if v is None]
        if missing:
            fail(f"图谱中没有 / not in the graph: {'、'.join(missing)}", as_json)
            return
        rows = path(graph, start, end, max_hops)
    if as_json:
        emit(rows)
        return
    if not rows:
        out.print(f"{max_hops} 跳内无路径 / no path within {max_hops} hops", highlight=False)
    for row in rows:
        steps = [row["nodes"][0]]
        for rel, node in zip(row["relationships"], row["nodes"][1:]):
            steps += [f"-[{rel}]-", node]
        out.print(" ".join(str(s) for s in steps), highlight=False)


@kg_app.command("stop")
def kg_stop(as_json: JsonFlag = False) -> None:
    """停止内置图数据库 / stop the embedded graph server."""
    from kg.connect import embedded_server

    stopped = embedded_server(settings().data_dir).stop()
    if as_json:
        emit({"stopped": stopped})
    else:
        out.print("已停止 / stopped" if stopped else "未在运行 / not running", highlight=False)


