"""The HTTP API (FastAPI): the same functions as the CLI, for other systems and for the UI."""
