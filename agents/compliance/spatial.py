"""Parcel and zone geometry for a review, and their overlay.

Files may be GeoJSON, a Shapefile (or a zip of one) or a GeoPackage, in CGCS2000 lon/lat or one
of its projected zones (`agents.compliance.vector_files`). Reading never stops at the first bad feature: a feature without a 地块编号, with a broken or
non-areal geometry, is reported as a finding and left out, and a repaired self-intersection is
reported too. A file in the wrong coordinate system is a finding for the whole file (its
parcels are then not overlaid) — never a silent pass. Overlaps are computed in lon/lat and
measured on the equal-area projection (`kg.spatial.geometry`); overlaps below the sliver
tolerance (digitising noise along shared edges) are ignored, and the tolerance is reported."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from agents.compliance.model import SQM_PER_MU, Evidence, Finding
from agents.compliance.vector_files import load_feature_collection
from kg.spatial.errors import CrsError, SpatialError
from kg.spatial.features import CONTROL_LINES
from kg.spatial.geojson import (
    feature_properties,
    first_property,
    read_features,
)
from kg.spatial.geometry import area_m2, areal_geometry

# Attribute names seen in bureaus' data, pinyin abbreviations included (DKBH = 地块编号).
PARCEL_ID_KEYS = ("地块编号", "地块编码", "编号", "DKBH", "dkbh", "parcel_id", "id")
LAND_USE_KEYS = ("用地代码", "用地性质", "YDDM", "yddm", "YDXZ", "land_use")


@dataclass(frozen=True)
class SliverTolerance:
    """An overlap counts only when it is larger than both bounds."""

    area_m2: float = 10.0
    share: float = 0.001  # of the parcel's area

    def ignores(self, overlap_m2: float, parcel_m2: float) -> bool:
        return overlap_m2 <= self.area_m2 or overlap_m2 <= self.share * parcel_m2


@dataclass(frozen=True)
class ParcelShape:
    parcel_id: str
    geometry: BaseGeometry
    area_m2: float
    evidence: Evidence
    land_use: str | None = None  # from the feature, when the table has none


@dataclass(frozen=True)
class ZoneLayer:
    line: str  # 永久基本农田 | 生态保护红线 | 城镇开发边界
    geometry: BaseGeometry  # the union of the layer's features
    file: str


@dataclass(frozen=True)
class Overlap:
    parcel_id: str
    line: str
    area_m2: float
    parcel_area_m2: float

    @property
    def mu(self) -> float:
        return self.area_m2 / SQM_PER_MU


def _input_finding(rule_id: str, subject: str, message: str, evidence: Evidence,
                   severity: str = "error") -> Finding:
    return Finding(rule_id, severity, "consistency", subject, message,  # type: ignore[arg-type]
                   evidence=evidence, suggestion="修正几何文件后重新提交审查")


def _collection(source: Path | dict, label: str
                ) -> tuple[list[dict], str, list[Finding]]:
    """Features in CGCS2000 lon/lat from any supported file (or a FeatureCollection already in
    memory), with the reprojection notes as info findings."""
    if isinstance(source, dict):
        features, where = read_features(source)
        return features, where, []
    doc, notes = load_feature_collection(source)
    features, _ = read_features(doc)
    return features, source.name, [
        _input_finding(f"{label}.reprojected", source.name, note, Evidence(source.name), "info")
        for note in notes]


def read_parcels(source: Path | dict) -> tuple[list[ParcelShape], list[Finding]]:
    name = source.name if isinstance(source, Path) else "<parcels>"
    try:
        features, where, findings = _collection(source, "geometry")
    except SpatialError as err:
        rule = "geometry.crs" if isinstance(err, CrsError) else "geometry.file"
        return [], [_input_finding(rule, name, f"地块文件无法使用：{err}", Evidence(name))]
    shapes: list[ParcelShape] = []
    for i, feature in enumerate(features):
        evidence = Evidence(name, table="要素", row=i + 1)
        try:
            props = feature_properties(feature, f"{where}: features[{i}]")
        except SpatialError as err:
            findings.append(_input_finding("geometry.feature", f"要素{i + 1}", str(err), evidence))
            continue
        number = first_property(props, PARCEL_ID_KEYS)
        if number is None:
            findings.append(_input_finding("geometry.parcel_id", f"要素{i + 1}",
                                           f"第 {i + 1} 个要素缺少“地块编号”属性，无法与指标表对应",
                                           evidence))
            continue
        parcel = str(number).strip()
        try:
            geometry, warnings = areal_geometry(feature.get("geometry"), f"{name}: {parcel}")
        except CrsError as err:
            # One feature in the wrong coordinates means the file is: stop overlaying it.
            return [], [_input_finding("geometry.crs", name, f"地块文件坐标系有误：{err}",
                                       Evidence(name))]
        except SpatialError as err:
            findings.append(_input_finding("geometry.invalid", parcel, f"地块 {parcel} 几何无法使用：{err}",
                                           evidence))
            continue
        findings += [_input_finding("geometry.repaired", parcel, w, evidence, "warning")
                     for w in warnings]
        code = first_property(props, LAND_USE_KEYS)
        shapes.append(ParcelShape(parcel, geometry, area_m2(geometry), evidence,
                                  str(code) if code is not None else None))
    return shapes, findings


def read_zone_layers(sources: list[Path]) -> tuple[list[ZoneLayer], list[Finding]]:
    """Zone files whose features carry `zone` (one of the three control lines); each line's
    features from all files are unioned."""
    parts: dict[str, list[BaseGeometry]] = {}
    files: dict[str, list[str]] = {}
    findings: list[Finding] = []
    for source in sources:
        try:
            features, where, notes = _collection(source, "zones")
        except SpatialError as err:
            rule = "zones.crs" if isinstance(err, CrsError) else "zones.file"
            findings.append(_input_finding(rule, source.name, f"分区文件无法使用，未参与叠加分析：{err}",
                                           Evidence(source.name)))
            continue
        findings += notes
        for i, feature in enumerate(features):
            evidence = Evidence(source.name, table="要素", row=i + 1)
            props = feature.get("properties") or {}
            line = props.get("zone") if isinstance(props, dict) else None
            if line not in CONTROL_LINES:
                findings.append(_input_finding(
                    "zones.unknown_line", source.name,
                    f"{source.name} 第 {i + 1} 个要素的 zone 属性为 {line!r}，应为"
                    f"{'、'.join(CONTROL_LINES)}之一，该要素未参与叠加分析", evidence, "warning"))
                continue
            try:
                geometry, _ = areal_geometry(feature.get("geometry"), f"{where}: features[{i}]")
            except CrsError as err:
                findings.append(_input_finding("zones.crs", source.name,
                                               f"分区文件坐标系有误，未参与叠加分析：{err}",
                                               Evidence(source.name)))
                break
            except SpatialError as err:
                findings.append(_input_finding("zones.invalid", source.name,
                                               f"分区要素几何无法使用：{err}", evidence, "warning"))
                continue
            parts.setdefault(line, []).append(geometry)
            files.setdefault(line, []).append(source.name)
    layers = [ZoneLayer(line, shapely.unary_union(geoms), "、".join(dict.fromkeys(files[line])))
              for line, geoms in parts.items()]
    return layers, findings


def overlay(parcels: list[ParcelShape], layers: list[ZoneLayer]) -> list[Overlap]:
    """Every parcel × zone-layer intersection with a positive area (slivers included: the
    caller applies the tolerance, so it can report what it ignored)."""
    overlaps = []
    for layer in layers:
        shapely.prepare(layer.geometry)
        for parcel in parcels:
            if not layer.geometry.intersects(parcel.geometry):
                continue
            shared = area_m2(shapely.intersection(parcel.geometry, layer.geometry))
            if shared > 0:
                overlaps.append(Overlap(parcel.parcel_id, layer.line, shared, parcel.area_m2))
    return overlaps
