"""The `guihua` command line. Every command takes --json and exits non-zero on error."""

from __future__ import annotations

import sys

from app.cli import (  # noqa: F401  (register ask, assess, search, review, serve)
    ask_commands,
    assess_commands,
    review_commands,
    search_commands,
    serve_commands,
)
from app.cli.common import err
from app.cli.corpus_commands import app
from app.cli.eval_commands import eval_app
from app.cli.kg_commands import kg_app
from app.cli.model_commands import models_app, train_app

app.add_typer(kg_app, name="kg")
app.add_typer(eval_app, name="eval")
app.add_typer(models_app, name="models")
app.add_typer(train_app, name="train")
app.add_typer(serve_commands.users_app, name="users")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("已中断 / interrupted")
        sys.exit(130)
