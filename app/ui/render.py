"""HTML for answers, citations and findings: what the UI shows, built from the API's data."""

from __future__ import annotations

from html import escape

from agents.compliance.model import SEVERITY_LABELS
from agents.qa.agent import QaAnswer

SEVERITY_COLOURS = {"error": "#d9363e", "warning": "#e8900c", "review": "#2f6fde",
                    "info": "#7a7a7a"}


def citation_html(citation: dict, status: str | None = None) -> str:
    """A citation that opens (a click) to its verbatim clause, document, dates and status."""
    period = f"{citation.get('valid_from') or '?'} 至 {citation.get('valid_to') or '今'}"
    status_text = f" · {escape(status)}" if status else ""
    text = escape(citation["text"]).replace("\n", "<br>")
    return (f'<details class="gh-citation" data-clause="{escape(citation["id"])}">'
            f'<summary>[{escape(citation["id"])}] {escape(citation.get("title") or "")}</summary>'
            f'<div class="gh-clause"><div class="gh-meta">《{escape(citation.get("law") or "")}》'
            f' · 有效期 {escape(period)}{status_text}</div><div>{text}</div></div></details>')


def answer_html(answer: QaAnswer) -> str:
    body = escape(answer.answer).replace("\n", "<br>")
    parts = [f'<div class="gh-answer">{body}</div>',
             f'<div class="gh-meta">依据 {answer.as_of.isoformat()} 有效的条文</div>']
    if answer.citations:
        parts.append('<div class="gh-sources"><b>依据（点击查看原文）</b>')
        parts += [citation_html(c.to_dict(), "现行有效") for c in answer.citations]
        parts.append("</div>")
    if answer.abstained and answer.closest:
        parts.append('<div class="gh-sources"><b>最接近的条文（仅供参考）</b>')
        parts += [citation_html({"id": h.id, "title": f"《{h.law}》{h.label}", "law": h.law,
                                 "text": h.text, "valid_from": h.valid_from,
                                 "valid_to": h.valid_to}, h.status) for h in answer.closest]
        parts.append("</div>")
    removed = len(answer.dropped_claims) + len(answer.rejected)
    if removed:
        parts.append(f'<div class="gh-note">核验删去 {removed} 处无依据的表述或引用</div>')
    return "".join(parts)


FINDING_COLUMNS = ["严重程度", "检查", "对象", "说明", "数值", "限值", "依据", "位置"]


def finding_rows(findings: list[dict]) -> list[list[str]]:
    rows = []
    for f in findings:
        citation = f.get("citation") or {}
        evidence = f.get("evidence") or {}
        where = " ".join(str(part) for part in (
            evidence.get("file"), f"第{evidence['page']}页" if evidence.get("page") else None,
            evidence.get("table"), f"第{evidence['row']}行" if evidence.get("row") else None)
            if part)
        source = f"《{citation.get('law')}》{citation.get('article') or ''}" \
            if citation.get("law") else ""
        rows.append([SEVERITY_LABELS.get(f["severity"], f["severity"]), f["check"], f["subject"],
                     f["message"], "" if f.get("value") is None else str(f["value"]),
                     f.get("limit") or "", source, where])
    return rows


def summary_html(review: dict) -> str:
    summary = review["summary"]
    counts = " ".join(
        f'<span style="color:{SEVERITY_COLOURS[k]}">{escape(label)} {summary["by_severity"][k]}</span>'
        for k, label in SEVERITY_LABELS.items())
    name = review["plan"].get("name") or review["plan"].get("file") or "规划"
    return (f'<div class="gh-summary"><b>{escape(str(name))}</b>：{escape(summary["verdict"])}'
            f'（{summary["parcels"]} 个地块） {counts}</div>')
