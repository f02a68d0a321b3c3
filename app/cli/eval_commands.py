"""Benchmarks: guihua eval ingest | graph (the same as `python -m eval …`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import JsonFlag, emit, fail, metrics_table, out

eval_app = typer.Typer(help="基准与评测 / benchmarks and evaluations", no_args_is_help=True)

# The shared corpus sits beside the repository (../shared/corpus), as on CI.
DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


@eval_app.command("ingest")
def eval_ingest(corpus: Annotated[Path, typer.Option(help="共享语料目录 / shared corpus folder")]
                = DEFAULT_CORPUS,
                results: Annotated[Path, typer.Option("--out", help="结果 JSON / results file")]
                = Path("eval/results/ingest.json"),
                as_json: JsonFlag = False) -> None:
    """导入基准：速度与结构准确率 / ingestion benchmark: speed and structure accuracy."""
    from eval.ingest_bench import run_ingest_bench

    if not corpus.is_dir():
        fail(f"找不到语料目录 / corpus folder not found: {corpus}", as_json)
    result = run_ingest_bench(corpus)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({"metrics": result.metrics, "findings": result.findings},
                              ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        emit(result.metrics)
        return
    out.print(metrics_table("guihua eval ingest", result.metrics))
    out.print(f"{len(result.findings)} findings → {results}", highlight=False)


@eval_app.command("graph")
def evalgraph_store(corpus: Annotated[Path, typer.Option(help="共享语料目录（另加其中的法规）")]
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
        emit(metrics)
        return
    out.print(metrics_table("guihua eval graph", metrics))


