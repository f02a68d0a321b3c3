"""Legal definitions (法定定义) in clause text: 本法所称永久基本农田，是指…; 前款所称X，是指…;
X是指…; 本条例下列用语的含义：（一）X，是指…."""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERM = r"[\u4e00-\u9fa5A-Za-z0-9（）()“”\"、]{2,24}?"
_PATTERNS = [
    # 本法所称永久基本农田，是指… / 前款所称… / 本条例所称…
    re.compile(rf"(?:本(?:法|条例|办法|规定|细则|标准)|前款|本条|本章)所称(?:的)?(?P<term>{_TERM})[，,]?(?:是指|指|包括)"),
    # an item or paragraph that opens with the term: （一）城镇开发边界，是指… / 湿地，是指…
    re.compile(rf"^(?:[（(][一二三四五六七八九十]+[)）])?(?P<term>{_TERM})[，,]?是指"),
]
_QUOTES = "“”\"「」"


@dataclass(frozen=True)
class Definition:
    term: str
    start: int  # offset of the definition in the text
    end: int


def find_definitions(text: str) -> list[Definition]:
    found: dict[str, Definition] = {}
    for line_start, line in _lines(text):
        for pattern in _PATTERNS:
            for match in pattern.finditer(line):
                term = match.group("term")
                quoted = re.search(r"[“\"「]([^”\"」]{2,20})[”\"」]", term)
                term = (quoted.group(1) if quoted else term).strip(_QUOTES + "的")
                if len(term) < 2 or term.startswith(("本", "下列")) or "所称" in term:
                    continue
                for part in _split_terms(term):
                    found.setdefault(part, Definition(part, line_start + match.start(),
                                                      line_start + match.end()))
    return list(found.values())


def _split_terms(term: str) -> list[str]:
    """'城镇开发边界、生态保护红线' defines both."""
    return [t.strip(_QUOTES) for t in re.split(r"[、]", term) if len(t.strip(_QUOTES)) >= 2]


def _lines(text: str) -> list[tuple[int, str]]:
    out, offset = [], 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out
