"""Answer benchmark: several answering systems on the same items with the same retrieval.

Items come from a gold QA file (shared format: the question goes through our searcher, the top
k clauses are the context) and from the held-out split of the generated training data (contexts
as generated; articles never seen in training). Each system answers every item; scores per item
go to the --out JSONL, and per system: citation precision/recall, verification failures
(fabricated ids or clauses not in force), key-point accuracy, abstention accuracy, tool-call
validity, and speed (time to first token, tokens/s; memory is measured per backend, each in its
own process, by eval/llm_speed_bench.py). Every system is scored twice on the same generations:
raw, and `+verified` — after the QA agent's post-generation citation check (what a user sees).
"""

from __future__ import annotations

import gc
import json
import random
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from agents.grounded_prompt import ABSTAIN_PREFIX, build_messages, parse_context
from agents.llm.base import ChatBackend, GenerationOptions, Message, ToolSpec
from agents.qa.agent import NOT_FOUND
from agents.qa.grounding import ground
from agents.qa_context import context_from_hits
from corpus.errors import GuihuaError
from corpus.readers.base import Progress, no_progress
from corpus.store import ClauseStore
from eval.answer_metrics import ItemScore, score_answer, score_tool_call, summarise
from retrieval.search import Searcher
from training.sft_data import read_examples

MAX_TOKENS = 256  # a lookup quotes a 320-character clause, then cites it


@dataclass
class EvalItem:
    id: str
    source: str  # qa | heldout
    kind: str
    messages: list[Message]  # the prompt: everything before the answer
    gold: list[list[str]]  # per gold article, its versions' clause ids (empty: abstain)
    key_points: list[str]
    as_of: date
    context_ids: list[str]
    tools: list[dict] = field(default_factory=list)  # OpenAI-form tools offered (tool items)
    expected_tool: str | None = None
    answerable: bool = True  # the gold names articles (even ones the corpus lacks)
    unresolved_gold: list[str] = field(default_factory=list)  # gold articles not in the corpus

    def to_dict(self) -> dict:
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        return data


@dataclass
class SystemRun:
    name: str
    scores: list[ItemScore] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    ttft: list[float] = field(default_factory=list)
    tokens_per_second: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        speed = {
            "ttft_s_median": round(statistics.median(self.ttft), 2) if self.ttft else None,
            "tokens_per_s_median": (round(statistics.median(self.tokens_per_second), 2)
                                    if self.tokens_per_second else None),
        }
        return {**summarise(self.scores), **speed}


def gold_clause_ids(store: ClauseStore, law: str, article: str) -> list[str]:
    """Every version's clause id for a (law, article) gold pair; citing any of them is right.
    Empty when the corpus lacks the law or the article (reported, not scored as abstention)."""
    ids: list[str] = []
    try:
        name = store.resolve_name(law, exact=True)
    except GuihuaError:  # not found, or ambiguous
        return ids
    for record in store.versions(name):
        try:
            ids.append(store.article(record.doc_id, article).id)
        except GuihuaError:
            continue
    return ids


