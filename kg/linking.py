"""Entity linking: find mentions of graph vocabulary (laws, concepts, 用地用海分类, 分区, 指标,
agencies) in clause text, with char offsets.

Pipeline: spaCy's blank Chinese pipeline with the jieba segmenter, plus an EntityRuler whose
phrase patterns match on ORTH. Token-level phrase matching only finds a term when the text's
segmentation has token boundaries exactly at the term's ends, and plain jieba often splits terms
differently in context (在城镇住宅用地上 → 在城镇/住宅/用/地上). So every surface form is put
into the segmenter's dictionary with a dominating frequency, which keeps it a single token in
any context, while jieba still supplies word boundaries elsewhere (森林地区 stays 森林/地区, so
林地 is not linked there, as a character-level matcher would).

The dictionary is a private `jieba.Tokenizer`, not jieba's global one, so linking never changes
how other code in the process segments text. Nothing is downloaded: jieba ships its dictionary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import jieba
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from kg.domain import load_indicators, load_land_use_classes, load_zone_types

# Order in which the mentions of one span are returned when a surface form names several
# entities (永久基本农田 is a Concept and a ZoneType).
LABELS: tuple[str, ...] = ("Document", "ZoneType", "LandUseClass", "Indicator", "Concept", "Agency")

# Agencies named in planning law, as key -> surface forms. Kept atomic: a compound such as
# 县级以上人民政府自然资源主管部门 yields two adjacent mentions (the government and the
# department), so the list does not grow with every combination of level and sector.
AGENCIES: dict[str, tuple[str, ...]] = {
    "国务院": ("国务院",),
    "自然资源部": ("自然资源部",),
    "自然资源主管部门": ("自然资源主管部门", "自然资源和规划主管部门"),
    "国土资源主管部门": ("国土资源主管部门", "国土资源行政主管部门"),  # the pre-2018 name
    "土地行政主管部门": ("土地行政主管部门", "土地主管部门"),
    "城乡规划主管部门": ("城乡规划主管部门", "城乡规划行政主管部门"),
    "住房城乡建设主管部门": ("住房城乡建设主管部门", "住房和城乡建设主管部门"),
    "农业农村主管部门": ("农业农村主管部门",),
    "林业主管部门": ("林业主管部门", "林业行政主管部门"),
    "林业草原主管部门": ("林业草原主管部门",),
    "草原行政主管部门": ("草原行政主管部门",),
    "水行政主管部门": ("水行政主管部门",),
    "生态环境主管部门": ("生态环境主管部门",),
    "环境保护主管部门": ("环境保护主管部门", "环境保护行政主管部门"),
    "文物主管部门": ("文物主管部门", "文物行政主管部门"),
    "测绘地理信息主管部门": ("测绘地理信息主管部门", "测绘行政主管部门"),
    "县级以上人民政府": ("县级以上人民政府", "县级以上地方人民政府"),
    "省、自治区、直辖市人民政府": ("省、自治区、直辖市人民政府",),
    "设区的市人民政府": ("设区的市人民政府",),
    "乡、镇人民政府": ("乡、镇人民政府", "乡（镇）人民政府"),
    "村民委员会": ("村民委员会",),
    "农村集体经济组织": ("农村集体经济组织",),
}

PRC = "中华人民共和国"

# One frequency far above any in jieba's dictionary (its largest is ~9e5), so a path through
# a vocabulary term always outscores splitting it.
_TERM_FREQ = 10**9

# The character runs jieba segments as a unit (its re_han_default); punctuation and spaces
# always end a token, so only these runs of a surface form can be dictionary words.
_JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]+")
_HAN = re.compile(r"[\u4E00-\u9FD5]")
_ASCII_ALNUM = re.compile(r"[A-Za-z0-9]")
_TRAILING_QUALIFIER = re.compile(r"^(.+?)[（(][^（()）]+[)）]$")
_ACRONYM = re.compile(r"^[A-Z]{2,}$")


@dataclass(frozen=True)
class Mention:
    label: str
    key: str
    text: str
    start: int  # char offsets into the linked text: text[start:end] == self.text
    end: int


class _Segmenter:
    """The object spaCy's ChineseTokenizer calls as `jieba_seg.cut(text, cut_all=False)`.

    jieba segments each block (a run of Han/ASCII characters between punctuation or spaces) on
    its own, so only blocks that could hold part of a surface form need segmenting; the others
    are yielded whole. A whole block equals a pattern token only if the block is that token, so
    matches are those of segmenting everything (bar the 1-char end pieces below), at a third of
    the cost: jieba's pure-Python DAG is most of the linker's time."""

    def __init__(self, surfaces: Iterable[str]) -> None:
        self._tokenizer = jieba.Tokenizer()
        self._tokenizer.initialize()  # reads jieba's bundled dictionary (cached in tmp)
        contained: set[str] = set()
        self._ends: set[str] = set()  # 1-char first pieces, which must end a text block
        self._starts: set[str] = set()  # 1-char last pieces, which must start one
        for surface in surfaces:
            pieces = _JIEBA_BLOCK.findall(surface)
            for i, piece in enumerate(pieces):
                at_start = i == 0 and surface.startswith(piece)
                at_end = i == len(pieces) - 1 and surface.endswith(piece)
                if len(piece) >= 2 or (at_start and at_end):
                    if _HAN.search(piece):  # ASCII runs are kept whole by jieba already
                        self._tokenizer.add_word(piece, freq=_TERM_FREQ)
                    contained.add(piece)
                # A 1-char piece between punctuation only matches a block that is exactly that
                # character, which is yielded whole; at an end of the surface it must be cut
                # off a longer block (的乡 → 的/乡 for 乡（镇）人民政府).
                elif at_start:
                    self._ends.add(piece)
                elif at_end:
                    self._starts.add(piece)
        self._contained = contained
        self._lengths = sorted({len(p) for p in contained})
        self._candidate = re.compile("|".join(
            re.escape(p) for p in sorted(contained, key=len, reverse=True))) if contained else None

    def _cut_block(self, block: str, cut_all: bool) -> Iterator[str]:
        # A 1-char end piece is split off whatever jieba would join it with (本乡、镇人民政府,
        # 外省、自治区、直辖市人民政府): a surface with punctuation is specific enough to trust.
        # Not when a longer piece covers that character (城乡 if 城乡 were a surface).
        head = tail = ""
        if len(block) > 1 and block[0] in self._starts and not any(
                block[:k] in self._contained for k in self._lengths):
            head = block[0]
        if len(block) > len(head) + 1 and block[-1] in self._ends and not any(
                block[-k:] in self._contained for k in self._lengths):
            tail = block[-1]
        if head:
            yield head
        middle = block[len(head):len(block) - len(tail)]
        if self._candidate is not None and self._candidate.search(middle):
            # No HMM: it only guesses unknown words from runs of single characters, which
            # cannot touch dictionary terms, and it would double the time.
            yield from self._tokenizer.cut(middle, cut_all=cut_all, HMM=False)
        else:
            yield middle
        if tail:
            yield tail

    def cut(self, text: str, cut_all: bool = False) -> Iterator[str]:
        pos = 0
        for m in _JIEBA_BLOCK.finditer(text):
            if m.start() > pos:  # punctuation and spaces: jieba's own handling
                yield from self._tokenizer.cut(text[pos:m.start()], cut_all=cut_all, HMM=False)
            yield from self._cut_block(m.group(), cut_all)
            pos = m.end()
        if pos < len(text):
            yield from self._tokenizer.cut(text[pos:], cut_all=cut_all, HMM=False)


class EntityLinker:
    """Links text to vocabulary entries (label, key, surface form).

    Longest match wins and distinct spans never overlap; a surface form shared by several
    entries (永久基本农田: ZoneType and Concept) yields one Mention per entry for the same span,
    in LABELS order. Mentions are in text order; offsets are chars: text[start:end] == m.text.
    The vocabulary is trusted: every surface gets a dominating jieba frequency, so a junk term
    (建设项目不) also shifts the segmentation around it."""

    def __init__(self, vocabulary: Iterable[tuple[str, str, str]]) -> None:
        entries: dict[str, list[tuple[str, str]]] = {}
        for label, key, surface in vocabulary:
            surface = surface.strip()
            if not surface:
                continue
            targets = entries.setdefault(surface, [])
            if (label, key) not in targets:
                targets.append((label, key))
        rank = {label: i for i, label in enumerate(LABELS)}
        # surface -> its (label, key) entries, LABELS first, then the rest alphabetically.
        self._targets: dict[str, tuple[tuple[str, str], ...]] = {
            surface: tuple(sorted(found, key=lambda t: (rank.get(t[0], len(rank)), t)))
            for surface, found in sorted(entries.items())}
        self.nlp = self._build_pipeline()

    def _build_pipeline(self) -> Language:
        jieba.setLogLevel(logging.WARNING)  # else each dictionary load is logged to stderr
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        nlp.tokenizer.jieba_seg = _Segmenter(self._targets)
        ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
        # The ruler segments its patterns with the same tokenizer, so a term and its occurrences
        # in text become the same token sequence. Patterns carry no id: the ruler keys its
        # matcher by label+id and walks all keys on every call, so ~500 ids cost more than the
        # matching; the matched text finds the entries instead.
        ruler.add_patterns([{"label": targets[0][0], "pattern": surface}
                            for surface, targets in self._targets.items()])
        return nlp

    def link(self, text: str) -> list[Mention]:
        with self.nlp.memory_zone():
            return self._mentions(self.nlp(text))

    def link_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[Mention]]:
        # Each batch runs in a spaCy memory zone: every new string (here mostly whole unsegmented
        # blocks) would otherwise stay in the vocab for good, growing it over 100k clauses.
        # The zone is closed before yielding, so an abandoned generator leaves none open.
        batch: list[str] = []
        for text in texts:
            batch.append(text)
            if len(batch) == batch_size:
                yield from self._link_batch(batch, batch_size)
                batch = []
        if batch:
            yield from self._link_batch(batch, batch_size)

    def _link_batch(self, texts: list[str], batch_size: int) -> list[list[Mention]]:
        with self.nlp.memory_zone():
            return [self._mentions(doc) for doc in self.nlp.pipe(texts, batch_size=batch_size)]

    def _mentions(self, doc: Doc) -> list[Mention]:
        # The ruler has already kept the longest match by token count and dropped overlaps.
        # A surface without punctuation is one token, so two matches overlap only when one is a
        # multi-token surface containing the other's token, and then it is longer in chars too
        # (two multi-token surfaces overlapping in part are resolved by token count).
        text = doc.text
        mentions: list[Mention] = []
        for ent in doc.ents:
            start, end = ent.start_char, ent.end_char
            # Require a word boundary where a surface ends in ASCII: jieba splits a leading
            # digit off a dictionary word (1/5分钟生活圈 in 15分钟生活圈).
            if _ASCII_ALNUM.match(text[start]) and start > 0 and _ASCII_ALNUM.match(text[start - 1]):
                continue
            if _ASCII_ALNUM.match(text[end - 1]) and end < len(text) and _ASCII_ALNUM.match(text[end]):
                continue
            surface = text[start:end]
            for label, key in self._targets.get(surface, ()):
                if label == "Document" and _law_compound(text, end):
                    continue
                mentions.append(Mention(label, key, surface, start, end))
        return mentions


def _law_compound(text: str, end: int) -> bool:
    """Whether a name ending in 法 runs on into 法律/法规 (违反土地管理法规, 依照城乡规划法律、
    法规): "laws/regulations on X", not the statute X. 土地管理法规定 (…法 stipulates) and
    …法规划 still name it."""
    if text[end - 1] != "法" or end >= len(text):
        return False
    return text[end] == "律" or (text[end] == "规" and text[end + 1:end + 2] not in ("定", "划"))


# ---------------------------------------------------------------- vocabulary


def document_surfaces(short_name: str, title: str) -> set[str]:
    """Short name, full title, the title without a leading 中华人民共和国, and the nested-quote
    form of titles that contain 《…》 (cited as 《河南省实施〈土地管理法〉办法》)."""
    forms = {short_name.strip(), title.strip()}
    forms |= {f[len(PRC):] for f in forms if f.startswith(PRC) and len(f) > len(PRC)}
    forms |= {f.replace("《", "〈").replace("》", "〉") for f in forms if "《" in f}
    return {f for f in forms if len(f) >= 2}


def land_use_surface_ok(name: str) -> bool:
    """Residual classes (其他园地, 其他土地, 其他海域 …) are skipped: in law text 其他X is the
    generic "other X" (占用耕地或者其他土地), not the classification's residual class."""
    return not name.startswith("其他") and len(name) >= 2


