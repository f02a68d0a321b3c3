"""Administrative regions (县级以上行政区划, GB/T 2260): the validated region table (regions.yaml)
and its load into the graph as AdministrativeRegion nodes linked (child)-[:WITHIN]->(parent)."""

from __future__ import annotations

import functools
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal

import neo4j
from pydantic import BaseModel, ConfigDict, Field, model_validator
from shapely.geometry.base import BaseGeometry

from kg.domain import DomainDataError, SourceRef
from kg.domain.loader import data_dir, index_by_code, read_yaml, validate_model
from kg.graph import GraphStore
from kg.spatial.errors import FeatureError, RegionDataError
from kg.spatial.geojson import (
    GeoJSONSource,
    feature_properties,
    first_property,
    read_features,
)
from kg.spatial.geometry import areal_geometry
from kg.spatial.links import _LINKS
from kg.spatial.nodes import _geometry_props
from kg.spatial.schema import ensure_spatial_schema

REGIONS_FILE = "regions.yaml"
REGIONS_INGEST = "domain:regions"
# Property keys that may carry a region's code in user-supplied GeoJSON.
_REGION_CODE_KEYS = ("code", "行政区划代码", "adcode")

RegionLevel = Literal["省级", "地级", "县级"]
RegionCode = Annotated[str, Field(pattern=r"^[1-9]\d{5}$")]


class Region(BaseModel):
    """One 县级以上 administrative division. `geometry`: optional GeoJSON geometry (EPSG:4490)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: RegionCode
    name: str = Field(min_length=1)
    level: RegionLevel
    parent: RegionCode | None = None
    geometry: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _code_fits_level_and_parent(self) -> Region:
        # GB/T 2260: digits 1-2 province, 3-4 prefecture, 5-6 county; zeros mark the level.
        province, prefecture = self.code[:2] + "0000", self.code[:4] + "00"
        expected: tuple[str | None, ...]
        if self.level == "省级":
            shape_ok, expected = self.code == province, (None,)
        elif self.level == "地级":
            shape_ok, expected = self.code == prefecture != province, (province,)
        else:
            shape_ok, expected = self.code != prefecture, (prefecture, province)
        if not shape_ok:
            raise ValueError(f"code {self.code!r} does not have the digit pattern of a "
                             f"{self.level} division (省级 xx0000, 地级 xxxx00, 县级 other)")
        if self.parent not in expected:
            raise ValueError(f"parent of {self.code!r} must be one of {list(expected)}, "
                             f"not {self.parent!r}")
        return self


class RegionFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1]
    source: SourceRef
    regions: tuple[Region, ...]


def _check_region_hierarchy(doc: RegionFile, path: Path | Traversable) -> None:
    by_code: dict[str, Region] = index_by_code(doc.regions, "regions", path)
    for i, r in enumerate(doc.regions):
        here = f"regions[{i}](code={r.code})"
        if r.parent is None:
            continue
        if r.parent not in by_code:
            raise DomainDataError(path, f"{here}.parent",
                                  f"parent {r.parent!r} is not in the table")
        city = r.code[:4] + "00"
        # A county may hang on its province only where its prefecture is not listed
        # (直辖市的区, 省直辖县级市); otherwise it must hang on the prefecture.
        if r.parent != city and city in by_code and r.level == "县级":
            raise DomainDataError(path, f"{here}.parent",
                                  f"{city} ({by_code[city].name}) is in the table, "
                                  "so it is the parent")
        if r.geometry is not None:
            areal_geometry(r.geometry, f"{path}: {here}.geometry")


@functools.cache
def _builtin_regions() -> RegionFile:
    return _load_region_file(data_dir() / REGIONS_FILE)


def _load_region_file(path: Path | Traversable) -> RegionFile:
    try:
        doc = validate_model(RegionFile, read_yaml(path), path)
        _check_region_hierarchy(doc, path)
    except DomainDataError as err:
        raise RegionDataError("行政区划表有误", "invalid administrative-region table",
                              str(err)) from err
    return doc


def load_region_table(path: Path | None = None) -> list[Region]:
    """The validated region table (the shipped regions.yaml unless `path` is given)."""
    doc = _builtin_regions() if path is None else _load_region_file(path)
    return list(doc.regions)


def regions_source() -> SourceRef:
    return _builtin_regions().source


# -------------------------------------------------------------------- loading into the graph


def _region_boundaries(source: GeoJSONSource, known: set[str]) -> dict[str, BaseGeometry]:
    features, where = read_features(source)
    shapes: dict[str, BaseGeometry] = {}
    for i, f in enumerate(features):
        here = f"{where}: features[{i}]"
        code = first_property(feature_properties(f, here), _REGION_CODE_KEYS)
        code = str(code) if code is not None else None
        if code not in known:
            raise FeatureError("边界要素的行政区划代码不在区划表中", "boundary feature's region "
                               "code is not in the region table", f"{here}: code {code!r}")
        shapes[code] = areal_geometry(f.get("geometry"), here)[0]
    return shapes


def load_regions(graph: GraphStore, path: Path | None = None,
                 boundaries: GeoJSONSource | None = None) -> int:
    """AdministrativeRegion nodes and (child)-[:WITHIN]->(parent), replacing the previous load.

    `boundaries`: optional GeoJSON FeatureCollection whose features carry the region code in
    `code`, `行政区划代码` or `adcode`; it overrides geometry given in the table. Returns the count.
    """
    regions = load_region_table(path)
    shapes = {r.code: areal_geometry(r.geometry, f"regions(code={r.code}).geometry")[0]
              for r in regions if r.geometry is not None}
    if boundaries is not None:
        shapes.update(_region_boundaries(boundaries, {r.code for r in regions}))
    rows = []
    for r in regions:
        props: dict[str, Any] = {"code": r.code, "name": r.name, "level": r.level,
                                 "ingest": REGIONS_INGEST}
        if r.parent:
            props["parent"] = r.parent
        if r.code in shapes:
            props |= _geometry_props(shapes[r.code])
        rows.append(props)
    ensure_spatial_schema(graph)

    def work(tx: neo4j.ManagedTransaction) -> None:
        tx.run("MATCH (n:AdministrativeRegion) WHERE n.ingest = $ingest DETACH DELETE n",
               ingest=REGIONS_INGEST).consume()
        tx.run("UNWIND $rows AS row CREATE (n:AdministrativeRegion) SET n = row",
               rows=rows).consume()
        tx.run("MATCH (n:AdministrativeRegion) WHERE n.ingest = $ingest AND n.parent IS NOT NULL "
               "MATCH (p:AdministrativeRegion {code: n.parent}) "
               "CREATE (n)-[:WITHIN {ingest: $ingest}]->(p)", ingest=REGIONS_INGEST).consume()
        # Deleting the regions dropped the plans' COVERS edges; restore them.
        tx.run(_LINKS["COVERS"].format(scope="")).consume()

    graph.execute_write(work)
    return len(rows)
