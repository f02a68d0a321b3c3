"""Chinese numerals ↔ integers, and article labels such as 第一百零二条 / 第十条之一."""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")

CN_NUMBER = "零〇○一二三四五六七八九十百千万两"


def cn_to_int(text: str) -> int:
    """Parse a Chinese (or Arabic, half- or full-width) numeral: 一百零二 → 102, 十 → 10."""
    text = text.strip().translate(_FULLWIDTH)
    if not text:
        raise ValueError("empty numeral")
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            total += (section + (digit or 0)) * _BIG_UNITS[ch]
            section, digit = 0, None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + section + (digit or 0)


def int_to_cn(number: int) -> str:
    """Write an integer the way statutes do: 10 → 十, 102 → 一百零二, 110 → 一百一十."""
    if number < 0:
        raise ValueError("negative numbers have no statute form")
    if number == 0:
        return "零"
    if number >= 10_000:
        high, low = divmod(number, 10_000)
        rest = "" if low == 0 else ("零" if low < 1000 else "") + int_to_cn(low)
        return int_to_cn(high) + "万" + rest
    digits = "零一二三四五六七八九"
    out: list[str] = []
    pending_zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, number = divmod(number, value)
        if d:
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(digits[d] + unit)
        elif out:
            pending_zero = True
    text = "".join(out)
    # 一十二 is written 十二 only when the number starts with ten.
    return text[1:] if text.startswith("一十") else text


ARTICLE_LABEL = re.compile(
    rf"^第([{CN_NUMBER}0-9０-９]+)条(?:之([{CN_NUMBER}0-9０-９]+))?")


@dataclass(frozen=True, order=True)
class ArticleNo:
    """An article number: 第十条之一 is ArticleNo(10, 1); plain 第十条 is ArticleNo(10, 0)."""

    main: int
    sub: int = 0

    @property
    def key(self) -> str:
        """The compact form used in clause ids: '10', '10之1'."""
        return f"{self.main}之{self.sub}" if self.sub else str(self.main)

    @property
    def label(self) -> str:
        """The form printed in statutes: 第十条, 第十条之一."""
        base = f"第{int_to_cn(self.main)}条"
        return f"{base}之{int_to_cn(self.sub)}" if self.sub else base

    @classmethod
    def parse(cls, text: str) -> "ArticleNo":
        """Accept 第一百零二条, 第10条之1, 102, '10之1', '10-1'."""
        text = text.strip().translate(_FULLWIDTH)
        match = ARTICLE_LABEL.match(text)
        if match:
            main, sub = match.group(1), match.group(2)
            return cls(cn_to_int(main), cn_to_int(sub) if sub else 0)
        plain = re.fullmatch(rf"([{CN_NUMBER}0-9]+)(?:(?:之|-|_)([{CN_NUMBER}0-9]+))?", text)
        if plain:
            return cls(cn_to_int(plain.group(1)), cn_to_int(plain.group(2)) if plain.group(2) else 0)
        raise ValueError(f"not an article number: {text!r}")
