"""Questions synthesised from a clause's own sentences, with no language model: a definition
(本法所称X，是指Y) becomes 什么是X？; a conditional sentence (…的，由…处…) becomes a question that
states the situation, as people ask about their own case; a rule sentence (X应当/不得/禁止…)
becomes a question about its subject; any article can be asked for by number. The sentence the question came from is
the answer's key point, quoted verbatim."""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, replace
from importlib.resources import files

import yaml

_SENTENCE_END = re.compile(r"(?<=[。；;！？])|\n")
_DEFINITION = re.compile(
    r"^(?:本法|本条例|本规定|本办法|本标准|本细则|本规则)?所称(?:的)?(?P<term>[^，,。；：:“”]{2,20}?)"
    r"[，,]?(?:是指|指|包括)")
# "Whoever does X, ..." — the situation is everything before the first 的，.
_CONDITION = re.compile(r"^(?P<condition>[^。；;：:“”]{6,70}?)的[，,](?P<consequence>.{3,})")
_DEPENDENT_CONDITION = re.compile(r"^(?:其|该|前款|本款|上述|下列|以下|尚|但|并|且|或者|情节|逾期|造成|无法)")
_MODAL = re.compile(r"(应当|不得|禁止|必须|可以|需要|实行|由)")
# Leading words that make a fragment a clause opener rather than a subject.
_OPENERS = re.compile(r"^(?:对于|对|在|经|依照|依据|按照|根据|除|为了|为|因|凡|各级|有关)")
_BAD_SUBJECT = re.compile(r"[，,。；;：:（）()、“”《》]|^(?:其|该|前款|本款|上述|下列|以下)")

DEFINITION_TEMPLATES = ("什么是{term}？", "{law}所说的{term}是指什么？", "{term}在法规上怎么定义？",
                        "请解释一下“{term}”的含义。")
RULE_TEMPLATES = ("关于{subject}，有什么规定？", "{subject}有哪些要求？", "法规对{subject}是怎么规定的？",
                  "{law}里关于{subject}是怎么说的？", "我想了解{subject}的相关规定。",
                  # Colloquial, situation-first forms, as staff and the public ask.
                  "{subject}应该怎么做，有明确规定吗？", "请问{subject}这方面，法律上是怎么要求的？",
                  "碰到和{subject}有关的问题，按规定怎么办？", "{subject}，具体要注意些什么？")
SITUATION_TEMPLATES = ("如果{condition}，按规定会怎么处理？", "遇到{condition}的情况，法律上是怎么规定的？",
                       "请问：{condition}，这种情况该怎么办？",
                       "{condition}，会有什么后果？")
LOOKUP_TEMPLATES = ("《{law}》{label}是怎么规定的？", "{law}{label}的内容是什么？",
                    "请告诉我《{law}》{label}的规定。")


@dataclass(frozen=True)
class Question:
    text: str
    kind: str  # definition | situation | rule | lookup
    key_sentence: str  # verbatim, from the clause
    subject: str  # what the question is about (for abstention answers)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _subject(sentence: str) -> str | None:
    match = _MODAL.search(sentence)
    if match is None:
        return None
    subject = _OPENERS.sub("", sentence[:match.start()]).strip()
    if not 4 <= len(subject) <= 24 or _BAD_SUBJECT.search(subject):
        return None
    return subject


def _situation(sentence: str, law: str) -> str | None:
    match = _CONDITION.match(sentence)
    if match is None:
        return None
    condition = _OPENERS.sub("", match.group("condition")).strip()
    # A condition that leans on the sentence before (尚可…的，情节严重的，) is no situation alone.
    # "有下列情形之一的" names no situation until the list is read.
    if len(condition) < 6 or _DEPENDENT_CONDITION.match(condition) or "下列" in condition:
        return None
    # "违反本法规定" reads as nonsense outside the law; name the law instead.
    return re.sub(r"本(法|条例|规定|办法)", f"《{law}》", condition)


def questions_for(law: str, label: str, text: str, rng: random.Random) -> list[Question]:
    """Every question this clause supports, in sentence order, with a lookup by number last."""
    found: list[Question] = []
    for sentence in sentences(text):
        if not 10 <= len(sentence) <= 180:
            continue
        definition = _DEFINITION.match(sentence)
        if definition:
            term = definition.group("term")
            found.append(Question(rng.choice(DEFINITION_TEMPLATES).format(term=term, law=law),
                                  "definition", sentence, term))
            continue
        situation = _situation(sentence, law)
        if situation:
            template = rng.choice(SITUATION_TEMPLATES)
            found.append(Question(template.format(condition=situation), "situation", sentence,
                                  situation))
            continue
        subject = _subject(sentence)
        if subject:
            found.append(Question(rng.choice(RULE_TEMPLATES).format(subject=subject, law=law),
                                  "rule", sentence, subject))
    first = next((s for s in sentences(text) if len(s) >= 10), None)
    if first and len(first) <= 240:
        found.append(Question(rng.choice(LOOKUP_TEMPLATES).format(law=law, label=label),
                              "lookup", first, f"《{law}》{label}"))
    return found


@functools.cache
def everyday_words() -> list[tuple[str, tuple[str, ...]]]:
    """(statute term, everyday forms), longest terms first, from `everyday_words.yaml`."""
    data = yaml.safe_load((files("training") / "everyday_words.yaml").read_text(encoding="utf-8"))
    terms = [(term, tuple(forms)) for term, forms in data["terms"].items()]
    return sorted(terms, key=lambda pair: -len(pair[0]))


# Frames that turn a rewritten condition into a question about one's own case.
EVERYDAY_FRAMES = ("我们这边{condition}，这种情况按规定怎么处理？", "听说{condition}，会怎么样？",
                   "{condition}，规划上允许吗？会有什么后果？", "想问一下，{condition}，该怎么办？")
_LAW_PREFIX = re.compile(r"^违反《[^》]+》(?:的)?规定[，,]?")


def in_everyday_words(question: Question, rng: random.Random) -> Question:
    """The same question as someone would ask it about their own case: statute terms replaced
    by everyday ones, the 违反《…》规定 preamble dropped. The key sentence (the answer) stays
    verbatim; only the question moves away from the clause's wording."""
    if question.kind not in ("situation", "rule"):
        return question
    subject = _LAW_PREFIX.sub("", question.subject)
    rewritten = subject
    for term, forms in everyday_words():
        if term in rewritten:
            rewritten = rewritten.replace(term, rng.choice(forms))
    if rewritten == subject and subject == question.subject:
        return question  # nothing to rewrite: keep the template question
    text = rng.choice(EVERYDAY_FRAMES).format(condition=rewritten)
    return replace(question, text=text)
