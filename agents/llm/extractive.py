"""A backend that needs no model: it answers by quoting the context sentences that best match
the question, citing their clause ids, and abstains when none match well enough.

It is the floor every model must beat in evaluation, the default where no model is installed,
and a fast stand-in for a model in tests. It reads the grounded prompt format of
`agents.grounded_prompt` (the last user message), so the QA agent drives it unchanged.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import jieba

from agents.grounded_prompt import ContextClause, parse_as_of, parse_context
from agents.llm.base import DEFAULT_OPTIONS, Completion, GenerationOptions, Message

jieba.setLogLevel(logging.WARNING)  # its dictionary-loading banner is noise in CLI output

ABSTAIN_TEXT = "无法回答：所给条文中没有与问题直接相关的规定。"

# Function words and question phrasing that say nothing about which clause applies.
_STOPWORD_TEXT = (
    "的 了 和 与 及 或 在 是 有 没有 我 我们 你 你们 他 他们 它 这 那 这个 那个 这些 那些 吗 呢 吧 啊 么 "
    "什么 怎么 怎样 怎么办 如何 哪些 哪个 哪里 多少 几 是否 能否 能不能 可不可以 可以 能 会 要 想 "
    "就 都 也 还 又 把 被 让 给 对 从 向 于 为 以 之 其 该 等 个 一 上 下 中 里 后 前 请问 请 一下 "
    "规定 法律 怎么样 需要 应当 应该 必须 时候 情况 问题 依据 根据 关于 有 什么 有什么 是 是什么 "
    "要求 相关 了解 内容 告诉 解释 含义 定义 说 所说 原文 条文 法规 国家标准 符合 吗")
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[\w\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[^。；;！？!?\n]+[。；;！？!?]?")


@dataclass(frozen=True)
class _Sentence:
    clause_index: int
    position: int
    text: str


class ExtractiveBackend:
    """Quote-and-cite answers from the clauses in the prompt.

    `min_score` is the share of the question's (IDF-weighted) terms a sentence must contain;
    further sentences are added while they score at least `relative_score` of the best one.
    Colloquial questions share few words with the statute that answers them, and neither word
    overlap nor sentence embeddings separate answerable from unanswerable questions on our
    sets, so the bar is low (0.2): on the public questions it quotes the right clause far more
    often (key points 0.04 → 0.25) at the price of abstaining less (1.0 → 0.75 on the
    unanswerable ones). What it quotes is always verbatim and verified."""

    name = "extractive"
    calls_tools = False  # no model to choose a tool: the QA agent routes by the question's wording

    def __init__(self, max_sentences: int = 3, max_clauses: int = 2, min_score: float = 0.2,
                 relative_score: float = 0.5) -> None:
        self.max_sentences = max_sentences
        self.max_clauses = max_clauses
        self.min_score = min_score
        self.relative_score = relative_score

    def complete(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
                 ) -> Completion:
        started = time.perf_counter()
        text = self.answer(_last_user_text(messages))
        elapsed = time.perf_counter() - started
        return Completion(text=text, finish_reason="stop", seconds=elapsed,
                          seconds_to_first_token=elapsed, model=self.name)

    def stream(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
               ) -> Iterator[str]:
        text = self.answer(_last_user_text(messages))
        for start in range(0, len(text), 16):
            yield text[start:start + 16]

    def answer(self, user_text: str) -> str:
        """The answer text for one grounded user message."""
        question, clauses = parse_context(user_text)
        clauses = _in_force(clauses, parse_as_of(user_text))
        chosen = self._choose(question, clauses)
        if not chosen:
            return ABSTAIN_TEXT
        lines = []
        for clause_index in dict.fromkeys(s.clause_index for s in chosen):
            quoted = "".join(s.text for s in sorted(chosen, key=lambda s: s.position)
                             if s.clause_index == clause_index)
            clause = clauses[clause_index]
            # The citation follows what it supports, as the prompt asks of every model.
            lines.append(f"{clause.title}：{quoted} [{clause.clause_id}]")
        return "\n".join(lines)

    def _choose(self, question: str, clauses: list[ContextClause]) -> list[_Sentence]:
        terms = _terms(question)
        sentences = [_Sentence(ci, pos, m.group(0).strip())
                     for ci, clause in enumerate(clauses)
                     for pos, m in enumerate(_SENTENCE.finditer(clause.text)) if m.group(0).strip()]
        if not terms or not sentences:
            return []
        weights = _idf(terms, [s.text for s in sentences])
        total = sum(weights.values())
        # A term in the clause's title (《土地管理法》第六十二条) counts for each of its sentences:
        # questions name laws and article numbers that the text itself never repeats.
        titles = [clause.title for clause in clauses]
        scored = sorted(((sum(w for t, w in weights.items()
                              if t in s.text or t in titles[s.clause_index]) / total, s)
                         for s in sentences), key=lambda pair: -pair[0])
        best = scored[0][0]
        if best < self.min_score:
            return []
        chosen: list[_Sentence] = []
        clause_set: set[int] = set()
        for score, sentence in scored:
            if len(chosen) == self.max_sentences or score < max(self.min_score,
                                                                 best * self.relative_score):
                break
            if sentence.clause_index not in clause_set and len(clause_set) == self.max_clauses:
                continue
            chosen.append(sentence)
            clause_set.add(sentence.clause_index)
        return chosen


def _terms(question: str) -> list[str]:
    """Content words of the question, in order, without repeats."""
    words = (w.strip() for w in jieba.lcut(question))
    return list(dict.fromkeys(w for w in words
                              if w and w not in _STOPWORDS and _WORD.search(w)))


def _idf(terms: list[str], sentences: list[str]) -> dict[str, float]:
    """Weight of each question term: rarer among the given sentences counts more; a one-character
    term counts half, since it matches inside unrelated words."""
    n = len(sentences)
    weights = {}
    for term in terms:
        df = sum(term in s for s in sentences)
        weight = math.log(1 + (n + 1) / (df + 0.5))
        weights[term] = weight / 2 if len(term) == 1 else weight
    return weights


def _in_force(clauses: list[ContextClause], as_of: date | None) -> list[ContextClause]:
    """Clauses in force on `as_of`; like the store, `valid_to` is the first day no longer in
    force."""
    if as_of is None:
        return clauses
    return [c for c in clauses if (c.valid_from is None or c.valid_from <= as_of)
            and (c.valid_to is None or as_of < c.valid_to)]


def _last_user_text(messages: list[Message]) -> str:
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
