"""Supervised fine-tuning data from our own corpus, search index and rule packs.

What the model should learn is behaviour, not facts: answer only from the given clauses and cite
them by id, abstain when they do not answer, pick the version in force on the asked date, call
tools with valid JSON. Each example is a chat in exactly the format the app uses
(`agents.grounded_prompt`), with contexts retrieved by our own searcher so the distractors are
the ones the model will really see.

Splits are by article (all versions of 土地管理法第62条 go together): a stable hash sends a share
of articles (`eval_share`) to `eval`, and articles named by a gold QA file are in neither split.
Tool traces split by what they are about (the article, the land-use code, the rule); questions
about invented documents by their index.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

from agents.grounded_prompt import (
    ABSTAIN_PREFIX,
    SYSTEM_PROMPT,
    ContextClause,
    build_messages,
)
from agents.llm.base import Message
from agents.qa_context import excerpt as _excerpt
from agents.tools.specs import tool_specs
from corpus.errors import NotFoundError
from corpus.store import ClauseRecord, ClauseStore, DocumentRecord
from kg.domain.loader import land_use_by_code, load_rule_packs
from retrieval.search import Searcher
from retrieval.units import units_of
from training.questions import Question, in_everyday_words, questions_for
from training.tool_traces import (
    ToolTrace,
    clause_trace,
    indicator_trace,
    land_use_trace,
)

Progress = Callable[[int, int], None]

STATUTE_LEVELS = frozenset({"法律", "行政法规", "部门规章", "地方性法规", "地方政府规章"})
# Documents about land, planning, building and the environment: most seeds come from these so
# the model practises on the kind of clauses a planning bureau asks about.
PLANNING_TOPICS = re.compile(r"土地|规划|城乡|城市|村|耕地|农|林|草|湿地|海|水|矿|环境|生态|保护|建筑|"
                             r"住房|房地产|不动产|测绘|地质|自然|文物|公路|铁路|防洪|征收|行政")
PLANNING_SHARE = 0.75
_BIGRAM = re.compile(r"(?=(\w\w))")


@dataclass
class DataConfig:
    seed: int = 7
    grounded: int = 200  # definition / situation / rule / lookup questions with the answer in context
    abstain: int = 45  # the same kinds of questions with the answering clause removed
    unknown_document: int = 20  # questions about documents the corpus does not have
    temporal: int = 40  # which version was in force on a date
    tools: int = 60  # tool-call traces
    eval_share: float = 0.15
    # Situation and rule questions asked in everyday words instead of the clause's own.
    everyday_share: float = 0.5
    distractors: int = 3
    as_of: date = field(default_factory=date.today)


@dataclass
class Example:
    id: str
    kind: str
    split: str
    messages: list[Message]
    gold_ids: list[str]
    key_points: list[str]
    as_of: str | None = None
    tools: list[dict] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DataReport:
    train: int
    eval: int
    by_kind: dict[str, dict[str, int]]
    held_out_articles: int
    paths: dict[str, str]

    def to_dict(self) -> dict:
        return asdict(self)


def article_key(law: str, number: str) -> str:
    return f"{law}#{number}"


def _split_of(key: str, share: float) -> str:
    bucket = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "eval" if bucket < share else "train"


def gold_article_keys(qa_files: Iterable[Path]) -> set[str]:
    """Articles named by gold QA files (the shared format): never trained on."""
    keys: set[str] = set()
    for path in qa_files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                for gold in json.loads(line).get("gold", []):
                    keys.add(article_key(str(gold["law"]), str(gold["article"])))
    return keys


def _bigrams(text: str) -> set[str]:
    return set(_BIGRAM.findall(text))


def _overlap(a: str, b: str) -> float:
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / max(1, min(len(x), len(y)))


class SftBuilder:
    def __init__(self, store: ClauseStore, searcher: Searcher, config: DataConfig,
                 held_out: set[str]) -> None:
        self.store, self.searcher, self.config = store, searcher, config
        self.rng = random.Random(config.seed)
        self.held_out = held_out
        self.records = {r.doc_id: r for r in store.documents()}

    # -- building blocks ----------------------------------------------------------------
    def split(self, record: DocumentRecord, number: str) -> str | None:
        """train / eval for an article; None for a gold article (in no split)."""
        key = article_key(record.short_name, number)
        if key in self.held_out:
            return None
        return _split_of(key, self.config.eval_share)

    def context_clause(self, clause: ClauseRecord, keep: str | None = None) -> ContextClause:
        record = self.records[clause.doc_id]
        return ContextClause(
            clause.id, f"《{record.short_name}》{clause.label}", _excerpt(clause.text, keep),
            date.fromisoformat(record.valid_from) if record.valid_from else None,
            date.fromisoformat(record.valid_to) if record.valid_to else None)

    def distractors(self, question: str, exclude: set[str], key_sentence: str, n: int,
                    day: date, avoid: str | None = None) -> list[ContextClause]:
        """Clauses our searcher returns for the question, minus the answer and anything that
        says the same thing (the same article published in two documents). `avoid`: for an
        abstention, the subject asked about; a clause mentioning it might answer after all."""
        chosen: list[ContextClause] = []
        for hit in self.searcher.search(question, k=n + 12, as_of=day).hits:
            if hit.id in exclude or set(hit.also_in) & exclude:
                continue
            if _overlap(hit.text, key_sentence) > 0.5 or (avoid and avoid in hit.text):
                continue
            chosen.append(self.context_clause(self.store.clause(hit.id)))
            if len(chosen) == n:
                break
        self.searcher.forget_query()
        return chosen

    # -- seeds ----------------------------------------------------------------------------
    @functools.cached_property
    def articles(self) -> list[tuple[DocumentRecord, ClauseRecord]]:
        """`in_force_articles()`, computed once per builder (it reads every clause)."""
        return self.in_force_articles()

    def in_force_articles(self) -> list[tuple[DocumentRecord, ClauseRecord]]:
        """Articles in force, shuffled, three in four from planning-related documents.
        Amendment decisions (关于修改…的决定) are left out: their 条目 rewrite other laws."""
        planning, other = [], []
        for record in self.records.values():
            if (record.level not in STATUTE_LEVELS or "决定" in record.short_name
                    or not record.in_force_on(self.config.as_of)):
                continue
            bucket = planning if PLANNING_TOPICS.search(record.short_name) else other
            for unit in units_of(self.store, record):
                bucket.append((record, self.store.clause(unit.clause_id)))
        for bucket in (planning, other):
            bucket.sort(key=lambda pair: pair[1].id)
            self.rng.shuffle(bucket)
        mixed: list[tuple[DocumentRecord, ClauseRecord]] = []
        while planning or other:
            take_planning = planning and (not other or self.rng.random() < PLANNING_SHARE)
            mixed.append((planning if take_planning else other).pop())
        return mixed

    # -- example kinds ---------------------------------------------------------------------
    def grounded(self, record: DocumentRecord, clause: ClauseRecord, question: Question,
                 split: str, answerable: bool) -> Example | None:
        day = self.config.as_of
        # A lookup by number is unanswerable when the article is absent, whatever else is shown.
        avoid = None if answerable or question.kind == "lookup" else question.subject
        distractors = self.distractors(question.text, {clause.id}, question.key_sentence,
                                       self.config.distractors + (0 if answerable else 1), day,
                                       avoid)
        if len(distractors) < self.config.distractors:
            return None
        if answerable:
            context = distractors[:]
            context.insert(self.rng.randrange(len(context) + 1),
                           self.context_clause(clause, question.key_sentence))
            by_article = f"根据《{record.short_name}》{clause.label}，"
            lead = {"definition": "", "rule": by_article, "situation": by_article,
                    "lookup": f"《{record.short_name}》{clause.label}规定："}[question.kind]
            # A lookup quotes the whole (excerpted) clause; other kinds the key sentence.
            quoted = (_excerpt(clause.text, question.key_sentence) if question.kind == "lookup"
                      else question.key_sentence)
            answer = f"{lead}{quoted} [{clause.id}]"
            gold, points, kind = [clause.id], [question.key_sentence], question.kind
        else:
            context = distractors
            answer = f"{ABSTAIN_PREFIX}：所给条文中没有关于{question.subject}的规定。"
            gold, points, kind = [], [], "abstain"
        return Example(f"{kind}-{clause.id}", kind, split,
                       build_messages(question.text, context, None)
                       + [Message(role="assistant", content=answer)], gold, points)

    def unknown_document(self, index: int, split: str) -> Example | None:
        places = ("杭州市", "成都市", "某省", "苏州市", "青岛市", "昆明市", "宁波市", "西安市")
        topics = ("停车设施管理", "城市夜景照明", "地下管线管理", "历史文化街区保护", "户外广告设置",
                  "海绵城市建设", "城市更新", "地下空间开发利用")
        name = f"{self.rng.choice(places)}{self.rng.choice(topics)}{self.rng.choice(('条例', '办法', '规定'))}"
        try:
            self.store.resolve_name(name, exact=True)
            return None  # the corpus has it after all
        except NotFoundError:
            pass
        number = self.rng.randint(3, 40)
        question = self.rng.choice((f"《{name}》第{number}条是怎么规定的？",
                                    f"按照《{name}》，{self.rng.choice(topics)}有什么要求？"))
        context = self.distractors(question, set(), "", self.config.distractors, self.config.as_of)
        answer = f"{ABSTAIN_PREFIX}：参考条文中没有《{name}》，无法依据它作答。"
        return Example(f"unknown-{index}", "abstain", split,
                       build_messages(question, context, None)
                       + [Message(role="assistant", content=answer)], [], [])

    def temporal_pairs(self) -> list[tuple[ClauseRecord, DocumentRecord, ClauseRecord,
                                           DocumentRecord]]:
        """(old clause, its version, new clause, its version) for articles whose text changed
        between consecutive versions of a document."""
        pairs = []
        by_name: dict[str, list[DocumentRecord]] = {}
        for record in self.records.values():
            if record.level in STATUTE_LEVELS and record.valid_from:
                by_name.setdefault(record.short_name, []).append(record)
        for versions in by_name.values():
            versions.sort(key=lambda r: r.valid_from or "")
            for old, new in pairwise(versions):
                new_by_number = {u.clause_id.rsplit("#", 1)[1]: u for u in units_of(self.store, new)}
                for unit in units_of(self.store, old):
                    number = unit.clause_id.rsplit("#", 1)[1]
                    match = new_by_number.get(number)
                    if match and match.text != unit.text and len(unit.text) <= 600:
                        pairs.append((self.store.clause(unit.clause_id), old,
                                      self.store.clause(match.clause_id), new))
        pairs.sort(key=lambda p: p[0].id)
        self.rng.shuffle(pairs)
        return pairs

    def temporal(self, old: ClauseRecord, old_doc: DocumentRecord, new: ClauseRecord,
                 new_doc: DocumentRecord, split: str) -> Example | None:
        use_old = self.rng.random() < 0.5
        target, doc = (old, old_doc) if use_old else (new, new_doc)
        start = date.fromisoformat(doc.valid_from)  # type: ignore[arg-type]
        end = date.fromisoformat(doc.valid_to) if doc.valid_to else self.config.as_of
        if end <= start:
            return None
        day = start + timedelta(days=self.rng.randrange(max(1, (end - start).days)))
        question = self.rng.choice((f"{day.year}年{day.month}月时，《{doc.short_name}》{target.label}是怎么规定的？",
                                    f"在{day.isoformat()}，{doc.short_name}{target.label}的规定是什么？"))
        first = next((s for s in target.text.split("。") if len(s) >= 8), target.text)[:200]
        first = first if first.endswith("。") or first == target.text[:200] else first + "。"
        context = [self.context_clause(old), self.context_clause(new)]
        self.rng.shuffle(context)
        context += self.distractors(question, {old.id, new.id}, first, 2, day)
        answer = (f"{day.isoformat()}有效的是{doc.version}版本（{doc.valid_from}起施行），"
                  f"《{doc.short_name}》{target.label}规定：{first} [{target.id}]")
        return Example(f"temporal-{target.id}", "temporal", split,
                       build_messages(question, context, day)
                       + [Message(role="assistant", content=answer)],
                       [target.id], [first], as_of=day.isoformat())

    def tool_example(self, trace: ToolTrace, index: int, split: str) -> Example:
        return Example(f"tool-{trace.call.name}-{index}", f"tool:{trace.call.name}", split,
                       trace.messages(SYSTEM_PROMPT), [], [json.dumps(trace.call.to_dict(),
                                                                      ensure_ascii=False)],
                       tools=[spec.to_openai() for spec in tool_specs()])

    # -- everything ------------------------------------------------------------------------
    def build(self, progress: Progress) -> Iterator[Example]:
        cfg = self.config
        total = cfg.grounded + cfg.abstain + cfg.unknown_document + cfg.temporal + cfg.tools
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            progress(done, total)

        wanted = Counter({"grounded": cfg.grounded, "abstain": cfg.abstain})
        for record, clause in self.articles:
            if not +wanted:
                break
            split = self.split(record, clause.number)
            if split is None:
                continue
            questions = questions_for(record.short_name, clause.label, clause.text, self.rng)
            if not questions:
                continue
            question = questions[0] if self.rng.random() < 0.7 else self.rng.choice(questions)
            if self.rng.random() < cfg.everyday_share:
                question = in_everyday_words(question, self.rng)
            answerable = wanted["abstain"] == 0 or (
                wanted["grounded"] > 0 and self.rng.random() < cfg.grounded / (cfg.grounded + cfg.abstain))
            example = self.grounded(record, clause, question, split, answerable)
            if example:
                wanted["grounded" if answerable else "abstain"] -= 1
                tick()
                yield example
        made = 0
        for i in range(cfg.unknown_document * 3):  # a few invented names may exist after all
            if made >= cfg.unknown_document:
                break
            example = self.unknown_document(i, _split_of(f"unknown-{i}", cfg.eval_share))
            if example:
                made += 1
                tick()
                yield example
        made = 0
        for old, old_doc, new, new_doc in self.temporal_pairs():
            if made >= cfg.temporal:
                break
            split = self.split(old_doc, old.number)
            if split is None:
                continue
            example = self.temporal(old, old_doc, new, new_doc, split)
            if example:
                made += 1
                tick()
                yield example
        yield from self._tool_examples(tick)

    def _tool_examples(self, tick: Callable[[], None]) -> Iterator[Example]:
        """Tool traces, split like everything else: a clause trace by its article (gold articles
        never), a land-use trace by its code, an indicator trace by its rule."""
        cfg = self.config
        rules = [r for pack in load_rule_packs() for r in pack.rules]
        land_use = land_use_by_code()
        articles = [(r, c) for r, c in self.articles[:400]
                    if r.level == "法律" and c.kind == "条"]
        for i in range(cfg.tools):
            choice = i % 3
            trace: ToolTrace | None
            split: str | None
            if choice == 0:
                rule = self.rng.choice(rules)
                trace, split = indicator_trace(rules, rule, self.rng), _split_of(
                    f"rule:{rule.id}", cfg.eval_share)
            elif choice == 1:
                item = self.rng.choice(list(land_use.values()))
                trace, split = land_use_trace(item, land_use, self.rng), _split_of(
                    f"land_use:{item.code}", cfg.eval_share)
            else:
                record, clause = self.rng.choice(articles)
                split = self.split(record, clause.number)
                as_of = None if self.rng.random() < 0.6 else self.config.as_of.isoformat()
                trace = clause_trace(record.short_name, clause.number, clause.label, clause.id,
                                     _excerpt(clause.text)[:200], as_of, self.rng)
            if trace is None or split is None:
                continue
            tick()
            yield self.tool_example(trace, i, split)


def write_examples(examples: Iterable[Example], folder: Path, held_out: set[str]) -> DataReport:
    """Write train.jsonl and eval.jsonl atomically (a failed run leaves the old files)."""
    folder.mkdir(parents=True, exist_ok=True)
    # Shuffled (seeded) so that a run on the first N examples still sees every kind.
    examples = list(examples)
    random.Random(len(examples)).shuffle(examples)
    paths = {split: folder / f"{split}.jsonl" for split in ("train", "eval")}
    scratch = {split: path.with_suffix(".jsonl.partial") for split, path in paths.items()}
    by_kind: dict[str, Counter[str]] = {"train": Counter(), "eval": Counter()}
    handles = {split: path.open("w", encoding="utf-8") for split, path in scratch.items()}
    try:
        for example in examples:
            handles[example.split].write(json.dumps(example.to_dict(), ensure_ascii=False) + "\n")
            by_kind[example.split][example.kind] += 1
    except BaseException:
        for handle in handles.values():
            handle.close()
        for path in scratch.values():
            path.unlink(missing_ok=True)
        raise
    for handle in handles.values():
        handle.close()
    for split, path in scratch.items():
        path.replace(paths[split])
    return DataReport(sum(by_kind["train"].values()), sum(by_kind["eval"].values()),
                      {s: dict(c) for s, c in by_kind.items()}, len(held_out),
                      {s: str(p) for s, p in paths.items()})


def read_examples(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