def items_from_qa(qa_file: Path, store: ClauseStore, searcher: Searcher, k: int = 4,
                  limit: int | None = None) -> list[EvalItem]:
    rows = [json.loads(line) for line in qa_file.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    items = []
    for raw in rows[:limit] if limit is not None else rows:
        day = date.fromisoformat(raw["as_of"]) if raw.get("as_of") else date.today()
        hits = searcher.search(raw["question"], k=k, as_of=day).hits
        searcher.forget_query()
        gold, unresolved = [], []
        for g in raw.get("gold", []):
            ids = gold_clause_ids(store, str(g["law"]), str(g["article"]))
            if ids:
                gold.append(ids)
            else:
                unresolved.append(f"{g['law']}#{g['article']}")
        context = context_from_hits(hits)
        items.append(EvalItem(raw["id"], "qa", raw.get("type", ""),
                              build_messages(raw["question"], context,
                                             day if raw.get("as_of") else None),
                              gold, raw.get("answer_key_points", []), day,
                              [c.clause_id for c in context],
                              answerable=bool(raw.get("gold")), unresolved_gold=unresolved))
    return items


def items_from_heldout(path: Path, limit: int | None, seed: int = 0) -> list[EvalItem]:
    """The held-out split of generated data: prompt = the turns before the first answer."""
    rows = read_examples(path)
    rng = random.Random(seed)
    rng.shuffle(rows)
    items = []
    for row in rows[:limit] if limit else rows:
        messages = row["messages"]
        cut = next(i for i, m in enumerate(messages) if m["role"] == "assistant")
        prompt = messages[:cut]
        is_tool = row["kind"].startswith("tool:")
        context_ids = [] if is_tool else [
            c.clause_id for c in parse_context(prompt[-1]["content"])[1]]
        day = date.fromisoformat(row["as_of"]) if row.get("as_of") else date.today()
        items.append(EvalItem(row["id"], "heldout", row["kind"], prompt,
                              [[clause_id] for clause_id in row["gold_ids"]],
                              row["key_points"] if not is_tool else [], day, context_ids,
                              tools=row.get("tools") or [] if is_tool else [],
                              expected_tool=row["kind"].split(":", 1)[1] if is_tool else None,
                              answerable=bool(row["gold_ids"]) or is_tool))
    return items


def verified_text(store: ClauseStore, item: EvalItem, text: str) -> str:
    """What the QA agent would show for this generation: citations verified after generation,
    unsupported claims dropped, an abstention when nothing verified is left."""
    context = parse_context(item.messages[-1]["content"])[1]
    grounded = ground(store, text, context, item.as_of)
    if grounded.abstained and not grounded.text.startswith(ABSTAIN_PREFIX):
        return NOT_FOUND
    return grounded.text


def run_system(name: str, backend: ChatBackend, items: list[EvalItem], store: ClauseStore,
               progress: Progress = no_progress, on_item: Callable[[dict], None] = lambda _: None
               ) -> tuple[SystemRun, SystemRun]:
    """The system's raw answers, and the same answers after the QA agent's verification."""
    run, checked = SystemRun(name), SystemRun(f"{name}+verified")
    for i, item in enumerate(items):
        # The tools exactly as the item offered them (held-out items carry their own).
        specs = tuple(ToolSpec(t["function"]["name"], t["function"].get("description", ""),
                               t["function"].get("parameters", {})) for t in item.tools)
        options = GenerationOptions(max_tokens=MAX_TOKENS, tools=specs)
        completion = backend.complete(item.messages, options)
        text = completion.text
        if item.expected_tool:
            score = verified = score_tool_call(completion.tool_calls, item.expected_tool or "")
            shown = text
        else:
            score = score_answer(store, text, item.gold, item.key_points,
                                 set(item.context_ids), item.as_of, item.answerable)
            shown = verified_text(store, item, text)
            verified = score_answer(store, shown, item.gold, item.key_points,
                                    set(item.context_ids), item.as_of, item.answerable)
        run.scores.append(score)
        run.answers.append(text)
        checked.scores.append(verified)
        checked.answers.append(shown)
        if completion.seconds_to_first_token is not None:
            run.ttft.append(completion.seconds_to_first_token)
        if completion.completion_tokens and completion.seconds:
            generating = completion.seconds - (completion.seconds_to_first_token or 0.0)
            if generating > 0:
                run.tokens_per_second.append(completion.completion_tokens / generating)
        on_item({"id": item.id, "system": name, "source": item.source, "kind": item.kind,
                 "answer": text, "citations": score.cited,
                 "abstained": score.abstained, "as_of": item.as_of.isoformat(),
                 "tool_calls": [c.to_dict() for c in completion.tool_calls],
                 "score": score.to_dict(), "seconds": completion.seconds,
                 "verified_answer": shown, "verified_score": verified.to_dict()})
        progress(i + 1, len(items), f"{name} {item.id}")
    return run, checked


def run_answers_bench(systems: dict[str, Callable[[], ChatBackend]], items: list[EvalItem],
                      store: ClauseStore, out: Path, progress: Progress = no_progress) -> dict:
    """Load each system in turn (one model in memory at a time), answer every item, score."""
    out.parent.mkdir(parents=True, exist_ok=True)
    metrics: dict = {"items": len(items),
                     "by_source": {s: sum(1 for i in items if i.source == s)
                                   for s in ("qa", "heldout")},
                     # answerable gold items whose articles the corpus lacks (still answerable)
                     "unresolved_gold": {i.id: i.unresolved_gold for i in items
                                         if i.unresolved_gold},
                     "systems": {}}
    with out.open("w", encoding="utf-8") as handle:
        def write(row: dict) -> None:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()

        for name, make in systems.items():
            backend = make()
            for run in run_system(name, backend, items, store, progress, write):
                metrics["systems"][run.name] = {
                    "all": run.summary(),
                    **{source: SystemRun(run.name, [s for s, i in zip(run.scores, items)
                                                    if i.source == source]).summary()
                       for source in ("qa", "heldout")}}
            del backend
            gc.collect()
    return metrics


def comparison_markdown(metrics: dict) -> str:
    """A table of each system's overall numbers, for the model card and the issue note."""
    systems = metrics["systems"]
    keys = [k for k in next(iter(systems.values()))["all"]]
    lines = ["| metric | " + " | ".join(systems) + " |",
             "|---|" + "---|" * len(systems)]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(str(s["all"].get(key)) for s in systems.values())
                     + " |")
    return "\n".join(lines)
