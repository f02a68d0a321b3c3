"""Pydantic schemas for the domain tables (用地用海分类, 三区三线/规划分区, 指标, 规则包).

Models are frozen and use tuples so cached tables cannot be mutated by callers. Checks that need
only one record live here; checks across records or files (parents exist, codes referenced by
rules exist) live in the loader.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Construction = Literal["建设用地", "非建设用地", "海域"]
Confidence = Literal["checked", "uncertain"]
Severity = Literal["error", "warning", "info"]
Operator = Literal["<=", "<", ">=", ">", "==", "between"]
ClimateZone = Literal["I", "II", "III", "IV", "V", "VI", "VII"]
HeightClass = Literal["低层", "多层I类", "多层II类", "高层I类", "高层II类"]

# 2, 4 or 6 digits: 一级类 / 二级类 / 三级类.
LandUseCode = Annotated[str, Field(pattern=r"^\d{2}(\d{2}){0,2}$")]
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
RuleId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]

# GB 50180-2018 住宅建筑平均层数类别 (表4.0.2): storeys covered by each class.
HEIGHT_CLASS_STOREYS: dict[str, tuple[int, int]] = {
    "低层": (1, 3),
    "多层I类": (4, 6),
    "多层II类": (7, 9),
    "高层I类": (10, 18),
    "高层II类": (19, 26),
}


class _Frozen(BaseModel):
    # extra="forbid" so a misspelt key in a data file is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceRef(_Frozen):
    """Where a fact comes from. `quote` is a short verbatim excerpt of the cited article, used by
    tests to verify the citation against the law texts in the shared corpus."""

    document: str = Field(min_length=1)
    number: str | None = None
    year: int | None = None
    issuer: str | None = None
    clause: str | None = None
    article: str | None = None
    table: str | None = None
    quote: str | None = None
    confidence: Confidence | None = None
    note: str | None = None


# ---------------------------------------------------------------- 用地用海分类


class LandUseClass(_Frozen):
    code: LandUseCode
    name: str = Field(min_length=1)
    level: Literal[1, 2, 3]
    parent: LandUseCode | None
    construction: Construction
    definition: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _code_matches_level_and_parent(self) -> LandUseClass:
        if len(self.code) != 2 * self.level:
            raise ValueError(f"code {self.code!r} has {len(self.code)} digits but level is {self.level}")
        expected_parent = None if self.level == 1 else self.code[:-2]
        if self.parent != expected_parent:
            raise ValueError(f"parent of {self.code!r} must be {expected_parent!r}, not {self.parent!r}")
        return self


class LandUseFile(_Frozen):
    schema_version: Literal[1]
    source: SourceRef
    classes: tuple[LandUseClass, ...] = Field(min_length=1)


# ---------------------------------------------------------------- 三区三线与规划分区


class ZoneRule(_Frozen):
    effect: Literal["allow", "prohibit", "restrict"]
    activity: str = Field(min_length=1)
    # The land-use classes the rule is about; empty when the rule concerns an activity only.
    land_use: tuple[LandUseCode, ...] = ()
    # Whether the rule applies inside the zone/line (default) or outside it (城镇开发边界外).
    scope: Literal["inside", "outside"] = "inside"
    source: SourceRef
    confidence: Confidence
    note: str | None = None

    @model_validator(mode="after")
    def _source_names_article(self) -> ZoneRule:
        if not (self.source.article or self.source.clause):
            raise ValueError("a zone rule's source must name the article or clause")
        return self


class ZoneType(_Frozen):
    id: Identifier
    name: str = Field(min_length=1)
    kind: Literal["control_line", "functional_space", "planning_zone"]
    level: Literal[1, 2, 3] | None = None
    parent: Identifier | None = None
    definition: str = Field(min_length=1)
    source: SourceRef | None = None  # None: the file-level source applies
    legal_basis: SourceRef | None = None  # the statute clause that establishes it
    governed_by: tuple[Identifier, ...] = ()
    # 主导用途 named by the zone's definition (以…为主要功能导向); not a permission.
    dominant_land_use: tuple[LandUseCode, ...] = ()
    rules: tuple[ZoneRule, ...] = ()

    @model_validator(mode="after")
    def _levels(self) -> ZoneType:
        if self.kind == "planning_zone":
            if self.level is None:
                raise ValueError("a planning_zone needs a level")
            if (self.level == 1) != (self.parent is None):
                raise ValueError("a level-1 planning zone has no parent; deeper levels need one")
        elif self.level is not None or self.parent is not None:
            raise ValueError(f"{self.kind} has no level or parent")
        return self


class ZoneFile(_Frozen):
    schema_version: Literal[1]
    source: SourceRef
    zones: tuple[ZoneType, ...] = Field(min_length=1)


# ---------------------------------------------------------------- 指标


PlanLevel = Literal["国家", "省", "市", "县", "乡镇"]


class Computation(_Frozen):
    """How an assessment indicator is computed from a region's inputs (agents/assessment):

    - `land_area`: survey polygons whose 用地用海 code starts with one of `codes` (or every
      construction class, `construction: true`), optionally only 城镇, 村庄 or the part inside
      the 城镇开发边界 (`setting`);
    - `zone_area`: the area of one 三区三线 layer (`zone`) within the region;
    - `quotient`: `numerator` / `denominator` × `factor`; each operand an indicator id or
      `stat:<column>` of the statistics table; `base_denominator`: the denominator's base-year
      value;
    - `statistic`: a column of the statistics table;
    - `decline`: how far `numerator`/`denominator` fell against the base year, in %;
    - `converted_area`: land that was `codes` in the base survey and is construction land now.
    """

    method: Literal["land_area", "zone_area", "quotient", "statistic", "decline",
                    "converted_area"]
    codes: tuple[str, ...] = ()
    construction: bool = False
    setting: Literal["城镇", "村庄", "城镇开发边界内"] | None = None
    zone: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    factor: float = 1.0
    base_denominator: bool = False  # the denominator as of the base year (扩展倍数)
    column: str | None = None

    @model_validator(mode="after")
    def _operands(self) -> Computation:
        needs = {"land_area": bool(self.codes) or self.construction,
                 "zone_area": self.zone is not None,
                 "quotient": bool(self.numerator and self.denominator),
                 "decline": bool(self.numerator and self.denominator),
                 "statistic": self.column is not None,
                 "converted_area": bool(self.codes)}
        if not needs[self.method]:
            raise ValueError(f"{self.method} is missing its operands")
        return self


class Assessment(_Frozen):
    """An indicator's part in 体检评估: 约束性 or 预期性, which way is better, the plan levels
    that set it, and how guihua computes it."""

    kind: Literal["约束性", "预期性"]
    direction: Literal["higher", "lower"]  # which way is better
    levels: tuple[PlanLevel, ...] = Field(min_length=1)
    compute: Computation
    # What to search the clause store for when a warning needs its legal basis.
    basis_query: str | None = None


class Indicator(_Frozen):
    id: Identifier
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    unit: str = Field(min_length=1)  # "1" for dimensionless
    definition: str = Field(min_length=1)
    formula: str | None = None
    source: SourceRef
    note: str | None = None
    assessment: Assessment | None = None


class IndicatorFile(_Frozen):
    schema_version: Literal[1]
    source: SourceRef
    indicators: tuple[Indicator, ...] = Field(min_length=1)


# ---------------------------------------------------------------- 规则包


class StoreyRange(_Frozen):
    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> StoreyRange:
        if self.min > self.max:
            raise ValueError(f"min {self.min} > max {self.max}")
        return self


class Conditions(_Frozen):
    """When a rule applies. Every given key must match; absent keys do not constrain."""

    land_use: tuple[LandUseCode, ...] = ()
    climate_zone: tuple[ClimateZone, ...] = ()
    height_class: tuple[HeightClass, ...] = ()
    average_storeys: StoreyRange | None = None
    development_type: tuple[Literal["new", "renewal"], ...] = ()
    life_circle: tuple[Literal["15min", "10min", "5min"], ...] = ()
    layout: tuple[Literal["standard", "high_density"], ...] = ()
    region: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _storeys_within_height_class(self) -> Conditions:
        # Both keys describe the same thing; a range outside the named classes is a typo.
        if self.height_class and self.average_storeys:
            lo = min(HEIGHT_CLASS_STOREYS[c][0] for c in self.height_class)
            hi = max(HEIGHT_CLASS_STOREYS[c][1] for c in self.height_class)
            r = self.average_storeys
            if r.min < lo or r.max > hi:
                raise ValueError(
                    f"average_storeys {r.min}-{r.max} lies outside height_class "
                    f"{list(self.height_class)} ({lo}-{hi})")
        return self


class Rule(_Frozen):
    id: RuleId
    indicator: Identifier
    operator: Operator
    threshold: float | None = None
    min: float | None = None
    max: float | None = None
    unit: str = Field(min_length=1)
    conditions: Conditions = Conditions()
    severity: Severity
    source: SourceRef
    confidence: Confidence
    supersedes: tuple[RuleId, ...] = ()
    note: str | None = None

    @model_validator(mode="after")
    def _operands(self) -> Rule:
        if self.operator == "between":
            if self.min is None or self.max is None or self.threshold is not None:
                raise ValueError("operator 'between' needs min and max and no threshold")
            if self.min > self.max:
                raise ValueError(f"min {self.min} > max {self.max}")
        elif self.threshold is None or self.min is not None or self.max is not None:
            raise ValueError(f"operator {self.operator!r} needs threshold and no min/max")
        if not (self.source.clause or self.source.article or self.source.table):
            raise ValueError("a rule's source must name a clause, article or table")
        return self

    def check(self, value: float) -> bool:
        """Whether `value` (in this rule's unit) satisfies the rule."""
        match self.operator:
            case "between":
                return self.min <= value <= self.max  # type: ignore[operator]
            case "<=":
                return value <= self.threshold  # type: ignore[operator]
            case "<":
                return value < self.threshold  # type: ignore[operator]
            case ">=":
                return value >= self.threshold  # type: ignore[operator]
            case ">":
                return value > self.threshold  # type: ignore[operator]
            case _:
                return value == self.threshold


class PackHeader(_Frozen):
    id: RuleId
    title: str = Field(min_length=1)
    jurisdiction: Literal["national", "local"]
    region: str | None = None


class RulePack(_Frozen):
    schema_version: Literal[1]
    pack: PackHeader
    source: SourceRef
    rules: tuple[Rule, ...] = Field(min_length=1)
