"""The `guihua` command line. Every command takes --json and exits non-zero on error."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.settings import Settings
from corpus.errors import GuihuaError
from corpus.ingest import IngestReport, ingest_embedded_laws, ingest_paths, remove_document
from corpus.lookup import lookup_article
from corpus.model import Level
from corpus.readers.base import Progress as ProgressFn
from corpus.store import ClauseStore

if TYPE_CHECKING:
    from kg.graph import GraphStore

app = typer.Typer(help="guihua 国土空间规划智能助手 / territorial spatial planning assistant",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
eval_app = typer.Typer(help="基准与评测 / benchmarks and evaluations", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
kg_app = typer.Typer(help="知识图谱 / knowledge graph", no_args_is_help=True)
app.add_typer(kg_app, name="kg")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="机器可读输出 / machine-readable output")]


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        _fail(f"配置有误 / invalid settings (GUIHUA_* or guihua.toml): {problems}", False)
        raise  # unreachable: _fail exits


def _store(settings: Settings) -> ClauseStore:
    return ClauseStore(settings.store_path)


def _graph(settings: Settings, read_only: bool = False) -> "GraphStore":
    from kg.connect import open_graph

    password = settings.graph_password.get_secret_value() if settings.graph_password else None
    return open_graph(settings.data_dir, settings.graph_url, settings.graph_user, password,
                      settings.graph_database, read_only=read_only,
                      heap_mb=settings.graph_heap_mb,
                      start_timeout_s=settings.graph_start_timeout_s)


def _sync_graph(settings: Settings, store: ClauseStore, progress: ProgressFn) -> dict:
    from kg.builder import sync_graph

    with _graph(settings) as graph:
        return sync_graph(graph, store, progress, settings.rule_dirs)


def _fail(message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        err.print(f"[red]错误 / error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


def _emit(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def _progress(label: str, enabled: bool) -> Iterator[ProgressFn]:
    """A progress bar on stderr for interactive use; silent under --json or in pipes."""
    if not enabled or not err.is_terminal:
        yield lambda done, total, what: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[what]}"), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=None, what="")

        def update(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, what=what)

        yield update


def _parse_date(text: Optional[str], as_json: bool) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD: {text!r}", as_json)
    return None


def _print_report(report: IngestReport, as_json: bool) -> None:
    if as_json:
        _emit(report.to_dict())
        return
    for outcome in report.outcomes:
        if outcome.failed:
            err.print(f"[red]✗[/red] {outcome.message}", highlight=False)
    counts = "，".join(f"{k} {v}" for k, v in report.counts().items()) or "无文件 / no files"
    out.print(f"导入结果 / ingest: {counts}", highlight=False)


@app.command()
def setup(as_json: JsonFlag = False,
          graph: Annotated[bool, typer.Option(help="同时构建知识图谱 / also build the graph")] = True
          ) -> None:
    """准备内置法律库与知识图谱（可重复执行）/ prepare the embedded corpus and graph (idempotent)."""
    settings = _settings()
    graph_report: dict = {}
    try:
        with _store(settings) as store:
            with _progress("导入内置法律库", not as_json) as progress:
                report = ingest_embedded_laws(store, progress)
            if graph:
                with _progress("构建知识图谱", not as_json) as progress:
                    graph_report = _sync_graph(settings, store, progress)
            counts = store.counts()
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit({"data_dir": str(settings.data_dir), "store": counts, "graph": graph_report,
               **report.to_dict()})
    else:
        _print_report(report, as_json)
        out.print(f"数据目录 / data: {settings.data_dir}  文件 {counts['documents']} 部，"
                  f"条文节点 {counts['clauses']} 条", highlight=False)
        if graph_report:
            out.print(f"知识图谱 / graph: 载入 {graph_report['documents_loaded']} 个文档，"
                      f"{graph_report['clauses']} 个条文节点，{graph_report['citations']} 条引用",
                      highlight=False)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def ingest(paths: Annotated[list[Path], typer.Argument(help="文件或文件夹 / files or folders")],
           level: Annotated[Optional[Level], typer.Option(help="效力层级 / document level")] = None,
           genre: Annotated[Optional[str], typer.Option(
               help="statute | standard | case | table | generic（默认自动识别）")] = None,
           graph: Annotated[bool, typer.Option(help="同步知识图谱 / update the graph")] = True,
           as_json: JsonFlag = False) -> None:
    """导入文件（重复导入相同文件不做改动，修改后的文件替换旧版本）/ ingest files or folders."""
    settings = _settings()
    try:
        with _store(settings) as store:
            with _progress("导入", not as_json) as progress:
                report = ingest_paths(store, paths, level=level, genre=genre,
                                      limits=settings.limits, progress=progress)
            if graph and any(not o.failed for o in report.outcomes):
                with _progress("更新知识图谱", not as_json) as progress:
                    _sync_graph(settings, store, progress)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    _print_report(report, as_json)
    if report.failures:
        raise typer.Exit(1)


@app.command()
def remove(document: Annotated[str, typer.Argument(help="文档 id（名称@版本）或源文件路径")],
           graph: Annotated[bool, typer.Option(help="同步知识图谱 / update the graph")] = True,
           as_json: JsonFlag = False) -> None:
    """删除一个文档 / remove one document (by id or source path)."""
    settings = _settings()
    try:
        with _store(settings) as store:
            outcomes = remove_document(store, document)
            if graph:
                _sync_graph(settings, store, lambda *a: None)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit([o.to_dict() for o in outcomes])
    else:
        for outcome in outcomes:
            out.print(f"{outcome.action}: {outcome.doc_id}", highlight=False)


@app.command()
def docs(name: Annotated[Optional[str], typer.Argument(help="只列出名称含此字样的文档")] = None,
         as_json: JsonFlag = False) -> None:
    """列出已导入的文档及其版本 / list ingested documents and their versions."""
    with _store(_settings()) as store:
        records = [r for r in store.documents() if not name or name in r.title]
    today = date.today()
    rows = [{"doc_id": r.doc_id, "title": r.title, "level": r.level, "status": r.status_on(today),
             "valid_from": r.valid_from, "valid_to": r.valid_to, "clauses": r.n_clauses,
             "source": r.source} for r in records]
    if as_json:
        _emit(rows)
        return
    for row in rows:
        out.print(f"{row['doc_id']}\t{row['level']}\t{row['status']}\t{row['clauses']} 条文节点\t"
                  f"{row['source']}", highlight=False)
    out.print(f"共 {len(rows)} 个文档 / documents", highlight=False)


@app.command()
def article(law: Annotated[str, typer.Argument(help="法规名称，如 土地管理法")],
            number: Annotated[str, typer.Argument(help="条号，如 35、第三十五条、10之1、4.0.1")],
            as_of: Annotated[Optional[str], typer.Option("--as-of", help="YYYY-MM-DD")] = None,
            as_json: JsonFlag = False) -> None:
    """按名称和条号查询条文原文 / one clause, verbatim, in force on a date."""
    day = _parse_date(as_of, as_json)
    try:
        with _store(_settings()) as store:
            result = lookup_article(store, law, number, day)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit(result)
        return
    valid = f"{result['valid_from'] or '?'} 起" + (f"，至 {result['valid_to']}" if result["valid_to"] else "")
    out.print(f"《{result['title']}》{result['label']}  [{result['level']} · {result['status']} · {valid}]",
              highlight=False)
    if result["path"]:
        out.print(" / ".join(result["path"]), style="dim", highlight=False)
    out.print(result["text"], highlight=False)
    out.print(f"id: {result['id']}   来源 / source: {result['source']}", style="dim",
              highlight=False)


@kg_app.command("sync")
def kg_sync(as_json: JsonFlag = False) -> None:
    """按文档库增量更新知识图谱 / bring the graph up to date with the document store."""
    settings = _settings()
    try:
        with _store(settings) as store, _progress("更新知识图谱", not as_json) as progress:
            report = _sync_graph(settings, store, progress)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit(report)
    else:
        out.print(f"载入 {report['documents_loaded']}，移除 {report['documents_removed']}，"
                  f"条文节点 {report['clauses']}，引用 {report['citations']}（未解析 "
                  f"{report['unresolved_citations']}）", highlight=False)


@kg_app.command("stats")
def kg_stats(as_json: JsonFlag = False) -> None:
    """图谱统计 / node and relationship counts."""
    from kg.queries import stats

    try:
        with _graph(_settings(), read_only=True) as graph:
            result = stats(graph)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit(result)
        return
    table = Table(title="guihua kg stats")
    table.add_column("kind")
    table.add_column("count", justify="right")
    for group in ("nodes", "relationships"):
        for name, count in result[group].items():
            table.add_row(name, str(count))
    out.print(table)


@kg_app.command("query")
def kg_query(cypher: Annotated[str, typer.Argument(help="Cypher 语句")],
             write: Annotated[bool, typer.Option("--write", help="允许写入 / allow writes")] = False,
             limit: Annotated[int, typer.Option(help="最多返回行数 / max rows")] = 200,
             as_json: JsonFlag = False) -> None:
    """执行 Cypher 查询（默认只读）/ run Cypher (read-only unless --write)."""
    try:
        with _graph(_settings(), read_only=not write) as graph:
            if write:
                rows, truncated = graph.write(cypher), False
            else:
                result = graph.query(cypher, max_rows=limit)
                rows, truncated = result.rows, result.truncated
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit({"rows": rows, "truncated": truncated})
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

    try:
        with _graph(_settings(), read_only=True) as graph:
            found = find_node(graph, entity)
            if found is None:
                _fail(f"图谱中没有「{entity}」/ not in the graph: {entity}", as_json)
                return
            links = neighbours(graph, found["label"], found["key"], entity)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    result = {**found, "relationships": links}
    if as_json:
        _emit(result)
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

    try:
        with _graph(_settings(), read_only=True) as graph:
            start, end = find_node(graph, a), find_node(graph, b)
            missing = [k for k, v in ((a, start), (b, end)) if v is None]
            if missing:
                _fail(f"图谱中没有 / not in the graph: {'、'.join(missing)}", as_json)
                return
            rows = path(graph, start, end, max_hops)
    except GuihuaError as exc:
        _fail(str(exc), as_json)
        return
    if as_json:
        _emit(rows)
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

    stopped = embedded_server(_settings().data_dir).stop()
    if as_json:
        _emit({"stopped": stopped})
    else:
        out.print("已停止 / stopped" if stopped else "未在运行 / not running", highlight=False)


DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@eval_app.command("ingest")
def eval_ingest(corpus: Annotated[Path, typer.Option(help="共享语料目录 / shared corpus folder")]
                = DEFAULT_CORPUS,
                results: Annotated[Path, typer.Option("--out", help="结果 JSON / results file")]
                = Path("eval/results/ingest.json"),
                as_json: JsonFlag = False) -> None:
    """导入基准：速度与结构准确率 / ingestion benchmark: speed and structure accuracy."""
    from eval.ingest_bench import run_ingest_bench

    if not corpus.is_dir():
        _fail(f"找不到语料目录 / corpus folder not found: {corpus}", as_json)
    result = run_ingest_bench(corpus)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"metrics": result.metrics, "findings": result.findings},
                              ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        _emit(result.metrics)
        return
    table = Table(title="guihua eval ingest")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.metrics.items():
        table.add_row(key, str(value))
    out.print(table)
    out.print(f"{len(result.findings)} findings → {results}", highlight=False)


@eval_app.command("graph")
def eval_graph(corpus: Annotated[Path, typer.Option(help="共享语料目录（另加其中的法规）")]
               = DEFAULT_CORPUS,
               results: Annotated[Path, typer.Option("--out", help="结果 JSON / results file")]
               = Path("eval/results/graph.json"),
               as_json: JsonFlag = False) -> None:
    """图谱基准：构建吞吐与典型查询延迟 / graph build throughput and query latency."""
    from eval.graph_bench import run_graph_bench

    metrics = run_graph_bench(corpus if corpus.is_dir() else None)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        _emit(metrics)
        return
    table = Table(title="guihua eval graph")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, str(value))
    out.print(table)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("已中断 / interrupted")
        sys.exit(130)
