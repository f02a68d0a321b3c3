"""知识库: search clauses, browse a document's structure, see a clause's neighbourhood in the
graph as a picture."""

from __future__ import annotations

from html import escape

import gradio as gr

from app.api.routes.clauses import shown
from app.api.services import Services
from app.security.access import Principal
from app.ui.chat_tab import date_picker, parse_day
from app.ui.graph_picture import neighbourhood_svg
from app.ui.render import citation_html
from app.ui.session import audit
from corpus.errors import GuihuaError
from corpus.model import ClauseKind

_HEADINGS = {ClauseKind.PART, ClauseKind.SUBPART, ClauseKind.CHAPTER, ClauseKind.SECTION,
             ClauseKind.APPENDIX}
_ENTRIES = {ClauseKind.ARTICLE, ClauseKind.NUMBERED, ClauseKind.TABLE, ClauseKind.PASSAGE}
RESULT_COLUMNS = ["条文 id", "文件", "条", "状态", "有效期", "摘要"]


def build_knowledge_tab(services: Services, principal: gr.State) -> None:
    with gr.Tab("知识库", id="knowledge"):
        with gr.Row():
            query = gr.Textbox(label="检索条文", placeholder="例如：永久基本农田 占用 审批",
                               scale=4, elem_id="gh-search")
            as_of = date_picker("有效日期（默认今天）")
            go = gr.Button("检索", variant="primary", elem_id="gh-search-go")
        results = gr.Dataframe(headers=RESULT_COLUMNS, label="检索结果", wrap=True,
                               interactive=False, elem_id="gh-search-results")
        clause_id = gr.Dropdown([], label="查看条文与图谱邻域", allow_custom_value=True,
                                elem_id="gh-clause-pick")
        with gr.Row():
            clause_view = gr.HTML(elem_id="gh-clause")
            picture = gr.HTML(elem_id="gh-graph-picture")
        with gr.Accordion("浏览文件结构", open=False):
            document = gr.Dropdown([], label="文件", elem_id="gh-doc-pick")
            outline = gr.Markdown(elem_id="gh-outline")

        def search(text: str, day_text: str, who: Principal) -> tuple:
            if not (text or "").strip():
                raise gr.Error("请输入检索词")
            view = services.view(who)
            try:
                result = view.require_searcher().search(text.strip(), k=10,
                                                        as_of=parse_day(day_text))
            except GuihuaError as exc:
                raise gr.Error(str(exc)) from None
            audit(services, who, "search", text)
            rows = [[h.id, h.law, h.label, h.status, f"{h.valid_from or '?'} 至 {h.valid_to or '今'}",
                     shown(who, h.text)[:80]] for h in result.hits]
            ids = [h.id for h in result.hits]
            return rows, gr.update(choices=ids, value=ids[0] if ids else None)

        def show_clause(cid: str | None, who: Principal) -> tuple[str, str]:
            if not cid:
                return "", ""
            view = services.view(who)
            try:
                clause = view.store.clause(cid)
                record = view.store.document(clause.doc_id)
            except GuihuaError as exc:
                return f'<div class="gh-note">{escape(str(exc))}</div>', ""
            audit(services, who, "clause", cid)
            card = citation_html({"id": clause.id, "title": f"《{record.short_name}》{clause.label}",
                                  "law": record.title, "text": shown(who, clause.text),
                                  "valid_from": record.valid_from, "valid_to": record.valid_to},
                                 record.status)
            card = card.replace("<details ", "<details open ", 1)
            return card, _picture(services, who, cid)

        def documents(who: Principal) -> dict:
            records = services.view(who).store.documents()
            return gr.update(choices=[(f"{r.title}（{r.version}）", r.doc_id) for r in records])

        def browse(doc_id: str | None, who: Principal) -> str:
            if not doc_id:
                return ""
            try:
                clauses = list(services.view(who).store.clauses(doc_id))
            except GuihuaError as exc:
                return str(exc)
            lines = []
            for c in clauses:
                if c.kind in _HEADINGS:
                    lines.append(f"- **{c.label}**")
                elif c.kind in _ENTRIES:
                    lines.append(f"  - {c.label}：{shown(who, c.text)[:40]}")
            return "\n".join(lines[:400]) or "（无章节结构）"

        go.click(search, [query, as_of, principal], [results, clause_id])
        query.submit(search, [query, as_of, principal], [results, clause_id])
        clause_id.change(show_clause, [clause_id, principal], [clause_view, picture])
        document.focus(documents, principal, document)
        document.change(browse, [document, principal], outline)


def _picture(services: Services, who: Principal, clause_id: str) -> str:
    from kg.queries import neighbours

    if services.graph is None:
        return '<div class="gh-note">知识图谱尚未建立。</div>'
    rows = neighbours(services.graph, "Clause", "id", clause_id, limit=16)
    rows, _ = services.graph_scope(who).rows(rows)
    return neighbourhood_svg(clause_id, rows)
