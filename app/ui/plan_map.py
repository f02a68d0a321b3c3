"""The review map: parcels coloured by their worst finding, over the 三区三线 layers, as SVG drawn
straight from the geometry, so it needs no map tiles and works offline."""

from __future__ import annotations

import math
from html import escape

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from agents.compliance.model import SEVERITY_ORDER
from agents.compliance.spatial import ParcelShape, ZoneLayer

PARCEL_COLOURS = {"error": "#d9363e", "warning": "#e8900c", "review": "#2f6fde", "clean": "#3f9b4f"}
PARCEL_LABELS = {"error": "违规", "warning": "需关注", "review": "需人工复核", "clean": "未发现问题"}
ZONE_STYLES = {"永久基本农田": ("#f2d94e", 0.45, ""), "生态保护红线": ("#2e8b57", 0.35, ""),
               "城镇开发边界": ("none", 1.0, "6 4")}
WIDTH = 760
MARGIN = 12


def worst_by_parcel(findings: list[dict]) -> dict[str, str]:
    worst: dict[str, str] = {}
    for f in findings:
        if f["severity"] == "info":
            continue
        current = worst.get(f["subject"])
        if current is None or SEVERITY_ORDER[f["severity"]] < SEVERITY_ORDER[current]:
            worst[f["subject"]] = f["severity"]
    return worst


class _Frame:
    """Map coordinates → SVG pixels, north up. Lon/lat (CGCS2000 geographic) is drawn with the
    east-west scale shrunk by cos(latitude), so shapes keep their proportions."""

    def __init__(self, geometries: list[BaseGeometry]) -> None:
        bounds = [g.bounds for g in geometries if not g.is_empty]
        self.minx = min(b[0] for b in bounds)
        self.miny = min(b[1] for b in bounds)
        maxx, self.maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
        geographic = -180 <= self.minx and maxx <= 180 and -90 <= self.miny and self.maxy <= 90
        self.x_factor = math.cos(math.radians((self.miny + self.maxy) / 2)) if geographic else 1.0
        span = max((maxx - self.minx) * self.x_factor, self.maxy - self.miny, 1e-9)
        self.scale = (WIDTH - 2 * MARGIN) / span
        self.height = (self.maxy - self.miny) * self.scale + 2 * MARGIN

    def point(self, x: float, y: float) -> str:
        return (f"{MARGIN + (x - self.minx) * self.x_factor * self.scale:.1f},"
                f"{MARGIN + (self.maxy - y) * self.scale:.1f}")

    def path(self, geometry: BaseGeometry) -> str:
        polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else \
            [geometry] if isinstance(geometry, Polygon) else \
            [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]
        rings = [ring for poly in polygons for ring in (poly.exterior, *poly.interiors)]
        return " ".join("M" + " L".join(self.point(x, y) for x, y in ring.coords) + " Z"
                        for ring in rings)


def plan_map_svg(parcels: list[ParcelShape], zones: list[ZoneLayer],
                 worst: dict[str, str]) -> str:
    if not parcels and not zones:
        return '<div class="gh-note">没有地块或三区三线图层，无法绘图。</div>'
    frame = _Frame([p.geometry for p in parcels] + [z.geometry for z in zones])
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
        x, y = frame.point(label.x, label.y).split(",")
        shapes.append(
            f'<g class="gh-parcel" data-parcel="{escape(parcel.parcel_id)}" data-state="{state}">'
            f'<path d="{frame.path(parcel.geometry)}" fill="{colour}" fill-opacity="0.55" '
            f'stroke="#333" stroke-width="0.8" fill-rule="evenodd"><title>'
            f'{escape(parcel.parcel_id)}：{PARCEL_LABELS[state]}（{parcel.area_m2:,.0f} m²）</title>'
            f'</path><text x="{x}" y="{y}" font-size="10" text-anchor="middle">'
            f'{escape(parcel.parcel_id)}</text></g>')
    legend = " ".join(f'<span style="color:{PARCEL_COLOURS[k]}">■ {v}</span>'
                      for k, v in PARCEL_LABELS.items())
    legend += " " + " ".join(
        f'<span style="color:{"#7b3fa0" if dash else fill}">{"┅" if dash else "■"} {name}</span>'
        for name, (fill, _opacity, dash) in ZONE_STYLES.items()
        if any(z.line == name for z in zones))
    return (f'<div class="gh-map"><svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
            f'height="{frame.height:.0f}" viewBox="0 0 {WIDTH} {frame.height:.0f}" '
            f'role="img" aria-label="地块审查结果图">{"".join(shapes)}</svg>'
            f'<div class="gh-legend">{legend}</div></div>')