def indicator_surfaces(name: str, aliases: Iterable[str]) -> set[str]:
    """Name, Chinese aliases, the name without a trailing qualifier in parentheses
    (人均公共绿地面积（居住区）), and upper-case acronyms (FAR). English glosses (plot ratio,
    height) are skipped: clause texts do not use them and `height` is too generic."""
    forms = {name}
    qualified = _TRAILING_QUALIFIER.match(name)
    if qualified:
        forms.add(qualified.group(1))
    for alias in aliases:
        if _HAN.search(alias) or _ACRONYM.match(alias):
            forms.add(alias)
    return {f for f in forms if len(f) >= 2}


def domain_vocabulary() -> list[tuple[str, str, str]]:
    """The vocabulary of the domain tables (kg.domain) and the agency list."""
    vocab: list[tuple[str, str, str]] = []
    vocab += [("LandUseClass", c.code, c.name)
              for c in load_land_use_classes() if land_use_surface_ok(c.name)]
    vocab += [("ZoneType", z.id, z.name) for z in load_zone_types()]
    vocab += [("Indicator", ind.id, form)
              for ind in load_indicators() for form in sorted(indicator_surfaces(ind.name, ind.aliases))]
    vocab += [("Agency", key, form) for key, forms in AGENCIES.items() for form in forms]
    return vocab


def build_vocabulary(document_names: Iterable[tuple[str, str]],
                     concepts: Iterable[str]) -> list[tuple[str, str, str]]:
    """(label, key, surface) rows: Documents from (short_name, title) pairs, Concepts from the
    given terms, then the domain tables and agencies. Duplicates are dropped, order is kept."""
    vocab: list[tuple[str, str, str]] = []
    for short_name, title in document_names:
        vocab += [("Document", short_name, form) for form in sorted(document_surfaces(short_name, title))]
    vocab += [("Concept", term.strip(), term.strip()) for term in concepts if len(term.strip()) >= 2]
    vocab += domain_vocabulary()
    return list(dict.fromkeys(vocab))
