"""Load and validate the domain tables shipped under kg/domain/data (and local rule packs).

Every problem raises DomainDataError naming the file and the field (for example
`gb50180-2018.yaml: rules[3](id=…).indicator: unknown indicator 'farr'`), so a broken data file
or local pack is fixed from the message alone.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from kg.domain.schemas import (
    Indicator,
    IndicatorFile,
    LandUseClass,
    LandUseFile,
    RulePack,
    SourceRef,
    ZoneFile,
    ZoneType,
)

M = TypeVar("M", bound=BaseModel)

LAND_USE_FILE = "land_use_classes.yaml"
ZONE_FILE = "zone_types.yaml"
INDICATOR_FILE = "indicators.yaml"
RULES_DIR = "rules"


class DomainDataError(ValueError):
    """A domain data file is malformed or inconsistent."""

    def __init__(self, file: str | Path | Traversable, field: str, message: str) -> None:
        self.file = str(file)
        self.field = field
        self.message = message
        where = f"{self.file}: {field}" if field else self.file
        super().__init__(f"{where}: {message}")


def data_dir() -> Traversable:
    return files("kg.domain") / "data"


# ---------------------------------------------------------------- YAML and validation


class _StrictLoader(yaml.SafeLoader):
    """safe_load, but a duplicated key is an error rather than last-one-wins."""


def _no_duplicate_keys(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicate_keys)


def read_yaml(path: Path | Traversable) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DomainDataError(path, "", f"cannot read: {e}") from e
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as e:
        raise DomainDataError(path, "", f"invalid YAML: {e}") from e


def _field_path(loc: Sequence[int | str], data: Any) -> str:
    """('rules', 3, 'indicator') -> 'rules[3](id=x).indicator', naming the record by id/code."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict):
                for key in ("id", "code"):
                    if key in node:
                        out += f"({key}={node[key]})"
                        break
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def validate_model(model: type[M], data: Any, path: Path | Traversable) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        first = _field_path(errors[0]["loc"], data)
        detail = "; ".join(f"{_field_path(err['loc'], data) or '<root>'}: {err['msg']}"
                           for err in errors)
        raise DomainDataError(path, first, detail) from e


# ---------------------------------------------------------------- 用地用海分类


def index_by_code(items: Sequence[Any], field: str, path: Path | Traversable) -> dict[str, Any]:
    """Rows of a coded table (用地用海分类, 行政区划) by code; a repeated code is an error."""
    by_code: dict[str, Any] = {}
    for i, item in enumerate(items):
        if item.code in by_code:
            raise DomainDataError(path, f"{field}[{i}](code={item.code}).code", "duplicate code")
        by_code[item.code] = item
    return by_code


def _check_land_use(doc: LandUseFile, path: Path | Traversable) -> None:
    codes: dict[str, LandUseClass] = index_by_code(doc.classes, "classes", path)
    for i, c in enumerate(doc.classes):
        if c.parent is not None and c.parent not in codes:
            raise DomainDataError(path, f"classes[{i}](code={c.code}).parent",
                                  f"parent {c.parent!r} is not in the table")


@functools.cache
def _land_use_builtin() -> LandUseFile:
    return _load_land_use_file(data_dir() / LAND_USE_FILE)


def _load_land_use_file(path: Path | Traversable) -> LandUseFile:
    doc = validate_model(LandUseFile, read_yaml(path), path)
    _check_land_use(doc, path)
    return doc


def load_land_use_classes(path: Path | None = None) -> list[LandUseClass]:
    """All 用地用海 classes (一级、二级、三级), in file order. `path` overrides the shipped table."""
    doc = _land_use_builtin() if path is None else _load_land_use_file(path)
    return list(doc.classes)


def land_use_by_code(path: Path | None = None) -> dict[str, LandUseClass]:
    return {c.code: c for c in load_land_use_classes(path)}


def land_use_source() -> SourceRef:
    """The citation of the shipped 用地用海 table."""
    return _land_use_builtin().source


# ---------------------------------------------------------------- 三区三线与规划分区


def _check_zones(doc: ZoneFile, codes: set[str], path: Path | Traversable) -> None:
    by_id: dict[str, ZoneType] = {}
    for i, z in enumerate(doc.zones):
        if z.id in by_id:
            raise DomainDataError(path, f"zones[{i}](id={z.id}).id", "duplicate zone id")
        by_id[z.id] = z
    for i, z in enumerate(doc.zones):
        here = f"zones[{i}](id={z.id})"
        if z.parent is not None:
            parent = by_id.get(z.parent)
            if parent is None:
                raise DomainDataError(path, f"{here}.parent", f"unknown zone {z.parent!r}")
            if parent.level is None or z.level != parent.level + 1:
                raise DomainDataError(path, f"{here}.level",
                                      f"level {z.level} under {parent.id} (level {parent.level})")
        for j, g in enumerate(z.governed_by):
            if by_id.get(g) is None or by_id[g].kind != "control_line":
                raise DomainDataError(path, f"{here}.governed_by[{j}]",
                                      f"{g!r} is not a control_line in this file")
        for j, code in enumerate(z.dominant_land_use):
            if code not in codes:
                raise DomainDataError(path, f"{here}.dominant_land_use[{j}]",
                                      f"unknown 用地用海 code {code!r}")
        for j, rule in enumerate(z.rules):
            for k, code in enumerate(rule.land_use):
                if code not in codes:
                    raise DomainDataError(path, f"{here}.rules[{j}].land_use[{k}]",
                                          f"unknown 用地用海 code {code!r}")


