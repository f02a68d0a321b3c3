"""Cross-references inside legal text: 《土地管理法》第四十五条, 本法第三十五条第二款, 前款,
第四十四条至第四十六条, 行政诉讼法第七十四条, 依照《城乡规划法》的规定.

Parsing only: the graph builder resolves each reference to a clause id in the version in force
when the citing text was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.numerals import CN_NUMBER, ArticleNo, cn_to_int

_NUM = rf"[{CN_NUMBER}0-9]+"
_ARTICLE = rf"第{_NUM}条(?:之{_NUM})?"
# One reference group: an optional law (《…》 or 本法/本条例…), then articles joined by 、/和/及/至
_REFERENCE = re.compile(
    rf"(?P<law>《(?P<title>[^《》]{{2,60}})》|本(?P<self>法|条例|办法|规定|细则|决定|解释|规则)"
    rf"|(?P<bare>[\u4e00-\u9fa5]{{2,24}}?(?:法|法典|条例|办法|规定|细则))(?={_ARTICLE}))?"
    rf"(?P<articles>{_ARTICLE}(?:第{_NUM}款)?(?:第{_NUM}项)?"
    rf"(?:(?:、|和|及|以及|或者|至|到){_ARTICLE}(?:第{_NUM}款)?(?:第{_NUM}项)?)*)"
)
_DOCUMENT_ONLY = re.compile(r"《(?P<title>[^《》]{2,60})》(?!第)")
_ONE = re.compile(
    rf"(?P<sep>至|到)?(?P<article>{_ARTICLE})(?:第(?P<para>{_NUM})款)?(?:第(?P<item>{_NUM})项)?")
_SAME_ARTICLE = re.compile(rf"(?P<which>前款|前两款|前三款|本条第(?P<para>{_NUM})款)")
_MAX_RANGE = 50  # 第一条至第一百条 in a repeal clause is still a real range; cap against typos


# Words that end the text before an unquoted law name: 依照土地管理法 → 土地管理法.
_NAME_BREAK = re.compile(
    r".*(?:了|的|依照|根据|按照|依据|违反|适用|参照|对|和|与|及|、|是|为|在|由|经|将|以|规定|有关)")


def _bare_name(name: str) -> tuple[str | None, int]:
    """(law name or None for the citing document itself, offset of the name in `name`)."""
    trimmed = _NAME_BREAK.sub("", name)
    offset = len(name) - len(trimmed)
    if len(trimmed) < 2:
        return None, offset
    if "本" in trimmed:  # 违反本条例 → the citing document itself
        return None, offset + trimmed.index("本")
    return trimmed, offset


@dataclass(frozen=True)
class Reference:
    """law: None = the citing document itself; article None = the whole document;
    paragraph/item narrow the target."""

    law: str | None
    article: str | None
    paragraph: int | None = None
    item: int | None = None
    start: int = 0
    end: int = 0

    def clause_ids(self, doc_id: str) -> list[str]:
        """Candidate clause ids in `doc_id`, most specific first: …#35-2-1, …#35-2, …#35."""
        base = f"{doc_id}#{self.article}"
        ids = [base]
        if self.paragraph:
            ids.insert(0, f"{base}-{self.paragraph}")
            if self.item:
                ids.insert(0, f"{base}-{self.paragraph}-{self.item}")
        return ids


def find_references(text: str, own_article: str | None = None,
                    own_paragraph: int | None = None) -> list[Reference]:
    """All references in `text` (a clause's text). `own_article`/`own_paragraph` locate the
    citing clause so 前款 and 本条第二款 can be resolved."""
    refs: list[Reference] = []
    covered: list[tuple[int, int]] = []
    for match in _REFERENCE.finditer(text):
        law, law_start = match.group("title"), match.start()
        if match.group("bare"):
            law, offset = _bare_name(match.group("bare"))
            law_start = match.start("bare") + offset
        previous: ArticleNo | None = None
        for one in _ONE.finditer(match.group("articles")):
            number = ArticleNo.parse(one.group("article"))
            start = match.start("articles") + one.start()
            end = match.start("articles") + one.end()
            para = cn_to_int(one.group("para")) if one.group("para") else None
            item = cn_to_int(one.group("item")) if one.group("item") else None
            if one.group("sep") and previous is not None and not number.sub and not previous.sub \
                    and 0 < number.main - previous.main <= _MAX_RANGE:
                for main in range(previous.main + 1, number.main):
                    refs.append(Reference(law, ArticleNo(main).key, None, None, start, end))
            refs.append(Reference(law, number.key, para, item,
                                  law_start if previous is None else start, end))
            previous = number
        covered.append(match.span())
    for match in _DOCUMENT_ONLY.finditer(text):
        if not any(s <= match.start() < e for s, e in covered):
            refs.append(Reference(match.group("title"), None, None, None, *match.span()))
    if own_article is not None:
        for match in _SAME_ARTICLE.finditer(text):
            which = match.group("which")
            if match.group("para"):
                paras = [cn_to_int(match.group("para"))]
            elif own_paragraph and own_paragraph > 1:
                count = {"前款": 1, "前两款": 2, "前三款": 3}[which]
                paras = list(range(max(1, own_paragraph - count), own_paragraph))
            else:
                continue
            for para in paras:
                refs.append(Reference(None, own_article, para, None, *match.span()))
    refs.sort(key=lambda r: (r.start, r.article or "", r.paragraph or 0))
    return refs


_AMENDING_TITLE = re.compile(r"关于修改《([^《》]+)》")
_AMENDMENT_TITLE = re.compile(r"^(?:中华人民共和国)?(.+?法)修正案")
_REPEAL = re.compile(r"《([^《》]{2,60})》(?:[^。；《》]{0,12})同时废止")


def amended_titles(title: str) -> list[str]:
    """The documents a decision or amendment amends, from its title:
    关于修改《中华人民共和国环境保护税法》的决定 → 中华人民共和国环境保护税法; 刑法修正案（十一） → 刑法."""
    found = _AMENDING_TITLE.findall(title)
    if not found:
        match = _AMENDMENT_TITLE.match(title)
        found = [match.group(1)] if match else []
    return found


def repealed_titles(text: str) -> list[str]:
    """《…》同时废止 in a document's final clause: the documents it repeals."""
    return _REPEAL.findall(text)
