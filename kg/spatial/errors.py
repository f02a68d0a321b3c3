"""The spatial layer's exceptions: one bilingual base class and a subclass per kind of failure."""

from __future__ import annotations

from corpus.errors import BilingualError, NotFoundError


class SpatialError(BilingualError):
    """Any spatial-layer failure. `str(err)` is a complete bilingual message."""


class CrsError(SpatialError):
    """The input declares, or evidently uses, a coordinate system other than CGCS2000 lon/lat."""


class GeometryError(SpatialError):
    """A geometry is missing, unparsable, empty, not an area, or beyond repair."""


class FeatureError(SpatialError):
    """A GeoJSON document or feature is malformed, or its properties are wrong."""


class PlanError(SpatialError):
    """A plan's attributes or its 传导 (transmission) link are inconsistent."""


class RegionDataError(SpatialError):
    """The administrative-region table is malformed or its hierarchy is inconsistent."""


class SpatialLookupError(SpatialError, NotFoundError):
    """A region, plan or parcel named by the caller is not in the graph."""
