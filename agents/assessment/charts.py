"""Charts for the assessment report, as SVG: each indicator's base-year and current value beside
its target, bars scaled per indicator (their units differ), coloured by warning level."""

from __future__ import annotations

from html import escape

LEVEL_COLOURS = {"red": "#d9363e", "yellow": "#e8a20c", "green": "#3f9b4f", "none": "#8a8a8a"}
ROW = 34
LABEL_W = 210
BAR_W = 420
WIDTH = LABEL_W + BAR_W + 110


def _fmt(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def trend_chart_svg(rows: list[dict]) -> str:
    """`rows`: {name, unit, base, value, target, level}; indicators without a value are left out."""
    rows = [r for r in rows if r.get("value") is not None]
    height = ROW * len(rows) + 30
    parts = ['<text x="4" y="14" font-size="11" fill="#555">浅色：基期值　深色：现状值　竖线：目标值</text>']
    for i, row in enumerate(rows):
        top = 24 + i * ROW
        numbers = [abs(v) for v in (row.get("base"), row["value"], row.get("target"))
                   if v is not None]
        scale = BAR_W / (max(numbers) or 1.0)
        colour = LEVEL_COLOURS[row.get("level") or "none"]
        unit = f'（{escape(row["unit"])}）' if row["unit"] != "1" else ""
        parts.append(f'<text x="4" y="{top + 15}" font-size="11">{escape(row["name"])}{unit}</text>')
        if row.get("base") is not None:
            parts.append(f'<rect x="{LABEL_W}" y="{top + 2}" width="{abs(row["base"]) * scale:.1f}" '
                         f'height="10" fill="{colour}" fill-opacity="0.35"/>')
        parts.append(f'<rect x="{LABEL_W}" y="{top + 13}" width="{abs(row["value"]) * scale:.1f}" '
                     f'height="12" fill="{colour}"/>')
        parts.append(f'<text x="{LABEL_W + abs(row["value"]) * scale + 4:.1f}" y="{top + 23}" '
                     f'font-size="10">{_fmt(row["value"])}</text>')
        if row.get("target") is not None:
            x = LABEL_W + abs(row["target"]) * scale
            parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + 28}" '
                         f'stroke="#222" stroke-width="2"/>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" style="max-width:100%;height:auto" role="img" '
            f'aria-label="指标与目标">{"".join(parts)}</svg>')
