"""A review report as Markdown, HTML, PDF or JSON. The HTML is one self-contained page (no
scripts, no external assets) so it opens offline and prints; the PDF is rendered from the same
HTML by PyMuPDF with its built-in CJK font, so no system fonts are needed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


from agents.compliance.model import SEVERITY_LABELS, Finding
from agents.reports.files import write_by_suffix
from agents.reports.html import report_template
from agents.reports.pdf import html_to_pdf
from agents.review.pipeline import ReviewReport

CHECK_LABELS = {"far": "容积率", "density": "建筑密度", "green_ratio": "绿地率", "height": "建筑限高",
                "land_use_code": "用地性质", "zone_conflict": "三区三线", "consistency": "一致性",
                "qualitative": "定性要求"}
FORMATS = (".html", ".md", ".json", ".pdf")

_TEMPLATE = report_template(
    """<p>审查结论：<b>{{ summary.verdict }}</b>　
{% for key, label in severities %}{{ label }} {{ summary.by_severity[key] }} 项　{% endfor %}</p>
<table>
{% for label, value in plan_rows %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}</table>
{% if summary.notes %}<h2>说明</h2><ul>{% for note in summary.notes %}<li>{{ note }}</li>{% endfor %}</ul>{% endif %}
<h2>审查意见（按严重程度排序）</h2>
{% if findings %}
<table><tr><th style="width:3%">#</th><th style="width:7%">等级</th><th style="width:8%">审查项</th>
<th style="width:7%">对象</th><th style="width:25%">问题</th><th style="width:25%">依据</th>
<th style="width:12%">出处</th><th style="width:13%">建议</th></tr>
{% for f in findings %}<tr>
<td>{{ loop.index }}</td><td class="{{ f.severity }}">{{ severity_label(f.severity) }}</td>
<td>{{ check_label(f.check) }}</td><td>{{ f.subject }}</td><td>{{ f.message }}</td>
<td>{% if f.citation %}{{ f.citation.law }} {{ f.citation.article }}<div class="quote">{{ f.citation.text }}</div>{% else %}{{ f.rule_id }}{% endif %}</td>
<td>{{ evidence(f) }}</td><td>{{ f.suggestion or "" }}</td></tr>
{% endfor %}</table>
{% else %}<p>未发现问题。</p>{% endif %}
<p class="info">由 guihua 规则审查生成；数值与空间判断均来自确定性规则，条文原文可在“依据”列核对。</p>""",
    style=""".error { color: #b00020; } .warning { color: #a65e00; } .review { color: #2a5db0; }
.info { color: #555; } .quote { color: #333; font-size: 9pt; }""")


def _evidence(finding: Finding) -> str:
    e = finding.evidence
    if e is None:
        return ""
    parts = [e.file]
    if e.page:
        parts.append(f"第{e.page}页")
    if e.table:
        parts.append(e.table)
    if e.row:
        parts.append(f"第{e.row}行")
    return " ".join(parts)


def _plan_rows(report: ReviewReport) -> list[tuple[str, str]]:
    plan = report.plan
    rows = [("规划名称", plan.get("name")), ("规划类型", plan.get("kind")),
            ("地区", plan.get("region")), ("规划期限", plan.get("period")),
            ("建筑气候区划", plan.get("climate_zone")), ("规划文件", plan.get("file")),
            ("识别的表格", "、".join(plan.get("tables_used") or []) or "无"),
            ("地块数", str(report.summary.get("parcels", 0))),
            ("地块几何", plan.get("parcels_file")), ("分区图层", "、".join(plan.get("zone_files") or [])),
            ("规划条件", plan.get("conditions_file"))]
    return [(label, value or "—") for label, value in rows]


def to_html(report: ReviewReport) -> str:
    return _TEMPLATE.render(
        title=f"{report.plan.get('name') or report.plan.get('file')} 审查报告",
        summary=report.summary, findings=report.findings, plan_rows=_plan_rows(report),
        severities=list(SEVERITY_LABELS.items()), severity_label=SEVERITY_LABELS.get,
        check_label=lambda c: CHECK_LABELS.get(c, c), evidence=_evidence)


def to_markdown(report: ReviewReport) -> str:
    name = report.plan.get("name") or report.plan.get("file")
    counts = "，".join(f"{label} {report.summary['by_severity'][key]} 项"
                      for key, label in SEVERITY_LABELS.items())
    lines = [f"# {name} 审查报告", "", f"审查结论：**{report.summary['verdict']}**（{counts}）", ""]
    lines += [f"- {label}：{value}" for label, value in _plan_rows(report)]
    if report.summary.get("notes"):
        lines += ["", "## 说明", ""] + [f"- {note}" for note in report.summary["notes"]]
    lines += ["", "## 审查意见", ""]
    if not report.findings:
        lines.append("未发现问题。")
    for n, f in enumerate(report.findings, 1):
        lines.append(f"{n}. **[{SEVERITY_LABELS[f.severity]}] {CHECK_LABELS.get(f.check, f.check)}"
                     f" · {f.subject}**：{f.message}")
        if f.citation:
            lines.append(f"   - 依据：{f.citation.law} {f.citation.article}：{f.citation.text}")
        if f.evidence:
            lines.append(f"   - 出处：{_evidence(f)}")
        if f.suggestion:
            lines.append(f"   - 建议：{f.suggestion}")
    return "\n".join(lines) + "\n"


def to_pdf(report: ReviewReport, path: Path) -> None:
    html_to_pdf(to_html(report), path)


def write_report(report: ReviewReport, path: Path) -> None:
    """By the file's extension: .html, .md, .json or .pdf (agents/reports/files.py)."""
    def text(render: Callable[[ReviewReport], str]) -> Callable[[Path], None]:
        return lambda partial: partial.write_text(render(report), encoding="utf-8")

    write_by_suffix(path, {
        ".html": text(to_html), ".md": text(to_markdown),
        ".json": text(lambda r: json.dumps(r.to_dict(), ensure_ascii=False, indent=2)),
        ".pdf": lambda partial: to_pdf(report, partial)})
