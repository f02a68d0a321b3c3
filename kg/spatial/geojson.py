"""GeoJSON input: read a document (file or mapping), check its declared CRS, and hand out its
features and their properties."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kg.spatial.errors import FeatureError
from kg.spatial.geometry import _check_crs

GeoJSONSource = str | Path | Mapping[str, Any]


def _read_geojson(source: GeoJSONSource) -> tuple[dict[str, Any], str]:
    if isinstance(source, Mapping):
        return dict(source), "<GeoJSON>"
    path = Path(source)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as err:
        raise FeatureError("无法读取 GeoJSON 文件", "cannot read the GeoJSON file",
                           f"{path}: {err}") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise FeatureError("GeoJSON 不是合法的 JSON", "GeoJSON is not valid JSON",
                           f"{path}: {err}") from err
    if not isinstance(doc, dict):
        raise FeatureError("GeoJSON 顶层必须是对象", "GeoJSON top level must be an object",
                           str(path))
    return doc, str(path)


def read_features(source: GeoJSONSource) -> tuple[list[dict[str, Any]], str]:
    """The features of a FeatureCollection (or of a single Feature), after the CRS check."""
    doc, where = _read_geojson(source)
    if doc.get("crs") is not None:  # `"crs": null` declares nothing: same as no member
        _check_crs(doc["crs"], where)
    if doc.get("type") == "Feature":
        features: Any = [doc]
    elif doc.get("type") == "FeatureCollection":
        features = doc.get("features")
    else:
        raise FeatureError("需要 GeoJSON FeatureCollection", "a GeoJSON FeatureCollection is "
                           "required", f"{where}: type {doc.get('type')!r}")
    if not isinstance(features, list) or not features:
        raise FeatureError("FeatureCollection 没有要素", "FeatureCollection has no features", where)
    for i, f in enumerate(features):
        if not isinstance(f, dict) or f.get("type") != "Feature":
            raise FeatureError("要素格式错误", "malformed feature", f"{where}: features[{i}]")
        if f.get("crs") is not None:
            _check_crs(f["crs"], f"{where}: features[{i}]")
    return features, where


def feature_properties(feature: Mapping[str, Any], where: str) -> dict[str, Any]:
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise FeatureError("要素属性必须是对象", "feature properties must be an object", where)
    return props


def first_property(props: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        value = props.get(key)
        if value not in (None, ""):
            return value
    return None