@functools.cache
def _zones_builtin() -> ZoneFile:
    return _load_zone_file(data_dir() / ZONE_FILE)


def _load_zone_file(path: Path | Traversable) -> ZoneFile:
    doc = validate_model(ZoneFile, read_yaml(path), path)
    _check_zones(doc, set(land_use_by_code()), path)
    return doc


def load_zone_types(path: Path | None = None) -> list[ZoneType]:
    """三条控制线, 三类空间 and 规划分区 with their allow/prohibit/restrict rules."""
    doc = _zones_builtin() if path is None else _load_zone_file(path)
    return list(doc.zones)


# ---------------------------------------------------------------- 指标


@functools.cache
def _indicators_builtin() -> IndicatorFile:
    return _load_indicator_file(data_dir() / INDICATOR_FILE)


def _load_indicator_file(path: Path | Traversable) -> IndicatorFile:
    doc = validate_model(IndicatorFile, read_yaml(path), path)
    seen: set[str] = set()
    for i, ind in enumerate(doc.indicators):
        if ind.id in seen:
            raise DomainDataError(path, f"indicators[{i}](id={ind.id}).id", "duplicate indicator id")
        seen.add(ind.id)
    for i, ind in enumerate(doc.indicators):
        compute = ind.assessment.compute if ind.assessment else None
        for operand in (compute.numerator, compute.denominator) if compute else ():
            if operand and not operand.startswith("stat:") and not any(
                    other.id == operand and other.assessment for other in doc.indicators):
                raise DomainDataError(path, f"indicators[{i}](id={ind.id}).assessment.compute",
                                      f"{operand!r} is not an assessment indicator")
    return doc


def load_indicators(path: Path | None = None) -> list[Indicator]:
    doc = _indicators_builtin() if path is None else _load_indicator_file(path)
    return list(doc.indicators)


def indicators_by_id() -> dict[str, Indicator]:
    return {i.id: i for i in load_indicators()}


# ---------------------------------------------------------------- 规则包


def _pack_files(folder: Path | Traversable) -> list[Path | Traversable]:
    return sorted((p for p in folder.iterdir() if p.is_file() and p.name.endswith((".yaml", ".yml"))),
                  key=lambda p: p.name)


def _check_pack(pack: RulePack, path: Path | Traversable, indicators: dict[str, Indicator],
                codes: set[str]) -> None:
    for i, rule in enumerate(pack.rules):
        here = f"rules[{i}](id={rule.id})"
        ind = indicators.get(rule.indicator)
        if ind is None:
            raise DomainDataError(path, f"{here}.indicator", f"unknown indicator {rule.indicator!r}")
        if rule.unit != ind.unit:
            raise DomainDataError(path, f"{here}.unit",
                                  f"unit {rule.unit!r} differs from indicator {ind.id}'s unit {ind.unit!r}")
        for k, code in enumerate(rule.conditions.land_use):
            if code not in codes:
                raise DomainDataError(path, f"{here}.conditions.land_use[{k}]",
                                      f"unknown 用地用海 code {code!r}")


def load_rule_packs(extra_dirs: Iterable[Path] = (), *, builtin: bool = True) -> list[RulePack]:
    """The shipped rule packs (unless builtin=False) followed by every *.yaml pack in extra_dirs.

    Validates each rule against indicators.yaml (id and unit) and land_use_classes.yaml (codes in
    conditions), and across packs: pack ids and rule ids are unique, supersedes names a rule.
    """
    folders: list[Path | Traversable] = [data_dir() / RULES_DIR] if builtin else []
    for d in extra_dirs:
        d = Path(d)
        if not d.is_dir():
            raise DomainDataError(d, "", "rule-pack folder does not exist")
        folders.append(d)

    indicators = indicators_by_id()
    codes = set(land_use_by_code())
    packs: list[RulePack] = []
    pack_ids: dict[str, str] = {}
    rule_ids: dict[str, str] = {}
    origin: list[tuple[RulePack, Path | Traversable]] = []
    for folder in folders:
        for path in _pack_files(folder):
            pack = validate_model(RulePack, read_yaml(path), path)
            if pack.pack.id in pack_ids:
                raise DomainDataError(path, "pack.id",
                                      f"pack id {pack.pack.id!r} already used by {pack_ids[pack.pack.id]}")
            pack_ids[pack.pack.id] = str(path)
            _check_pack(pack, path, indicators, codes)
            for i, rule in enumerate(pack.rules):
                if rule.id in rule_ids:
                    raise DomainDataError(path, f"rules[{i}](id={rule.id}).id",
                                          f"rule id already defined in {rule_ids[rule.id]}")
                rule_ids[rule.id] = str(path)
            packs.append(pack)
            origin.append((pack, path))
    # supersedes may point at a rule in any pack, so check once all are read.
    for pack, path in origin:
        for i, rule in enumerate(pack.rules):
            for k, target in enumerate(rule.supersedes):
                if target not in rule_ids:
                    raise DomainDataError(path, f"rules[{i}](id={rule.id}).supersedes[{k}]",
                                          f"no loaded rule has id {target!r}")
    return packs
