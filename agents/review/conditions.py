"""规划条件 per parcel, from a JSON file:

    {"A-01": {"容积率": "≤2.5", "建筑密度": {"max": 30}, "绿地率": 35, "建筑限高": 60}, …}

Keys may be Chinese or the check names (far, density, green_ratio, height). A bare number is the
upper limit, except for 绿地率 where it is the lower limit; "≤"/"≥" strings say so explicitly.
Anything else is an error naming the parcel and key — limits are never half-read."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agents.compliance.model import Limit, ParcelConditions
from agents.review.columns import heading_field, normalise, parse_number
from corpus.errors import BilingualError

_CHECKS = {"far", "density", "green_ratio", "height"}


class ReviewInputError(BilingualError):
    """A submitted file cannot be reviewed as given."""


def _limit(check: str, value: object, where: str) -> Limit:
    if isinstance(value, bool):
        raise ReviewInputError("规划条件的取值无法识别", "unreadable limit", where)
    if isinstance(value, (int, float)):
        return Limit(min=float(value)) if check == "green_ratio" else Limit(max=float(value))
    if isinstance(value, dict) and set(value) <= {"min", "max"} and value:
        try:
            return Limit(*(float(value[k]) if value.get(k) is not None else None
                           for k in ("min", "max")))
        except (TypeError, ValueError):
            pass
    if isinstance(value, str):
        number = parse_number(value)
        text = normalise(value)
        if number is not None:
            if re.search(r"[≥>]|不小于|不低于|以上", text):
                return Limit(min=number)
            if re.search(r"[≤<]|不大于|不高于|不超过|以下", text):
                return Limit(max=number)
            return _limit(check, number, where)
    raise ReviewInputError("规划条件的取值无法识别", "unreadable limit",
                           f"{where}: {value!r}（应为数字、\"≤2.5\" 或 {{\"max\": 2.5}}）")


def read_conditions(path: Path) -> dict[str, ParcelConditions]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ReviewInputError("无法读取规划条件文件", "cannot read the 规划条件 file",
                               f"{path.name}: {err}") from err
    if not isinstance(data, dict):
        raise ReviewInputError("规划条件文件应为以地块编号为键的对象",
                               "the 规划条件 file must map parcel ids to limits", path.name)
    result = {}
    for parcel, limits in data.items():
        if not isinstance(limits, dict):
            raise ReviewInputError("规划条件应为指标到限值的对象", "limits must be an object",
                                   f"{path.name}: {parcel}")
        parsed: dict[str, Limit] = {}
        for key, value in limits.items():
            check = key if key in _CHECKS else heading_field(key)
            if check == "storeys" or check not in _CHECKS:
                raise ReviewInputError("规划条件中有无法识别的指标", "unknown indicator in 规划条件",
                                       f"{path.name}: {parcel}.{key}（可用 容积率、建筑密度、绿地率、建筑限高）")
            parsed[check] = _limit(check, value, f"{path.name}: {parcel}.{key}")
        result[str(parcel).strip()] = ParcelConditions(str(parcel).strip(), parsed, path.name)
    return result
