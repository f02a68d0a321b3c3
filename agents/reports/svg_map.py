"""Maps as SVG drawn straight from geometry: no map tiles, so they work offline, in a browser and
inside a PDF."""

from __future__ import annotations

import math

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

WIDTH = 760
MARGIN = 12


class MapFrame:
    """Map coordinates → SVG pixels, north up. Lon/lat (CGCS2000 geographic) is drawn with the
    east-west scale shrunk by cos(latitude), so shapes keep their proportions."""

    def __init__(self, geometries: list[BaseGeometry], width: int = WIDTH) -> None:
        bounds = [g.bounds for g in geometries if not g.is_empty]
        self.width = width
        self.minx = min(b[0] for b in bounds)
        self.miny = min(b[1] for b in bounds)
        maxx, self.maxy = max(b[2] for b in bounds), max(b[3] for b in bounds)
        geographic = -180 <= self.minx and maxx <= 180 and -90 <= self.miny and self.maxy <= 90
        self.x_factor = math.cos(math.radians((self.miny + self.maxy) / 2)) if geographic else 1.0
        span = max((maxx - self.minx) * self.x_factor, self.maxy - self.miny, 1e-9)
        self.scale = (width - 2 * MARGIN) / span
        self.height = (self.maxy - self.miny) * self.scale + 2 * MARGIN

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (MARGIN + (x - self.minx) * self.x_factor * self.scale,
                MARGIN + (self.maxy - y) * self.scale)

    def path(self, geometry: BaseGeometry) -> str:
        """An SVG path for the polygons in `geometry` (holes included: fill-rule evenodd)."""
        polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else \
            [geometry] if isinstance(geometry, Polygon) else \
            [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]
        rings = [ring for poly in polygons for ring in (poly.exterior, *poly.interiors)]
        return " ".join(
            "M" + " L".join("{:.1f},{:.1f}".format(*self.point(x, y)) for x, y in ring.coords)
            + " Z" for ring in rings)

    def svg(self, body: str, label: str) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
                f'height="{self.height:.0f}" viewBox="0 0 {self.width} {self.height:.0f}" '
                f'style="max-width:100%;height:auto" role="img" aria-label="{label}">{body}</svg>')
