"""`guihua models list|prepare` and `guihua train data|run|merge`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    out,
    progress_bar,
    settings,
    user_errors,
)

models_app = typer.Typer(help="基础模型与微调适配器 / base models and fine-tuned adapters",
                         no_args_is_help=True)
train_app = typer.Typer(help="训练数据与 LoRA 微调 / training data and LoRA fine-tuning",
                        no_args_is_help=True)


@models_app.command("list")
def list_models(as_json: JsonFlag = False) -> None:
    """内置模型、本地转换的模型与已训练的适配器 / packaged models, converted models, adapters."""
    from agents.llm.model_store import ModelStore

    rows = ModelStore(settings().models_dir).entries()
    if as_json:
        emit([row.to_dict() for row in rows])
        return
    table = Table(title="models")
    for column in ("name", "kind", "state", "title", "path / how to install"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.name, row.kind, row.state, row.title, row.path or row.detail)
    out.print(table)


@models_app.command()
def prepare(model: Annotated[str, typer.Argument(help="内置模型名、HF 目录或 .gguf 文件")] =
            "qwen2.5-coder-0.5b", as_json: JsonFlag = False) -> None:
    """拼合、校验并转换基础模型（只需一次）/ assemble, verify and convert a base model once."""
    from agents.llm.model_store import ModelStore

    with user_errors(as_json):
        with progress_bar(f"准备模型 {model}", not as_json) as progress:
            folder = ModelStore(settings().models_dir).prepare(
                model, lambda done, total: progress(done, total, "bytes"))
    if as_json:
        emit({"model": model, "path": str(folder)})
    else:
        out.print(f"{model}: {folder}")


@train_app.command("data")
def make_data(
    grounded: Annotated[int, typer.Option(help="有依据的问答条数")] = 200,
    abstain: Annotated[int, typer.Option(help="应拒答的问答条数")] = 45,
    unknown_document: Annotated[int, typer.Option(help="问语料中没有的文件")] = 20,
    temporal: Annotated[int, typer.Option(help="按日期取版本")] = 40,
    tools: Annotated[int, typer.Option(help="工具调用轨迹")] = 60,
    seed: int = 7,
    eval_share: Annotated[float, typer.Option(help="留作评测的条文比例")] = 0.15,
    exclude_qa: Annotated[list[Path] | None, typer.Option(
        "--exclude-qa", help="金标问答文件：其中的条文不进入训练集")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out")] = None,
    as_json: JsonFlag = False,
) -> None:
    """从语料、检索与规则包生成微调数据 / generate fine-tuning data from corpus, index, rules."""
    from app.indexes import open_searcher
    from training.sft_data import (
        DataConfig,
        SftBuilder,
        gold_article_keys,
        write_examples,
    )

    config = settings()
    folder = out_dir or config.sft_dir
    data = DataConfig(seed=seed, grounded=grounded, abstain=abstain,
                      unknown_document=unknown_document, temporal=temporal, tools=tools,
                      eval_share=eval_share)
    with user_errors(as_json):
        held_out = gold_article_keys(exclude_qa or [])
        with clause_store(config) as store, open_searcher(config, store, use_graph=False) as search:
            with progress_bar("生成训练数据", not as_json) as progress:
                builder = SftBuilder(store, search, data, held_out)
                report = write_examples(builder.build(lambda d, t: progress(d, t, "examples")),
                                        folder, held_out)
    if as_json:
        emit(report.to_dict())
    else:
        out.print(f"train {report.train} · eval {report.eval} → {folder}")
        for split, kinds in report.by_kind.items():
            out.print(f"  {split}: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


@train_app.command("run")
def run(
    config_file: Annotated[Path | None, typer.Option("--config", help="YAML 训练配置")] = None,
    base: Annotated[str | None, typer.Option(help="基础模型（覆盖配置）")] = None,
    name: Annotated[str | None, typer.Option(help="适配器名称（覆盖配置）")] = None,
    max_examples: Annotated[int | None, typer.Option(help="只用前 N 条训练样本")] = None,
    max_steps: Annotated[int | None, typer.Option(help="最多步数")] = None,
    resume: Annotated[bool, typer.Option("--resume/--restart", help="从上次检查点继续")] = True,
    as_json: JsonFlag = False,
) -> None:
    """LoRA 微调，输出适配器与模型卡 / LoRA fine-tuning: writes the adapter and its model card."""
    from agents.llm.model_store import ModelStore
    from training.lora import TrainConfig, train_lora
    from training.model_card import write_model_card

    config = settings()
    with user_errors(as_json):
        train = TrainConfig.from_file(config_file) if config_file else TrainConfig()
        overrides = {k: v for k, v in {"base_model": base, "output_name": name,
                                       "max_examples": max_examples,
                                       "max_steps": max_steps}.items() if v is not None}
        train = train.model_copy(update=overrides)
        store = ModelStore(config.models_dir)
        with progress_bar("准备基础模型", not as_json) as progress:
            base_dir = store.prepare(train.base_model, lambda d, t: progress(d, t, "bytes"))
        data_dir = train.data_dir or config.sft_dir
        target = store.adapter_dir(train.output_name)
        with progress_bar("LoRA 微调", not as_json) as progress:
            report = train_lora(train, base_dir, data_dir, target,
                                lambda d, t: progress(d, t, "steps"), resume)
        write_model_card(target, train, report, data_dir)
    if as_json:
        emit(report.to_dict())
    else:
        out.print(f"adapter → {report.adapter_dir}: {report.examples} examples, {report.steps} "
                  f"steps in {report.seconds:.0f} s, final loss {report.final_loss}")
        out.print(f"使用 / use it: GUIHUA_LLM_BACKEND=transformers "
                  f"GUIHUA_LLM_ADAPTER={train.output_name}")


@train_app.command("merge")
def merge(name: Annotated[str, typer.Argument(help="适配器名称")],
          as_json: JsonFlag = False) -> None:
    """把适配器合并进基础模型，得到独立的 HF 目录 / merge an adapter into its base model."""
    from agents.llm.adapters import is_adapter_folder
    from agents.llm.factory import adapter_base
    from agents.llm.model_store import ModelStore, ModelStoreError
    from training.lora import merge_adapter

    config = settings()
    store = ModelStore(config.models_dir)
    with user_errors(as_json):
        adapter = store.adapter_dir(name)
        if not is_adapter_folder(adapter):
            raise ModelStoreError(f"没有适配器 {name} / no adapter named {name} in {store.adapters_dir}")
        base = adapter_base(adapter) or store.prepare(config.llm_model)
        merged = merge_adapter(base, adapter, config.models_dir / f"{name}-merged")
    if as_json:
        emit({"adapter": name, "merged": str(merged)})
    else:
        out.print(f"merged → {merged}")



@models_app.command("vllm-command")
def vllm_command(
    adapter: Annotated[str | None, typer.Option(help="适配器名称或目录（默认 GUIHUA_LLM_ADAPTER）")]
    = None,
    port: int = 8000,
    host: str = "0.0.0.0",
    as_json: JsonFlag = False,
) -> None:
    """打印在 GPU 服务器上用 vLLM 提供服务的命令及应用配置 / the vLLM serve command and app settings."""
    from agents.llm.adapters import read_adapter
    from agents.llm.factory import adapter_base, adapter_path
    from agents.llm.model_store import ModelStore
    from training.vllm_recipe import VllmRecipe

    config = settings()
    with user_errors(as_json):
        store = ModelStore(config.models_dir)
        folder = adapter_path(store, adapter or config.llm_adapter)
        base = adapter_base(folder) or store.prepare(config.llm_model)
        recipe = VllmRecipe(base.resolve(),
                            folder.resolve() if folder else None, host, port,
                            max_lora_rank=read_adapter(folder).rank if folder else 16)
    if as_json:
        emit({"command": recipe.command(), "settings": recipe.client_settings()})
        return
    out.print("# on the GPU server (separate environment): pip install 'guihua[vllm]'", highlight=False)
    out.print(recipe.shell(), highlight=False)
    out.print("# then, where guihua runs:", highlight=False)
    for key, value in recipe.client_settings().items():
        out.print(f"export {key}={value}", highlight=False)


@models_app.command("serve")
def serve_model(
    host: str = "127.0.0.1",
    port: int = 8000,
    as_json: JsonFlag = False,
) -> None:
    """用 OpenAI 兼容接口提供当前配置的模型（GUIHUA_LLM_*）/ serve the configured model over an
    OpenAI-compatible API (the same API vLLM offers)."""
    import uvicorn

    from agents.llm.factory import backend_from_settings
    from app.openai_server import create_openai_app

    config = settings()
    with user_errors(as_json):
        backend = backend_from_settings(config)
    name = config.llm_served_model
    if not as_json:
        out.print(f"serving {backend.name} as {name!r} on http://{host}:{port}/v1")
    uvicorn.run(create_openai_app(backend, name), host=host, port=port, log_level="warning")
