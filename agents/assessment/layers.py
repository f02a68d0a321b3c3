"""Survey and zone layers read whole into arrays (a county's ≈100k polygons at once), in CGCS2000
lon/lat, with each polygon's 用地用海 code, 城镇村 attribute and ellipsoidal area."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from agents.compliance.vector_files import (
    cgcs2000_transformer,
    check_in_china,
    declared_crs,
    read_ogr,
)
from kg.spatial.errors import FeatureError
from kg.spatial.geometry import areas_m2

# Field names bureaus use for the land-use code and the 城镇村属性码 (三调 DLBM / CZCSXM).
CODE_FIELDS = ("用地用海代码", "用地用海编码", "用地代码", "地类编码", "DLBM", "dlbm", "code")
SETTING_FIELDS = ("城镇村属性码", "CZCSXM", "czcsxm")
ZONE_FIELDS = ("zone", "控制线", "类型")
URBAN_SETTINGS = ("201", "202")  # 城市, 建制镇
VILLAGE_SETTINGS = ("203",)


@dataclass(frozen=True)
class SurveyLayer:
    """One survey year: geometries (lon/lat), codes, 城镇村 attributes ('' if none), areas."""

    source: str
    geometries: np.ndarray
    codes: np.ndarray
    settings: np.ndarray
    areas_m2: np.ndarray
    notes: tuple[str, ...]

    @property
    def has_settings(self) -> bool:
        return bool((self.settings != "").any())


def _read(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray], list[str]]:
    meta, wkb, field_data = read_ogr(path)
    notes: list[str] = []
    geometries = shapely.from_wkb(np.asarray(wkb, dtype=object))
    crs = declared_crs(meta.get("crs"), path.name)
    if path.suffix.lower() in (".geojson", ".json") and crs is not None and crs.is_geographic:
        crs = None  # GDAL reports CRS84 for every GeoJSON: lon/lat by definition, no note
    transformer = cgcs2000_transformer(crs, path.name, notes) if crs is not None else None
    if transformer is not None:
        geometries = shapely.transform(geometries, transformer.transform, interleaved=False)
    check_in_china(list(geometries[shapely.is_valid_input(geometries)]), None, path.name)
    invalid = ~shapely.is_valid(geometries)
    if invalid.any():
        geometries[invalid] = shapely.make_valid(geometries[invalid])
        notes.append(f"{path.name}：{int(invalid.sum())} 个图斑几何无效，已自动修复")
    fields = {name: np.asarray(values) for name, values in zip(meta["fields"], field_data,
                                                               strict=True)}
    return geometries, fields, notes


def _field(fields: dict[str, np.ndarray], names: tuple[str, ...]) -> np.ndarray | None:
    for name in names:
        if name in fields:
            return np.asarray([("" if v is None else str(v)).strip() for v in fields[name]])
    return None


def read_survey(path: Path) -> SurveyLayer:
    geometries, fields, notes = _read(path)
    codes = _field(fields, CODE_FIELDS)
    if codes is None:
        raise FeatureError("调查图层缺少用地用海代码字段", "the survey layer has no land-use code "
                           "field", f"{path.name}: 需要 / needs one of {', '.join(CODE_FIELDS)}")
    settings = _field(fields, SETTING_FIELDS)
    if settings is None:
        settings = np.full(len(codes), "")
    return SurveyLayer(path.name, geometries, codes, settings, areas_m2(geometries),
                       tuple(notes))


def read_zones(paths: list[Path]) -> tuple[dict[str, shapely.Geometry], list[str]]:
    """三区三线 layers: each control line's features, from every file, unioned."""
    parts: dict[str, list] = {}
    notes: list[str] = []
    for path in paths:
        geometries, fields, more = _read(path)
        notes += more
        lines = _field(fields, ZONE_FIELDS)
        if lines is None:
            raise FeatureError("三区三线图层缺少 zone 字段", "the zone layer has no zone field",
                               f"{path.name}: 需要 / needs one of {', '.join(ZONE_FIELDS)}")
        for line in np.unique(lines):
            parts.setdefault(str(line), []).extend(geometries[lines == line])
    return {line: shapely.union_all(np.asarray(geoms)) for line, geoms in parts.items()}, notes
