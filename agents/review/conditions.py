"""规划条件 per parcel, from a JSON file, in the shapes other systems write them:

    {"A-01": {"容积率": "≤2.5", "建筑密度": {"max": 30}, "绿地率": 35, "建筑限高": 60}}
    {"A-01": {"far_max": 2.5, "green_ratio_min": 30, "max_height": 60}}
    [{"地块编号": "A-01", "容积率上限": 2.5, "绿地率下限": 30}]        (also under "parcels" /
    {"conditions": […]})                                              "conditions")

An indicator is named in Chinese or English (容积率/far/plot_ratio, 建筑密度/density/coverage,
绿地率/green_ratio, 限高/height …); its bound by the key (_max, 上限, max_) or the value
("≤2.5", {"min": 30}); a bare number is the upper bound except for 绿地率, the lower. A value
that cannot be read is an error naming the parcel and key — limits are never half-read; a key
that names no indicator (备注, 用地性质) is reported as ignored, not silently dropped."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agents.compliance.model import Evidence, Finding, Limit, ParcelConditions
from agents.review.columns import normalise, parse_number
from agents.review.errors import ReviewInputError

_INDICATOR_KEYS = (("far", r"容积率|far|plot.?ratio|floor.?area.?ratio"),
                   ("density", r"建筑密度|覆盖率|density|coverage"),
                   ("green_ratio", r"绿地率|绿化率|green"),
                   ("height", r"限高|高度|height"))
_UPPER = re.compile(r"max|upper|上限|最大|不大于|不高于|不超过|≤|<")
_LOWER = re.compile(r"min|lower|下限|最小|不小于|不低于|≥|>")
_ID_KEYS = ("地块编号", "地块编码", "编号", "parcel_id", "parcel", "id", "DKBH")


def _indicator(key: str) -> str | None:
    text = normalise(key).lower()
    return next((check for check, pattern in _INDICATOR_KEYS if re.search(pattern, text)), None)


def _bound_from_key(key: str) -> str | None:
    text = normalise(key).lower()
    if _UPPER.search(text):
        return "max"
    if _LOWER.search(text):
        return "min"
    return None


def _limit(check: str, bound: str | None, value: object, where: str) -> Limit:
    def by(number: float, side: str | None) -> Limit:
        side = side or ("min" if check == "green_ratio" else "max")
        return Limit(min=number) if side == "min" else Limit(max=number)

    if isinstance(value, bool):
        raise ReviewInputError("规划条件的取值无法识别", "unreadable limit", f"{where}: {value!r}")
    if isinstance(value, (int, float)):
        return by(float(value), bound)
    if isinstance(value, dict) and value and set(value) <= {"min", "max"}:
        try:
            return Limit(*(float(value[k]) if value.get(k) is not None else None
                           for k in ("min", "max")))
        except (TypeError, ValueError):
            pass
    if isinstance(value, str):
        number = parse_number(value)
        if number is not None:
            text = normalise(value)
            side = "min" if _LOWER.search(text) else "max" if _UPPER.search(text) else bound
            return by(number, side)
    raise ReviewInputError("规划条件的取值无法识别", "unreadable limit",
                           f"{where}: {value!r}（应为数字、\"≤2.5\" 或 {{\"max\": 2.5}}）")


def _merge(a: Limit | None, b: Limit) -> Limit:
    if a is None:
        return b
    return Limit(b.min if b.min is not None else a.min, b.max if b.max is not None else a.max)


def _entries(data: object, name: str) -> list[tuple[str, dict]]:
    if isinstance(data, dict):
        for wrapper in ("parcels", "conditions", "地块", "规划条件"):
            if wrapper in data and isinstance(data[wrapper], (dict, list)):
                return _entries(data[wrapper], name)
        if all(isinstance(v, dict) for v in data.values()):
            return [(str(k).strip(), v) for k, v in data.items()]
    if isinstance(data, list) and all(isinstance(v, dict) for v in data):
        entries = []
        for i, row in enumerate(data):
            pid = next((row[k] for k in _ID_KEYS if row.get(k) not in (None, "")), None)
            if pid is None:
                raise ReviewInputError("规划条件缺少地块编号", "a 规划条件 entry has no parcel id",
                                       f"{name}: [{i}]")
            entries.append((str(pid).strip(), {k: v for k, v in row.items() if k not in _ID_KEYS}))
        return entries
    raise ReviewInputError("规划条件文件应为以地块编号为键的对象，或含地块编号的列表",
                           "the 规划条件 file must map parcel ids to limits, or list them", name)


def read_conditions(path: Path) -> tuple[dict[str, ParcelConditions], list[Finding]]:
    """The limits per parcel, and findings for the keys that named no indicator."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReviewInputError("无法读取规划条件文件", "cannot read the 规划条件 file",
                               f"{path.name}: {err}") from err
    result: dict[str, ParcelConditions] = {}
    ignored: list[str] = []
    for parcel, limits in _entries(data, path.name):
        parsed: dict[str, Limit] = {}
        for key, value in limits.items():
            check = _indicator(key)
            if check is None:
                ignored.append(f"{parcel}.{key}")
                continue
            limit = _limit(check, _bound_from_key(key), value, f"{path.name}: {parcel}.{key}")
            parsed[check] = _merge(parsed.get(check), limit)
        result[parcel] = ParcelConditions(parcel, parsed, path.name)
    findings = []
    if ignored:
        findings.append(Finding(
            "conditions.ignored_keys", "warning", "consistency", path.name,
            f"规划条件中以下项不是可审查的指标，已忽略：{'、'.join(ignored[:10])}"
            + ("等" if len(ignored) > 10 else ""), None, None, None, Evidence(path.name),
            "如需审查，请使用 容积率、建筑密度、绿地率、建筑限高 等指标名"))
    return result, findings
