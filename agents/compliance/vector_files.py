"""Parcel and zone files in the formats bureaus exchange — GeoJSON, a Shapefile (or a zip
holding one), a GeoPackage — read into one GeoJSON FeatureCollection in CGCS2000 lon/lat.

CGCS2000's projected zones (3° and 6° Gauss–Krüger, EPSG:4491–4554, or any projection on the
CGCS2000 datum) are reprojected; WGS 84 is taken as CGCS2000 (they differ by centimetres) and
said so; other datums (西安80, 北京54) are refused, since converting them needs local
parameters. Whatever the file declares, the coordinates must then fall inside China: a file
whose numbers do not fit its declared system (metres declared as degrees, a zone number missing)
is an error, not a silent misplacement. Shapefiles without a .cpg are read as GBK, the common
encoding of Chinese attribute tables."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import shapely
import shapely.geometry
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCrsError

from kg.spatial.errors import CrsError, FeatureError
from kg.spatial.geometry import CGCS2000

SUFFIXES = (".geojson", ".json", ".zip", ".shp", ".gpkg")
CHINA_LON, CHINA_LAT = (73.0, 136.0), (3.0, 54.0)
_CGCS2000 = CRS.from_epsg(CGCS2000)
_WGS84_DATUM = "World Geodetic System 1984"


def declared_crs(crs: Any, where: str) -> CRS | None:
    if crs in (None, ""):
        return None
    if isinstance(crs, dict):  # a GeoJSON 2008 crs member
        crs = (crs.get("properties") or {}).get("name")
    try:
        return CRS.from_user_input(crs)
    except ProjCrsError as err:
        raise CrsError("无法识别文件声明的坐标系", "the declared coordinate system is not "
                       "recognised", f"{where}: {crs!r}") from err


def cgcs2000_transformer(crs: CRS | None, where: str, notes: list[str]) -> Transformer | None:
    """None when the coordinates are already CGCS2000 lon/lat (or taken to be)."""
    if crs is None:
        notes.append(f"{where} 未声明坐标系，按 CGCS2000 经纬度（EPSG:4490）读取")
        return None
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic else ""
    if crs.is_geographic and (crs.equals(_CGCS2000) or "2000" in datum):
        return None
    if crs.is_geographic and datum.startswith(_WGS84_DATUM):  # "… 1984 ensemble" too
        notes.append(f"{where} 为 WGS 84 经纬度，按 CGCS2000 处理（两者相差厘米级）")
        return None
    if crs.is_projected and geodetic is not None and (
            "2000" in datum or geodetic.equals(_CGCS2000)):
        notes.append(f"{where} 为 {crs.name}，已转换为 CGCS2000 经纬度")
        return Transformer.from_crs(crs, _CGCS2000, always_xy=True)
    raise CrsError("坐标系不是 CGCS2000 或其投影带", "the coordinate system is not CGCS2000 or "
                   "one of its projected zones",
                   f"{where}: {crs.name}。处理建议 / what to do: 用当地转换参数转换到 CGCS2000 后再提交 / "
                   "convert to CGCS2000 with the local parameters first")


def check_in_china(geoms: list[Any], crs: CRS | None, where: str) -> None:
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return  # nothing drawn: the feature reader reports each missing geometry
    bounds = shapely.total_bounds(present)
    lon0, lat0, lon1, lat1 = bounds
    inside = (CHINA_LON[0] <= lon0 and lon1 <= CHINA_LON[1] and CHINA_LAT[0] <= lat0
              and lat1 <= CHINA_LAT[1])
    if not inside:
        declared = crs.name if crs else "CGCS2000 经纬度（未声明）"
        raise CrsError("坐标与声明的坐标系不符：换算后不在中国境内", "coordinates do not fit the "
                       "declared coordinate system (they fall outside China)",
                       f"{where}: 声明 / declared {declared}; 换算后范围 / bounds "
                       f"{tuple(round(float(b), 3) for b in bounds)}。处理建议 / what to do: "
                       "转换为 CGCS2000 经纬度（EPSG:4490），或在文件中声明实际使用的投影坐标系 / "
                       "reproject to EPSG:4490, or declare the projected system actually used")


def ogr_encoding(path: Path) -> str | None:
    """GBK for a Shapefile (or zip of one) without a .cpg; GDAL's own choice otherwise."""
    if path.suffix.lower() == ".shp" and not path.with_suffix(".cpg").exists():
        return "GBK"
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [n.lower() for n in archive.namelist()]
        if not any(n.endswith(".shp") for n in names):
            raise FeatureError("压缩包中没有 Shapefile", "the zip holds no Shapefile", path.name)
        if not any(n.endswith(".cpg") for n in names):
            return "GBK"
    return None


def read_ogr(path: Path) -> tuple[dict, Any, list[Any]]:
    """GDAL's raw read: (meta, WKB geometries, field arrays), errors made bilingual."""
    from pyogrio.raw import read

    try:
        meta, _, geometry, field_data = read(path, encoding=ogr_encoding(path))
    except FeatureError:
        raise
    except Exception as err:  # GDAL raises many kinds; all mean "cannot read this file"
        raise FeatureError("无法读取空间数据文件", "cannot read the spatial data file",
                           f"{path.name}: {err}") from err
    return meta, geometry, field_data


def _from_ogr(path: Path) -> tuple[list[dict], CRS | None]:
    meta, geometry, field_data = read_ogr(path)
    crs = declared_crs(meta.get("crs"), path.name)
    names = list(meta["fields"])
    features = []
    for i, wkb in enumerate(geometry):
        props = {name: (values[i].item() if hasattr(values[i], "item") else values[i])
                 for name, values in zip(names, field_data, strict=True)}
        geom = shapely.from_wkb(wkb) if wkb is not None else None
        features.append({"type": "Feature", "properties": props,
                         "geometry": shapely.geometry.mapping(geom) if geom is not None else None})
    return features, crs


def load_feature_collection(path: Path) -> tuple[dict, list[str]]:
    """The file as a FeatureCollection in CGCS2000 lon/lat, and notes on what was converted.
    Raises CrsError / FeatureError with a bilingual message."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise FeatureError("不支持的空间数据格式", "unsupported spatial data format",
                           f"{path.name}: 支持 / supported {', '.join(SUFFIXES)}")
    notes: list[str] = []
    if suffix in (".geojson", ".json"):
        try:
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise FeatureError("GeoJSON 无法读取", "cannot read the GeoJSON", f"{path.name}: {err}"
                               ) from err
        if not isinstance(doc, dict):
            raise FeatureError("GeoJSON 顶层必须是对象", "GeoJSON top level must be an object",
                               path.name)
        crs = declared_crs(doc.pop("crs", None), path.name)
        features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    else:
        features, crs = _from_ogr(path)
    if crs is None and suffix in (".geojson", ".json"):
        transformer = None  # GeoJSON without crs is lon/lat by definition: no note needed
    else:
        transformer = cgcs2000_transformer(crs, path.name, notes)
    shapes = []
    for feature in features or []:
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict):
            shapes.append(None)
            continue
        try:
            geom = shapely.geometry.shape(geometry)
        except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError,
                AttributeError):
            shapes.append(None)  # left for the feature reader to report
            continue
        if transformer is not None:
            geom = shapely.transform(geom, transformer.transform, interleaved=False)
            feature["geometry"] = shapely.geometry.mapping(geom)
        shapes.append(geom)
    check_in_china(shapes, crs, path.name)
    return {"type": "FeatureCollection", "features": features or []}, notes
