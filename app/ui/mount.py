"""Mount the Gradio UI at /ui on the API app: one server, one set of services."""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

UI_PATH = "/ui"


def mount_ui(api: FastAPI) -> FastAPI:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline: no telemetry calls
    import gradio as gr

    from app.ui.blocks import CSS, build_ui

    services = api.state.services
    # System fonts only: the default theme would ask Google Fonts for its typeface.
    theme = gr.themes.Default(font=["PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC",
                                    "sans-serif"],
                              font_mono=["monospace"])

    @api.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(UI_PATH)

    return gr.mount_gradio_app(
        api, build_ui(services), path=UI_PATH, theme=theme, css=CSS, ssr_mode=False,
        allowed_paths=[str((services.config.data_dir / "jobs").resolve())],
        max_file_size=services.config.upload_max_mb << 20, footer_links=[])
