"""A plan's metadata from its text: name, kind (控制性详细规划, 村庄规划 …), region, period and the
building climate zone (建筑气候区划, which decides the GB 50180 row). Only what the text states:
nothing is guessed from the file name beyond the name itself."""

from __future__ import annotations

import re

from agents.compliance.model import PlanMeta

_KIND = re.compile(r"(控制性详细规划|修建性详细规划|村庄规划|详细规划|国土空间总体规划|总体规划|专项规划)")
_PERIOD = re.compile(r"[（(]?\s*(20\d{2})\s*(?:年)?\s*[—\-–~～至到]+\s*(20\d{2})\s*年?\s*[）)]?")
# Consecutive administrative names at the start: 浙江省杭州市西湖区, 某县某某镇某某村.
_REGION = re.compile(r"^((?:[^省市区县旗镇乡村（(]{1,10}?(?:省|自治区|自治州|市|区|县|旗|镇|乡|街道|村))+)")
_ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "Ⅴ": "V", "Ⅵ": "VI", "Ⅶ": "VII",
          "1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI", "7": "VII",
          "一": "I", "二": "II", "三": "III", "四": "IV", "五": "V", "六": "VI", "七": "VII"}
_CLIMATE = re.compile(r"建筑气候区划[^。；\n]{0,12}?(VII|VI|IV|V|III|II|I|[ⅠⅡⅢⅣⅤⅥⅦ1-7一二三四五六七])"
                      r"\s*[A-Da-d]?\s*[区类]")


def plan_metadata(lines: list[str], file_title: str | None) -> PlanMeta:
    """`lines`: the document's headings and paragraphs in order (the first few matter most)."""
    head = [line.strip() for line in lines[:40] if line.strip()]
    name = next((line for line in head if _KIND.search(line) and len(line) <= 60), None)
    name = name or file_title
    text = "\n".join(lines)
    kind = _KIND.search(name or "") or _KIND.search(text)
    period = _PERIOD.search(name or "") or _PERIOD.search("\n".join(head))
    region = _REGION.match(_KIND.split(name)[0]) if name else None
    climate = _CLIMATE.search(text)
    return PlanMeta(
        name=_PERIOD.sub("", name).strip() if name else None,
        kind=kind.group(1) if kind else None,
        region=region.group(1) if region else None,
        period=f"{period.group(1)}—{period.group(2)}年" if period else None,
        climate_zone=_ROMAN.get(climate.group(1), climate.group(1)) if climate else None)
