"""The spatial layer: administrative regions, plans (五级三类), zones (三区三线 and 规划分区) and
parcels, with point, box and overlap queries.

Geometry lives in Python, not in the graph (see `kg.spatial.nodes`); coordinates are CGCS2000
lon/lat (EPSG:4490) and areas are measured on an Albers equal-area projection (see
`kg.spatial.geometry`). Cross-ingest links are derived from node properties, so `link_spatial`
can restore them (see `kg.spatial.links`).

Modules:
- errors: SpatialError and its subclasses (bilingual messages).
- geometry: CRS and lon/lat checks, validity repair, equal-area projection and area.
- nodes: the geometry properties stored on a node, and the caller's view of a node.
- geojson: reading GeoJSON documents and their features.
- schema: spatial labels, relationship types, constraints and indexes.
- links: the property-derived links and `link_spatial`.
- regions: the administrative-region table and `load_regions`.
- plans: plan checks, 传导 rules and `upsert_plan`.
- features: `load_zones`, `load_parcels` and `LoadReport`.
- queries: `at_point`, `in_bbox`, `overlaps`.
- removal: `remove_spatial`.
"""

from kg.spatial.errors import (
    CrsError,
    FeatureError,
    GeometryError,
    PlanError,
    RegionDataError,
    SpatialError,
    SpatialLookupError,
)
from kg.spatial.features import (
    CONTROL_LINES,
    LoadReport,
    RowMaker,
    load_parcels,
    load_zones,
    parcel_id,
)
from kg.spatial.geojson import GeoJSONSource
from kg.spatial.geometry import ALBERS_CHINA, CGCS2000, DENSIFY_DEG, area_m2, project
from kg.spatial.links import link_spatial
from kg.spatial.plans import PLAN_LEVELS, PLAN_TYPES, upsert_plan
from kg.spatial.queries import at_point, in_bbox, overlaps
from kg.spatial.regions import (
    REGIONS_FILE,
    REGIONS_INGEST,
    Region,
    RegionCode,
    RegionFile,
    RegionLevel,
    load_region_table,
    load_regions,
    regions_source,
)
from kg.spatial.removal import remove_spatial
from kg.spatial.schema import SPATIAL_LABELS, SPATIAL_RELS, ensure_spatial_schema

__all__ = [
    "ALBERS_CHINA",
    "CGCS2000",
    "CONTROL_LINES",
    "DENSIFY_DEG",
    "PLAN_LEVELS",
    "PLAN_TYPES",
    "REGIONS_FILE",
    "REGIONS_INGEST",
    "SPATIAL_LABELS",
    "SPATIAL_RELS",
    "CrsError",
    "FeatureError",
    "GeoJSONSource",
    "GeometryError",
    "LoadReport",
    "PlanError",
    "Region",
    "RegionCode",
    "RegionDataError",
    "RegionFile",
    "RegionLevel",
    "RowMaker",
    "SpatialError",
    "SpatialLookupError",
    "area_m2",
    "at_point",
    "ensure_spatial_schema",
    "in_bbox",
    "link_spatial",
    "load_parcels",
    "load_region_table",
    "load_regions",
    "load_zones",
    "overlaps",
    "parcel_id",
    "project",
    "regions_source",
    "remove_spatial",
    "upsert_plan",
]
