"""What every guihua command shares: consoles, settings, stores, errors, progress, JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from app.graph import open_configured_graph
from app.settings import Settings
from corpus.errors import GuihuaError
from corpus.readers.base import Progress as ProgressFn
from corpus.store import ClauseStore

if TYPE_CHECKING:
    from kg.graph import GraphStore

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="机器可读输出 / machine-readable output")]


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        fail(f"配置有误 / invalid settings (GUIHUA_* or guihua.toml): {problems}", False)
        raise  # unreachable: fail exits


def clause_store(config: Settings) -> ClauseStore:
    return ClauseStore(config.store_path)


def graph_store(config: Settings, read_only: bool = False) -> GraphStore:
    return open_configured_graph(config, read_only)


def sync_graph(config: Settings, store: ClauseStore, progress: ProgressFn) -> dict:
    from kg.builder import sync_graph as sync

    with graph_store(config) as graph:
        return sync(graph, store, progress, config.rule_dirs)


def fail(message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False))
    else:
        err.print(f"[red]错误 / error:[/red] {message}", highlight=False)
    raise typer.Exit(1)


@contextmanager
def user_errors(as_json: bool) -> Iterator[None]:
    """Our typed errors become a readable message and exit status 1, never a traceback."""
    try:
        yield
    except GuihuaError as exc:
        fail(str(exc), as_json)


def emit(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def metrics_table(title: str, metrics: dict) -> Table:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in metrics.items():
        table.add_row(key, str(value))
    return table


@contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[ProgressFn]:
    """A progress bar on stderr for interactive use; silent under --json or in pipes."""
    if not enabled or not err.is_terminal:
        yield lambda done, total, what: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[what]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=err,
                  transient=True) as bar:
        task = bar.add_task(label, total=None, what="")

        def update(done: int, total: int, what: str) -> None:
            bar.update(task, completed=done, total=total, what=what)

        yield update


def parse_date(text: str | None, as_json: bool) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD: {text!r}", as_json)
    return None
