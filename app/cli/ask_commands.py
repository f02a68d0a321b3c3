"""`guihua ask`: a grounded answer from the clauses in force, on the configured backend."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from app.cli.common import (
    JsonFlag,
    clause_store,
    emit,
    out,
    parse_date,
    settings,
    user_errors,
)
from app.cli.corpus_commands import app
from app.indexes import open_searcher


@app.command()
def ask(question: Annotated[str, typer.Argument(help="问题 / the question")],
        as_of: Annotated[str | None, typer.Option(
            "--as-of", help="YYYY-MM-DD：依据该日有效的条文作答（默认今天）")] = None,
        k: Annotated[int, typer.Option("-k", min=1, max=12, help="提供给模型的条文数")] = 4,
        as_json: JsonFlag = False) -> None:
    """依据现行条文回答问题并注明出处，依据不足时拒答 / a cited answer, or an abstention."""
    from agents.llm.factory import backend_from_settings
    from agents.qa.agent import QaAgent
    from agents.tools.toolbox import Toolbox
    from kg.domain.loader import land_use_by_code, load_rule_packs

    day = parse_date(as_of, as_json)
    config = settings()
    with user_errors(as_json):
        backend = backend_from_settings(config)
        rules = [rule for pack in load_rule_packs(config.rule_dirs) for rule in pack.rules]
        with clause_store(config) as store, open_searcher(config, store) as searcher:
            toolbox = Toolbox(store, searcher, rules, land_use_by_code(), day or date.today())
            answer = QaAgent(store, searcher, backend, k=k, toolbox=toolbox).ask(question, day)
    if as_json:
        emit(answer.to_dict())
        return
    out.print(answer.answer, highlight=False)
    if answer.citations:
        out.print("\n依据 / sources:", style="bold", highlight=False)
    for citation in answer.citations:
        period = f"{citation.valid_from or '?'} 至 {citation.valid_to or '今'}"
        out.print(f"[{citation.id}] {citation.title}（{period}）", style="cyan", highlight=False)
        out.print("  " + citation.text.replace("\n", "\n  "), highlight=False)
    if answer.abstained and answer.closest:
        out.print("\n最接近的条文 / closest clauses:", style="bold", highlight=False)
        for hit in answer.closest:
            preview = hit.text.replace("\n", " ")
            out.print(f"《{hit.law}》{hit.label}: {preview[:120]}{'…' if len(preview) > 120 else ''}",
                      highlight=False)
    for call in answer.tool_calls:
        out.print(f"工具 / tool: {call['name']}({call['arguments']})"
                  + (f" → {call['error']}" if call["error"] else ""), style="dim", highlight=False)
    dropped = len(answer.dropped_claims) + len(answer.rejected)
    if dropped:
        out.print(f"\n（核验删去 {len(answer.dropped_claims)} 处无依据的表述、{len(answer.rejected)} 个"
                  f"未通过核验的引用 / verification removed {dropped} unsupported items）",
                  style="dim", highlight=False)
