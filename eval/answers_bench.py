"""Answer benchmark: several answering systems on the same items with the same retrieval.

Items come from a gold QA file (shared format: the question goes through our searcher, the top
k clauses are the context) and from the held-out split of the generated training data (contexts
as generated; articles never seen in training). Each system answers every item; scores per item
go to the --out JSONL, and per system: citation precision/recall, verification failures
(fabricated ids or clauses not in force), key-point accuracy, abstention accuracy, tool-call
validity, and speed (time to first token, tokens/s, resident memory).
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

from agents.grounded_prompt import build_messages
from agents.llm.base import ChatBackend, GenerationOptions, Message, ToolSpec
from agents.qa_context import context_from_hits
from agents.tools.specs import tool_specs
from corpus.errors import NotFoundError
from corpus.readers.base import Progress, no_progress
from corpus.store import ClauseStore
from eval.answer_metrics import ItemScore, score_answer, score_tool_call, summarise
from retrieval.search import Searcher
from training.sft_data import read_examples

MAX_TOKENS = 160


@dataclass
class EvalItem:
    id: str
    source: str  # qa | heldout
    kind: str
    messages: list[Message]  # the prompt: everything before the answer
    gold_ids: list[str]
    key_points: list[str]
    as_of: date
    context_ids: list[str]
    tools: bool = False
    expected_tool: str | None = None

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
    rss_mb: float | None = None

    def summary(self) -> dict:
        speed = {
            "ttft_s_median": round(statistics.median(self.ttft), 2) if self.ttft else None,
            "tokens_per_s_median": (round(statistics.median(self.tokens_per_second), 2)
                                    if self.tokens_per_second else None),
            "rss_mb": self.rss_mb,
        }
        return {**summarise(self.scores), **speed}


def _rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def gold_clause_ids(store: ClauseStore, law: str, article: str) -> list[str]:
    """Every version's clause id for a (law, article) gold pair; citing any of them is right."""
    ids = []
    try:
        name = store.resolve_name(law)
    except NotFoundError:
        return ids
    for record in store.versions(name):
        try:
            ids.append(store.article(record.doc_id, article).id)
        except NotFoundError:
            continue
    return ids


def items_from_qa(qa_file: Path, store: ClauseStore, searcher: Searcher, k: int = 4
                  ) -> list[EvalItem]:
    items = []
    for line in qa_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        day = date.fromisoformat(raw["as_of"]) if raw.get("as_of") else date.today()
        hits = searcher.search(raw["question"], k=k, as_of=day).hits
        searcher.forget_query()
        gold = [cid for g in raw.get("gold", [])
                for cid in gold_clause_ids(store, str(g["law"]), str(g["article"]))]
        context = context_from_hits(hits)
        items.append(EvalItem(raw["id"], "qa", raw.get("type", ""),
                              build_messages(raw["question"], context,
                                             day if raw.get("as_of") else None),
                              gold, raw.get("answer_key_points", []), day,
                              [c.clause_id for c in context]))
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
            line[1:line.index("]")] for line in prompt[-1]["content"].splitlines()
            if line.startswith("[") and "]" in line and "@" in line[:line.index("]")]]
        day = date.fromisoformat(row["as_of"]) if row.get("as_of") else date.today()
        items.append(EvalItem(row["id"], "heldout", row["kind"], prompt, row["gold_ids"],
                              row["key_points"] if not is_tool else [], day, context_ids,
                              tools=is_tool,
                              expected_tool=row["kind"].split(":", 1)[1] if is_tool else None))
    return items


def run_system(name: str, backend: ChatBackend, items: list[EvalItem], store: ClauseStore,
               progress: Progress = no_progress, on_item: Callable[[dict], None] = lambda _: None
               ) -> SystemRun:
    run = SystemRun(name, rss_mb=_rss_mb())
    specs: tuple[ToolSpec, ...] = tool_specs()
    for i, item in enumerate(items):
        options = GenerationOptions(max_tokens=MAX_TOKENS, tools=specs if item.tools else ())
        completion = backend.complete(item.messages, options)
        text = completion.text
        if item.tools:
            from agents.llm.tool_calls import render_tool_calls

            score = score_tool_call(render_tool_calls(completion.tool_calls, text),
                                    item.expected_tool or "")
        else:
            score = score_answer(store, text, item.gold_ids, item.key_points,
                                 set(item.context_ids), item.as_of)
        run.scores.append(score)
        run.answers.append(text)
        if completion.seconds_to_first_token is not None:
            run.ttft.append(completion.seconds_to_first_token)
        if completion.completion_tokens and completion.seconds:
            generating = completion.seconds - (completion.seconds_to_first_token or 0.0)
            if generating > 0:
                run.tokens_per_second.append(completion.completion_tokens / generating)
        on_item({"id": item.id, "system": name, "source": item.source, "kind": item.kind,
                 "answer": text, "tool_calls": [c.to_dict() for c in completion.tool_calls],
                 "score": score.to_dict(), "seconds": completion.seconds})
        progress(i + 1, len(items), f"{name} {item.id}")
    return run


def run_answers_bench(systems: dict[str, Callable[[], ChatBackend]], items: list[EvalItem],
                      store: ClauseStore, out: Path, progress: Progress = no_progress) -> dict:
    """Load each system in turn (one model in memory at a time), answer every item, score."""
    out.parent.mkdir(parents=True, exist_ok=True)
    metrics: dict = {"items": len(items),
                     "by_source": {s: sum(1 for i in items if i.source == s)
                                   for s in ("qa", "heldout")},
                     "systems": {}}
    with out.open("w", encoding="utf-8") as handle:
        def write(row: dict) -> None:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()

        for name, make in systems.items():
            backend = make()
            run = run_system(name, backend, items, store, progress, write)
            run.rss_mb = max(run.rss_mb or 0, _rss_mb() or 0) or None
            metrics["systems"][name] = {
                "all": run.summary(),
                **{source: SystemRun(name, [s for s, i in zip(run.scores, items)
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
