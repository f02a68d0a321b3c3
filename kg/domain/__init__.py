"""Domain tables of the knowledge graph: 用地用海分类, 三区三线/规划分区, 指标, and rule packs.

The tables are hand-written YAML under kg/domain/data, each citing its source standard; they
are validated on load (see loader.py) and cached.
"""

from kg.domain.loader import (
    DomainDataError,
    indicators_by_id,
    land_use_by_code,
    load_indicators,
    load_land_use_classes,
    load_rule_packs,
    load_zone_types,
)
from kg.domain.schemas import (
    Conditions,
    Indicator,
    LandUseClass,
    Rule,
    RulePack,
    SourceRef,
    ZoneRule,
    ZoneType,
)

__all__ = [
    "Conditions",
    "DomainDataError",
    "Indicator",
    "LandUseClass",
    "Rule",
    "RulePack",
    "SourceRef",
    "ZoneRule",
    "ZoneType",
    "indicators_by_id",
    "land_use_by_code",
    "load_indicators",
    "load_land_use_classes",
    "load_rule_packs",
    "load_zone_types",
]
