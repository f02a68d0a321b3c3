"""Document metadata from a title and its 题注 (the adoption/amendment history under the title):
short name, level, issuing body, region, and the dates of this version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from corpus.model import Level

_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_NATIONAL_PREFIX = "中华人民共和国"
_REGION = re.compile(r"^([\u4e00-\u9fa5]{2,9}?(?:特别行政区|自治区|自治州|自治县|省|市|县|区|州|盟))")
_NOT_REGIONS = {"城市", "城区", "市区", "地区", "山区", "景区", "社区", "园区", "片区", "街区", "矿区",
                "自然保护区", "风景名胜区", "保护区", "开发区", "示范区", "试验区"}
_BODY = re.compile(
    r"(?P<place>全国|[\u4e00-\u9fa5]{2,9}?(?:省|市|自治区|自治州|县|区))(?:第[一二三四五六七八九十]+届)?"
    r"(?P<congress>人民代表大会(?:常务委员会)?)"
    r"|(?P<other>国务院|最高人民法院|最高人民检察院"
    r"|[\u4e00-\u9fa5]{2,9}?(?:省|市|自治区|县|区)人民政府"
    r"|[\u4e00-\u9fa5]{2,10}?部(?=令|第|公告|发布))")
_STANDARD_CODE = re.compile(r"(?<![A-Za-z])(GB|GB/T|CJJ|CJJ/T|TD/T|JGJ|DB\d{0,2}(?:/T)?)\s*[0-9.]+(?:[-—]\d{4})?")


# A trailing note in a title: （杭规划资源发〔2026〕4号，2026-04-01施行）
_TITLE_NOTE = re.compile(r"[（(]([^（）()]*(?:〔\d{4}〕\d+号|施行|实施|发布|印发)[^（）()]*)[）)]$")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fa5]+〔\d{4}〕\d+号")


@dataclass
class DocumentMeta:
    title: str
    short_name: str
    level: Level
    version: str | None
    promulgated: date | None
    effective: date | None
    repealed: date | None
    issuing_body: str | None
    region: str | None
    doc_number: str | None = None  # 文号, e.g. 国土资发〔2012〕16号


def _to_date(match: re.Match[str]) -> date | None:
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_iso_date(text: str | None) -> date | None:
    if not text:
        return None
    match = _ISO_DATE.search(text)
    return _to_date(match) if match else None


def short_name_of(title: str) -> str:
    """'中华人民共和国土地管理法' → '土地管理法'; whitespace and book-title marks removed."""
    name = re.sub(r"[\s《》\u3000]", "", title)
    if name.startswith(_NATIONAL_PREFIX) and len(name) > len(_NATIONAL_PREFIX) + 1:
        name = name[len(_NATIONAL_PREFIX):]
    return name


def region_of(title: str) -> str | None:
    if "诉" in title:  # a case (王某诉安徽省某县人民政府…) is about a party, not a region's law
        return None
    match = _REGION.match(short_name_of(title))
    if not match or match.group(1) in _NOT_REGIONS:
        return None
    return match.group(1)


_EVENT = re.compile(r"通过|修正|修订|公布|发布|颁布|印发|批准|施行|实施|生效|废止")
_QUOTED = re.compile(r"《[^《》]*》|〈[^〈〉]*〉")


def _history_dates(preamble: list[str]) -> tuple[date | None, date | None, date | None]:
    """(latest version date, effective date, repeal date) from 题注 lines such as
    '2019年8月26日第十三届全国人大常委会第十二次会议《关于修改…的决定》第三次修正'. The event
    of a date is the last event word before the next date, outside book-title marks."""
    version = effective = repealed = None
    for line in preamble:
        matches = list(_DATE.finditer(line))
        for i, match in enumerate(matches):
            day = _to_date(match)
            if day is None:
                continue
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            events = _EVENT.findall(_QUOTED.sub("", line[match.end():end]))
            event = events[-1] if events else ""
            if event == "废止":
                repealed = day
            elif event in ("施行", "实施", "生效"):
                effective = max(effective, day) if effective else day
            elif event:
                version = max(version, day) if version else day
    return version, effective, repealed


def guess_level(title: str, preamble_text: str, genre: str, region: str | None) -> Level:
    if genre == "case":
        return Level.CASE
    if genre == "standard" or _STANDARD_CODE.search(title):
        code = _STANDARD_CODE.search(title)
        prefix = code.group(1) if code else ""
        if prefix.startswith("GB"):
            return Level.NATIONAL_STANDARD
        if prefix.startswith("DB"):
            return Level.LOCAL_STANDARD
        if prefix:
            return Level.INDUSTRY_STANDARD
    if "最高人民法院" in title or "最高人民检察院" in title:
        return Level.JUDICIAL_INTERPRETATION
    if "宪法" == short_name_of(title):
        return Level.CONSTITUTION
    if region:
        if "人民政府令" in preamble_text or ("人民政府" in preamble_text
                                          and "人民代表大会" not in preamble_text):
            return Level.LOCAL_GOV_RULE
        if title.endswith(("条例", "法")) or "人民代表大会" in preamble_text:
            return Level.LOCAL_REGULATION
        return Level.NORMATIVE_DOCUMENT if "通知" in title else Level.LOCAL_GOV_RULE
    if re.search(r"(法|法典|编)$", short_name_of(title)):
        return Level.LAW
    if "部令" in preamble_text or re.search(r"(部|局|委员会)令", preamble_text):
        return Level.DEPARTMENT_RULE
    if re.search(r"(条例|细则|办法|规定)$", title) and ("国务院" in preamble_text or not preamble_text):
        return Level.ADMIN_REGULATION
    if re.search(r"(通知|意见|决定|函|批复)$", title) or "〔" in title:
        return Level.NORMATIVE_DOCUMENT
    return Level.NORMATIVE_DOCUMENT


def infer_metadata(title: str, preamble: list[str], genre: str, file_date: str | None,
                   level_override: Level | None = None) -> DocumentMeta:
    title = re.sub(r"\s+", "", title)
    note = _TITLE_NOTE.search(title)
    if note:
        title = title[: note.start()]
        preamble = [_ISO_DATE.sub(lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日", note.group(1)),
                    *preamble]
    preamble_text = "\n".join(preamble)
    number = _DOC_NUMBER.search(preamble_text)
    version, effective, repealed = _history_dates(preamble)
    named_version = parse_iso_date(file_date)
    if named_version:
        version = named_version
    region = region_of(title)
    level = level_override or (Level.NORMATIVE_DOCUMENT if number and genre != "standard"
                               else guess_level(title, preamble_text, genre, region))
    body_match = _BODY.search(preamble_text)
    issuing_body = None
    if body_match:
        issuing_body = body_match.group("other") or (
            body_match.group("place") + body_match.group("congress"))
    if level is Level.ADMIN_REGULATION and issuing_body is None:
        issuing_body = "国务院"
    return DocumentMeta(title=title, short_name=short_name_of(title), level=level,
                        version=(version or effective).isoformat() if version or effective else None,
                        promulgated=version, effective=effective, repealed=repealed,
                        issuing_body=issuing_body, region=region,
                        doc_number=number.group(0) if number else None)
