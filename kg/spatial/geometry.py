"""Geometry checks and measurement: declared CRS, lon/lat range, areal type, validity (repaired
with make_valid), and ellipsoidal area via an equal-area projection.

Coordinates are CGCS2000 lon/lat (EPSG:4490), the national datum that 国土空间规划 data must use.
Topology (contains, intersects, the intersection itself) is decided in lon/lat, where the data was
drawn, so polygons that share an edge in the source only touch here too. Areas are then measured on
an Albers equal-area conic projection of CGCS2000 for China (standard parallels 25°N and 47°N,
central meridian 105°E, the usual choice for national area statistics). Albers preserves area
everywhere, so one projection serves the whole country; a local UTM zone would not (its scale
factor makes areas 0.08% small on the central meridian and ~0.1% large at the zone edge, and
parcels straddling two zones need special handling). Parallels are arcs in Albers, so edges are
first densified to ≤ 0.0005° (~50 m): a straight lon/lat edge then stays within 0.1 mm of its
image instead of cutting a chord that would bias a 6 km edge's area by ~0.5 m × its length.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
import shapely.geometry
from pyproj import CRS, Transformer
from pyproj.crs import ProjectedCRS
from pyproj.crs.coordinate_operation import AlbersEqualAreaConversion
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from kg.spatial.errors import CrsError, GeometryError

log = logging.getLogger(__name__)

CGCS2000 = 4490
# Albers equal-area conic for China on the CGCS2000 datum (see the module docstring).
ALBERS_CHINA = {"latitude_first_parallel": 25.0, "latitude_second_parallel": 47.0,
                "latitude_false_origin": 0.0, "longitude_false_origin": 105.0}
DENSIFY_DEG = 0.0005


@functools.cache
def _to_albers() -> Transformer:
    geographic = CRS.from_epsg(CGCS2000)
    albers = ProjectedCRS(conversion=AlbersEqualAreaConversion(**ALBERS_CHINA),
                          geodetic_crs=geographic, name="CGCS2000 / China Albers equal area")
    return Transformer.from_crs(geographic, albers, always_xy=True)


def project(geom: BaseGeometry) -> BaseGeometry:
    """CGCS2000 lon/lat geometry → Albers equal-area metres, edges densified (module docstring)."""
    dense = shapely.segmentize(geom, DENSIFY_DEG)
    return shapely.transform(dense, _to_albers().transform, interleaved=False)


def area_m2(geom: BaseGeometry) -> float:
    """Ellipsoidal area in m² of a lon/lat geometry (0 for points and lines)."""
    return float(project(geom).area)


def areas_m2(geoms: np.ndarray) -> np.ndarray:
    """`area_m2` for an array of geometries at once (county-sized layers)."""
    dense = shapely.segmentize(geoms, DENSIFY_DEG)
    return shapely.area(shapely.transform(dense, _to_albers().transform, interleaved=False))


def _is_cgcs2000(name: Any) -> bool:
    if not isinstance(name, str):
        return False
    # EPSG:4490, urn:ogc:def:crs:EPSG::4490, urn:ogc:def:crs:EPSG:6.3:4490, opengis.net URIs
    m = re.fullmatch(r"(?:urn:ogc:def:crs:)?EPSG:(?:[\d.]*:)?(\d+)"
                     r"|https?://www\.opengis\.net/def/crs/EPSG/[\d.]+/(\d+)",
                     name.strip(), re.IGNORECASE)
    return bool(m) and (m.group(1) or m.group(2)) == str(CGCS2000)


def _check_crs(crs: Any, where: str) -> None:
    """A declared crs must be CGCS2000; GeoJSON without one is taken as CGCS2000 lon/lat."""
    if isinstance(crs, Mapping) and crs.get("type") == "name":
        props = crs.get("properties")
        if isinstance(props, Mapping) and _is_cgcs2000(props.get("name")):
            return
    declared = json.dumps(crs, ensure_ascii=False, default=str)
    raise CrsError("GeoJSON 声明的坐标参照系不是 CGCS2000 经纬度（EPSG:4490）",
                   "declared CRS is not CGCS2000 lon/lat (EPSG:4490)",
                   f"{where}: crs {declared}. 处理建议 / what to do: 转换为 EPSG:4490 经纬度；"
                   "若坐标本就是 CGCS2000 经纬度，删去 crs 成员 / reproject to EPSG:4490 lon/lat, "
                   "or drop the crs member if the coordinates already are")


def _check_lonlat(geom: BaseGeometry, where: str) -> None:
    coords = shapely.get_coordinates(geom)
    lonlat = bool((abs(coords[:, 0]) <= 180).all() and (abs(coords[:, 1]) <= 90).all())
    if not (coords.size and lonlat):
        raise CrsError("坐标超出经纬度范围，疑似投影坐标", "coordinates are not lon/lat degrees "
                       "(projected coordinates?)",
                       f"{where}: bounds {tuple(round(b, 3) for b in geom.bounds)}; "
                       "请转换为 CGCS2000 经纬度（EPSG:4490） / reproject to EPSG:4490")


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The areal part of make_valid's output (which may mix polygons with collapsed lines)."""
    polys: list[BaseGeometry] = []
    for part in shapely.get_parts(geom):
        if part.geom_type in ("Polygon", "MultiPolygon"):
            polys.append(part)
    return shapely.unary_union(polys) if polys else shapely.geometry.Polygon()


def areal_geometry(geometry: Any, where: str) -> tuple[BaseGeometry, list[str]]:
    """Parse and check one GeoJSON geometry: a non-empty (Multi)Polygon in lon/lat. Invalid ones
    are repaired with make_valid and the repair is reported as a warning, not hidden."""
    if not isinstance(geometry, Mapping):
        raise GeometryError("缺少几何", "missing geometry", where)
    if geometry.get("crs") is not None:
        _check_crs(geometry["crs"], where)
    try:
        geom = shapely.force_2d(shapely.geometry.shape(geometry))
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError,
            AttributeError) as err:
        raise GeometryError("几何无法解析", "geometry cannot be parsed", f"{where}: {err}") from err
    if geom.is_empty:
        raise GeometryError("几何为空", "geometry is empty", where)
    _check_lonlat(geom, where)
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise GeometryError("只接受面状几何（Polygon/MultiPolygon）",
                            "only areal geometries (Polygon/MultiPolygon) are accepted",
                            f"{where}: {geom.geom_type}")
    warnings: list[str] = []
    if not geom.is_valid:
        reason = explain_validity(geom)
        geom = _polygonal(shapely.make_valid(geom))
        if geom.is_empty or geom.area == 0:
            raise GeometryError("几何无效且无法修复为面", "invalid geometry cannot be repaired "
                                "into an area", f"{where}: {reason}")
        warnings.append(f"{where}: 几何无效（{reason}），已用 make_valid 修复，请核对 / invalid "
                        "geometry repaired with make_valid, please check")
        log.warning(warnings[-1])
    return geom, warnings
