"""Corpus commands: setup, ingest, remove, docs, article."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    err,
    out,
    parse_date,
    progress_bar,
    settings,
    sync_graph,
    user_errors,
)
from app.indexes import sync_index
from corpus.access import PUBLIC, DocumentAccess
from corpus.ingest import (
    IngestReport,
    ingest_embedded_laws,
    ingest_paths,
    remove_document,
)
from corpus.lookup import lookup_article
from corpus.model import Level
from retrieval.indexer import IndexReport

# The root application: corpus commands sit at the top level; kg and eval are sub-apps.
app = typer.Typer(help="guihua 国土空间规划智能助手 / territorial spatial planning assistant",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)


def print_index_report(report: IndexReport) -> None:
    kind = f"向量 {report.vector_index}（{report.model}）" if report.dense else "仅关键词 / keyword only"
    out.print(f"检索索引 / index: {report.units} 条，新增 {report.units_added}，更新 "
              f"{report.units_updated}，删除 {report.units_removed}，新算向量 "
              f"{report.vectors_embedded}；{kind}", highlight=False)


def print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        emit(report.to_dict())
        return
    for outcome in report.outcomes:
        if outcome.failed:
            err.print(f"[red]✗[/red] {outcome.message}", highlight=False)
    counts = "，".join(f"{k} {v}" for k, v in report.counts().items()) or "无文件 / no files"
    out.print(f"导入结果 / ingest: {counts}", highlight=False)


@app.command()
def setup(as_json: JsonFlag = False,
          graph: Annotated[bool, typer.Option(help="同时构建知识图谱 / also build the graph")] = True,
          dense: Annotated[bool, typer.Option(
              "--dense/--no-dense", help="构建向量索引（首次约 30 分钟，之后增量）/ build dense "
                                         "vectors (first time ~30 min on 2 cores, then incremental)"
          )] = True) -> None:
    """准备内置法律库、知识图谱与检索索引（可重复执行）/ prepare the embedded corpus, graph and
    search indexes (idempotent)."""
    config = settings()
    graph_report: dict = {}
    with user_errors(as_json), clause_store(config) as store:
        with progress_bar("导入内置法律库", not as_json) as progress:
            report = ingest_embedded_laws(store, progress)
        if graph:
            with progress_bar("构建知识图谱", not as_json) as progress:
                graph_report = sync_graph(config, store, progress)
        with progress_bar("构建检索索引", not as_json) as progress:
            index_report = sync_index(config, store, progress, dense)
        counts = store.counts()
    if as_json:
        emit({"data_dir": str(config.data_dir), "store": counts, "graph": graph_report,
              "index": index_report.to_dict(), **report.to_dict()})
    else:
        print_report(report, as_json)
        out.print(f"数据目录 / data: {config.data_dir}  文件 {counts['documents']} 部，"
                  f"条文节点 {counts['clauses']} 条", highlight=False)
        if graph_report:
            out.print(f"知识图谱 / graph: 载入 {graph_report['documents_loaded']} 个文档，"
                      f"{graph_report['clauses']} 个条文节点，{graph_report['citations']} 条引用",
                      highlight=False)
        print_index_report(index_report)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="文件或文件夹 / files or folders")],
           level: Annotated[Level | None, typer.Option(help="效力层级 / document level")] = None,
           genre: Annotated[str | None, typer.Option(
               help="statute | standard | case | table | generic（默认自动识别）")] = None,
           classification: Annotated[str, typer.Option(
               help="密级：公开 / 内部 / 敏感（决定哪些用户可见）")] = PUBLIC,
           region: Annotated[str | None, typer.Option(
               help="所属行政区（名称或代码），用于按地区授权 / the document's region")] = None,
           graph: Annotated[bool, typer.Option(help="同步知识图谱 / update the graph")] = True,
           as_json: JsonFlag = False) -> None:
    """导入文件（重复导入相同文件不做改动，修改后的文件替换旧版本）/ ingest files or folders."""
    config = settings()
    with user_errors(as_json), clause_store(config) as store:
        access = DocumentAccess(classification, region)
        with progress_bar("导入", not as_json) as progress:
            report = ingest_paths(store, paths, level=level, genre=genre,
                                  limits=config.limits, progress=progress, access=access)
        if any(not o.failed for o in report.outcomes):
            if graph:
                with progress_bar("更新知识图谱", not as_json) as progress:
                    sync_graph(config, store, progress)
            with progress_bar("更新检索索引", not as_json) as progress:
                sync_index(config, store, progress)
    print_report(report, as_json)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def remove(document: Annotated[str, typer.Argument(help="文档 id（名称@版本）或源文件路径")],
           graph: Annotated[bool, typer.Option(help="同步知识图谱 / update the graph")] = True,
           as_json: JsonFlag = False) -> None:
    """删除一个文档 / remove one document (by id or source path)."""
    config = settings()
    with user_errors(as_json), clause_store(config) as store:
        outcomes = remove_document(store, document)
        if graph:
            sync_graph(config, store, lambda *a: None)
        sync_index(config, store)
    if as_json:
        emit([o.to_dict() for o in outcomes])
    else:
        for outcome in outcomes:
            out.print(f"{outcome.action}: {outcome.doc_id}", highlight=False)


@app.command()
def docs(name: Annotated[str | None, typer.Argument(help="只列出名称含此字样的文档")] = None,
         as_json: JsonFlag = False) -> None:
    """列出已导入的文档及其版本 / list ingested documents and their versions."""
    with clause_store(settings()) as store:
        records = [r for r in store.documents() if not name or name in r.title]
    today = date.today()
    rows = [{"doc_id": r.doc_id, "title": r.title, "level": r.level, "status": r.status_on(today),
             "valid_from": r.valid_from, "valid_to": r.valid_to, "clauses": r.n_clauses,
             "source": r.source} for r in records]
    if as_json:
        emit(rows)
        return
    for row in rows:
        out.print(f"{row['doc_id']}\t{row['level']}\t{row['status']}\t{row['clauses']} 条文节点\t"
                  f"{row['source']}", highlight=False)
    out.print(f"共 {len(rows)} 个文档 / documents", highlight=False)


@app.command()
def article(law: Annotated[str, typer.Argument(help="法规名称，如 土地管理法")],
            number: Annotated[str, typer.Argument(help="条号，如 35、第三十五条、10之1、4.0.1")],
            as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD")] = None,
            as_json: JsonFlag = False) -> None:
    """按名称和条号查询条文原文 / one clause, verbatim, in force on a date."""
    day = parse_date(as_of, as_json)
    with user_errors(as_json), clause_store(settings()) as store:
        result = lookup_article(store, law, number, day)
    if as_json:
        emit(result)
        return
    valid = f"{result['valid_from'] or '?'} 起" + (f"，至 {result['valid_to']}" if result["valid_to"] else "")
    out.print(f"《{result['title']}》{result['label']}  [{result['level']} · {result['status']} · {valid}]",
              highlight=False)
    if result["path"]:
        out.print(" / ".join(result["path"]), style="dim", highlight=False)
    out.print(result["text"], highlight=False)
    out.print(f"id: {result['id']}   来源 / source: {result['source']}", style="dim",
              highlight=False)




@app.command()
def verify(text: Annotated[str, typer.Argument(help="含引用的文本，如 依据《土地管理法》第三十五条…")],
           as_of: Annotated[str | None, typer.Option("--as-of", help="YYYY-MM-DD（默认今天）")]
           = None,
           law: Annotated[str | None, typer.Option(help="“本法”所指的法规 / the law 本法 means")]
           = None,
           as_json: JsonFlag = False) -> None:
    """核验文本中的法条引用：是否存在、原文、是否有效 / verify the citations in a text."""
    from retrieval.verify import verify_citations

    day = parse_date(as_of, as_json)
    with user_errors(as_json), clause_store(settings()) as store:
        checks = verify_citations(store, text, on=day, default_law=law)
    if as_json:
        emit([c.to_dict() for c in checks])
    else:
        if not checks:
            out.print("未发现法条引用 / no citations found", highlight=False)
        for check in checks:
            mark = "[green]✓[/green]" if check.exists and check.in_force else "[red]✗[/red]"
            out.print(f"{mark} {check.cited} → {check.clause_id or '—'} "
                      f"[{check.status or '不存在'}]", highlight=False)
            if check.problem:
                out.print(f"    {check.problem}", highlight=False)
            elif check.text:
                out.print(f"    {check.text.splitlines()[0]}", style="dim", highlight=False)
    if any(c.problem for c in checks):
        raise typer.Exit(1)
