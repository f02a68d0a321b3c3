"""`python -m eval ingest [--corpus DIR] [--out FILE]`: the same as `guihua eval ingest`."""

from app.cli import eval_app

eval_app(prog_name="python -m eval")
