"""The assessment report for a region and year: HTML (one self-contained page), PDF (rendered
from the same HTML, charts and map as pictures) and JSON for other systems."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from pathlib import Path

import jinja2

from agents.assessment.assessment import AssessmentResult
from agents.assessment.charts import LEVEL_COLOURS, trend_chart_svg
from agents.assessment.narrative import LEVEL_WORDS, Narrative
from agents.reports.files import write_by_suffix
from agents.reports.html import report_template
from agents.reports.pdf import html_to_pdf
from agents.reports.svg_map import MapFrame
from kg.domain.loader import indicators_by_id

FORMATS = (".html", ".pdf", ".json")  # what write_assessment_report writes
ZONE_COLOURS = {"永久基本农田": "#f2d94e", "生态保护红线": "#2e8b57", "城镇开发边界": "#7b3fa0"}

_TEMPLATE = report_template(
    """<p>红色预警 {{ summary.red }} 项　黄色预警 {{ summary.yellow }} 项　正常 {{ summary.green }} 项　
未设目标或无法计算 {{ summary.none }} 项　空间预警 {{ summary.spatial }} 处</p>
<h2>一、评估结论</h2>
{% for paragraph in narrative.paragraphs %}<p>{{ paragraph }}</p>{% endfor %}
<p class="small">{{ narrative_source }}</p>
<h2>二、指标评估</h2>
<table><tr><th>指标</th><th>属性</th><th>单位</th><th>基期值</th><th>现状值</th><th>目标值</th>
<th>状态</th><th>说明</th></tr>
{% for row in rows %}<tr><td>{{ row.name }}</td><td>{{ row.kind }}</td><td>{{ row.unit }}</td>
<td>{{ row.base_text }}</td><td>{{ row.value_text }}</td><td>{{ row.target_text }}</td>
<td class="{{ row.level }}">{{ row.level_word }}</td><td>{{ row.reason }}{% if row.trend %}；{{ row.trend }}{% endif %}</td></tr>
{% endfor %}</table>
<h2>三、指标与目标对比</h2>
{{ chart }}
<h2>四、空间预警</h2>
{% if spatial %}
<table><tr><th>#</th><th>控制线</th><th>现状用地</th><th>面积（m²）</th><th>面积（亩）</th><th>位置（经度, 纬度）</th></tr>
{% for w in spatial %}<tr><td>{{ loop.index }}</td><td>{{ w.line }}</td><td>{{ w.code }}</td>
<td>{{ "%.1f"|format(w.area_m2) }}</td><td>{{ "%.2f"|format(w.area_mu) }}</td>
<td>{{ "%.6f"|format(w.lon) }}, {{ "%.6f"|format(w.lat) }}</td></tr>
{% endfor %}</table>
{% else %}<p>未发现永久基本农田、生态保护红线内的新增建设用地{% if not base_year %}（未提供基期调查）{% endif %}。</p>{% endif %}
{{ map }}
{% if basis %}<h2>五、相关条文</h2>
{% for b in basis %}<p><b>{{ b.about }}</b>：{{ b.title }} [{{ b.clause_id }}]（{{ b.valid_from or "?" }} 起施行，现行有效）</p>
<p class="small">{{ b.text }}</p>
{% endfor %}{% endif %}
<h2>附：计算方法与依据</h2>
<table><tr><th>指标</th><th>公式或定义</th><th>输入</th><th>依据</th></tr>
{% for row in rows %}<tr><td>{{ row.name }}</td><td class="small">{{ row.formula }}</td>
<td class="small">{{ row.inputs }}</td><td class="small">{{ row.source }}</td></tr>
{% endfor %}</table>
{% if notes %}<h2>说明</h2><ul>{% for note in notes %}<li>{{ note }}</li>{% endfor %}</ul>{% endif %}""",
    style=""".red { color: #b00020; } .yellow { color: #a65e00; }
.green { color: #2e7d32; } .none { color: #666; } .small { font-size: 8.5pt; color: #444; }""")


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def indicator_rows(result: AssessmentResult) -> list[dict]:
    """One row per indicator, as the report's table and chart show it."""
    catalogue = indicators_by_id()
    rows = []
    for value, warning in zip(result.values, result.warnings, strict=True):
        source = catalogue[value.id].source
        base = result.base_values.get(value.id)
        rows.append({
            "id": value.id, "name": value.name, "kind": value.kind, "unit": value.unit,
            "value": value.value, "base": base.value if base else None,
            "target": warning.target, "level": warning.level,
            "base_text": _fmt(base.value if base else None), "value_text": _fmt(value.value),
            "target_text": _fmt(warning.target) + (f"（{warning.target_year}年）"
                                                  if warning.target_year else ""),
            "level_word": LEVEL_WORDS[warning.level], "reason": warning.reason,
            "trend": warning.trend, "formula": value.formula,
            "inputs": "；".join(f"{k} = {_fmt(v)}" for k, v in value.inputs.items()) or "—",
            "source": "《{}》{} {}".format(source.document, source.number or "",
                                          source.clause or "").strip()})
    return rows


def warning_map_svg(result: AssessmentResult) -> str:
    """The control lines with the new construction patches found inside them."""
    shapes = list(result.zones.values()) + [w.geometry for w in result.spatial]
    if not shapes:
        return ""
    frame = MapFrame(shapes, width=700)
    body = []
    for line, zone in result.zones.items():
        colour = ZONE_COLOURS.get(line, "#999999")
        dashed = line == "城镇开发边界"
        body.append(f'<path d="{frame.path(zone)}" fill="{"none" if dashed else colour}" '
                    f'fill-opacity="0.35" stroke="{colour}" stroke-width="1.2" '
                    f'stroke-dasharray="{"6 4" if dashed else ""}" fill-rule="evenodd"/>')
    for i, warning in enumerate(result.spatial, start=1):
        x, y = frame.point(warning.lon, warning.lat)
        body.append(f'<path d="{frame.path(warning.geometry)}" fill="{LEVEL_COLOURS["red"]}" '
                    f'stroke="#600" stroke-width="1"/><text x="{x:.1f}" y="{y - 4:.1f}" '
                    f'font-size="11" fill="#600">{i}</text>')
    legend = "".join(
        f'<text x="{12 + 120 * i}" y="{frame.height + 14:.0f}" font-size="11" fill="{colour}">'
        f'■ {escape(name)}</text>' for i, (name, colour) in
        enumerate([*ZONE_COLOURS.items(), ("新增建设用地", LEVEL_COLOURS["red"])]))
    frame.height += 20
    return frame.svg("".join(body) + legend, "空间预警图")


def _pictures(result: AssessmentResult, rows: list[dict] | None = None) -> tuple[str, str]:
    """The chart and the warning map ("" when there is nothing to map), as SVG."""
    return trend_chart_svg(rows or indicator_rows(result)), warning_map_svg(result)


def to_html(result: AssessmentResult, narrative: Narrative, pictures: str = "inline") -> str:
    """`pictures`: "inline" puts the SVG in the page; "files" refers to chart.svg / map.svg
    (the PDF engine reads pictures from its archive)."""
    rows = indicator_rows(result)
    chart, map_svg = _pictures(result, rows)
    if pictures == "files":
        chart = '<img src="chart.svg"/>'
        map_svg = '<img src="map.svg"/>' if map_svg else ""
    period = f"{result.base_year}—{result.year}年" if result.base_year else f"{result.year}年"
    source = ("本结论由模型依据上表计算结果起草，其中的数字均已与计算结果核对" if
              narrative.drafted_by != "template" else "本结论由计算结果按模板生成")
    if narrative.dropped:
        source += f"；已删去 {len(narrative.dropped)} 句含未经计算的数字的表述"
    return _TEMPLATE.render(
        title=f"{result.region}{period}国土空间规划实施体检评估报告", summary=result.summary,
        narrative=narrative, narrative_source=source, rows=rows,
        chart=jinja2.utils.markupsafe.Markup(chart), map=jinja2.utils.markupsafe.Markup(map_svg),
        spatial=result.spatial, base_year=result.base_year, notes=result.notes,
        basis=narrative.basis)


def to_json(result: AssessmentResult, narrative: Narrative) -> dict:
    return {**result.to_dict(), "narrative": {"paragraphs": narrative.paragraphs,
                                              "drafted_by": narrative.drafted_by,
                                              "dropped": narrative.dropped},
            "basis": [b.to_dict() for b in narrative.basis]}


def write_assessment_report(result: AssessmentResult, narrative: Narrative, path: Path) -> None:
    """By extension (.html, .pdf, .json; agents/reports/files.py)."""
    def pdf(partial: Path) -> None:
        chart, map_svg = _pictures(result)
        images = {"chart.svg": chart.encode()}
        if map_svg:
            images["map.svg"] = map_svg.encode()
        html_to_pdf(to_html(result, narrative, pictures="files"), partial, images)

    def text(render: Callable[[], str]) -> Callable[[Path], None]:
        return lambda partial: partial.write_text(render(), encoding="utf-8")

    write_by_suffix(path, {
        ".html": text(lambda: to_html(result, narrative)), ".pdf": pdf,
        ".json": text(lambda: json.dumps(to_json(result, narrative), ensure_ascii=False,
                                         indent=2))})
