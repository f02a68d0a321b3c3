"""Search commands on the root app: index, search."""

from __future__ import annotations

from typing import Annotated

import typer

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    out,
    parse_date,
    progress_bar,
    settings,
    user_errors,
)
from app.cli.corpus_commands import app, print_index_report
from app.indexes import open_searcher, sync_index

DenseFlag = Annotated[bool | None, typer.Option(
    "--dense/--no-dense", help="向量索引（默认保持现状；首次构建约每条 0.1 秒）/ dense vectors "
                               "(default: keep the index's current kind)")]


@app.command()
def index(dense: DenseFlag = None, as_json: JsonFlag = False) -> None:
    """更新检索索引（BM25 与向量），只处理有变化的文档 / bring the search indexes up to date."""
    config = settings()
    with user_errors(as_json), clause_store(config) as store:
        with progress_bar("更新检索索引", not as_json) as progress:
            report = sync_index(config, store, progress, dense)
    if as_json:
        emit(report.to_dict())
    else:
        print_index_report(report)


@app.command()
def search(query: Annotated[str, typer.Argument(help="问题或关键词 / a question or keywords")],
           k: Annotated[int, typer.Option("-k", min=1, max=100, help="返回条数")] = 10,
           as_of: Annotated[str | None, typer.Option(
               "--as-of", help="YYYY-MM-DD：只返回该日有效的条文（默认今天）")] = None,
           mode: Annotated[str, typer.Option(help="hybrid | bm25 | dense")] = "hybrid",
           level: Annotated[list[str] | None, typer.Option(
               help="效力层级，可重复：法律、行政法规、地方性法规 …")] = None,
           region: Annotated[str | None, typer.Option(help="地区，如 浙江省（全国性文件总是包括）")]
           = None,
           all_versions: Annotated[bool, typer.Option(
               "--all-versions", help="包括已废止、历史和尚未生效的版本")] = False,
           graph: Annotated[bool, typer.Option(help="用知识图谱扩展（定义条款、被引条文）")] = True,
           as_json: JsonFlag = False) -> None:
    """检索条文：关键词 + 语义 + 图谱，按日期过滤 / hybrid clause search, filtered by date."""
    if mode not in ("hybrid", "bm25", "dense"):
        from app.cli.common import fail

        fail(f"mode 应为 hybrid、bm25 或 dense / mode must be hybrid, bm25 or dense: {mode}",
             as_json)
    day = parse_date(as_of, as_json)
    config = settings()
    with user_errors(as_json):
        with clause_store(config) as store:
            with open_searcher(config, store, use_graph=graph) as searcher:
                result = searcher.search(query, k, day, mode, frozenset(level or ()), region,
                                         all_versions)
    if as_json:
        emit(result.to_dict())
        return
    for note in result.notes:
        out.print(note, style="yellow", highlight=False)
    for rank, hit in enumerate(result.hits, 1):
        out.print(f"{rank}. 《{hit.law}》{hit.label}  [{hit.level} · {hit.status}]  "
                  f"{hit.score:.3f}  ({'+'.join(hit.via)})", highlight=False)
        preview = hit.text.replace("\n", " ")
        out.print(f"   {preview[:160]}{'…' if len(preview) > 160 else ''}", highlight=False)
        out.print(f"   id: {hit.id}", style="dim", highlight=False)
    if not result.hits:
        out.print("没有找到相关条文 / no matching clauses", highlight=False)
    for item in result.excluded[:3]:  # the rest are in --json
        out.print(f"已排除 / excluded: 《{item['title']}》（{item['reason']}，{result.as_of}）"
                  f"{item['candidates']} 条候选", style="dim", highlight=False)
    if len(result.excluded) > 3:
        out.print(f"另有 {len(result.excluded) - 3} 个文件因不在 {result.as_of} 有效而排除 / "
                  f"{len(result.excluded) - 3} more documents not in force excluded (--json "
                  "lists them)", style="dim", highlight=False)
