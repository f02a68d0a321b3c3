"""The review map: parcels coloured by their worst finding, over the 三区三线 layers, as SVG drawn
straight from the geometry, so it needs no map tiles and works offline."""

from __future__ import annotations

from html import escape

from agents.compliance.model import SEVERITY_ORDER
from agents.compliance.spatial import ParcelShape, ZoneLayer
from agents.reports.svg_map import MapFrame

PARCEL_COLOURS = {"error": "#d9363e", "warning": "#e8900c", "review": "#2f6fde", "clean": "#3f9b4f"}
PARCEL_LABELS = {"error": "违规", "warning": "需关注", "review": "需人工复核", "clean": "未发现问题"}
ZONE_STYLES = {"永久基本农田": ("#f2d94e", 0.45, ""), "生态保护红线": ("#2e8b57", 0.35, ""),
               "城镇开发边界": ("none", 1.0, "6 4")}


def worst_by_parcel(findings: list[dict]) -> dict[str, str]:
    worst: dict[str, str] = {}
    for f in findings:
        if f["severity"] == "info":
            continue
        current = worst.get(f["subject"])
        if current is None or SEVERITY_ORDER[f["severity"]] < SEVERITY_ORDER[current]:
            worst[f["subject"]] = f["severity"]
    return worst


def plan_map_svg(parcels: list[ParcelShape], zones: list[ZoneLayer],
                 worst: dict[str, str]) -> str:
    if not parcels and not zones:
        return '<div class="gh-note">没有地块或三区三线图层，无法绘图。</div>'
    frame = MapFrame([p.geometry for p in parcels] + [z.geometry for z in zones])
    shapes: list[str] = []
    for zone in zones:
        fill, opacity, dash = ZONE_STYLES.get(zone.line, ("#999999", 0.3, ""))
        stroke = "#7b3fa0" if dash else fill
        shapes.append(f'<path d="{frame.path(zone.geometry)}" fill="{fill}" fill-opacity="{opacity}" '
                      f'stroke="{stroke}" stroke-width="1.5" stroke-dasharray="{dash}" '
                      f'fill-rule="evenodd"><title>{escape(zone.line)}</title></path>')
    for parcel in parcels:
        state = worst.get(parcel.parcel_id, "clean")
        colour = PARCEL_COLOURS[state]
        label = parcel.geometry.representative_point()
        x, y = frame.point(label.x, label.y)
        shapes.append(
            f'<g class="gh-parcel" data-parcel="{escape(parcel.parcel_id)}" data-state="{state}">'
            f'<path d="{frame.path(parcel.geometry)}" fill="{colour}" fill-opacity="0.55" '
            f'stroke="#333" stroke-width="0.8" fill-rule="evenodd"><title>'
            f'{escape(parcel.parcel_id)}：{PARCEL_LABELS[state]}（{parcel.area_m2:,.0f} m²）</title>'
            f'</path><text x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="middle">'
            f'{escape(parcel.parcel_id)}</text></g>')
    legend = " ".join(f'<span style="color:{PARCEL_COLOURS[k]}">■ {v}</span>'
                      for k, v in PARCEL_LABELS.items())
    legend += " " + " ".join(
        f'<span style="color:{"#7b3fa0" if dash else fill}">{"┅" if dash else "■"} {name}</span>'
        for name, (fill, _opacity, dash) in ZONE_STYLES.items()
        if any(z.line == name for z in zones))
    return (f'<div class="gh-map">{frame.svg("".join(shapes), "地块审查结果图")}'
            f'<div class="gh-legend">{legend}</div></div>')
