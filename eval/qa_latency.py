"""End-to-end QA latency: `QaAgent.ask` (retrieval, generation, verification) on the public
questions, per backend, with retrieval alone as the same-run baseline (what every answer pays
before any model runs). Reports p50/p95 wall time and the ratio to retrieval.

    python -m eval.qa_latency [--limit 50] [--backend extractive]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path

from agents.llm.factory import backend_from_settings
from agents.qa.agent import QaAgent
from agents.tools.toolbox import Toolbox
from app.indexes import open_searcher
from app.settings import Settings
from corpus.store import ClauseStore
from kg.domain.loader import land_use_by_code, load_rule_packs

DEFAULT_QA = Path(__file__).resolve().parents[2] / "shared" / "eval" / "qa_public.jsonl"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(questions: list[dict], config: Settings) -> dict:
    backend = backend_from_settings(config)
    rules = [rule for pack in load_rule_packs(config.rule_dirs) for rule in pack.rules]
    retrieval, answers, abstained = [], [], 0
    with ClauseStore(config.store_path) as store, \
            open_searcher(config, store, use_graph=False) as searcher:
        toolbox = Toolbox(store, searcher, rules, land_use_by_code(), date.today())
        agent = QaAgent(store, searcher, backend, toolbox=toolbox)
        agent.ask(questions[0]["question"])  # warm-up: models and indexes loaded once
        for row in questions:
            day = date.fromisoformat(row["as_of"]) if row.get("as_of") else None
            searcher.forget_query()
            started = time.perf_counter()
            searcher.search(row["question"], k=agent.k, as_of=day)
            retrieval.append(time.perf_counter() - started)
            searcher.forget_query()
            started = time.perf_counter()
            answer = agent.ask(row["question"], day)
            answers.append(time.perf_counter() - started)
            abstained += answer.abstained
    p50 = statistics.median(answers)
    return {"backend": backend.name, "questions": len(questions), "abstained": abstained,
            "retrieval_p50_s": round(statistics.median(retrieval), 3),
            "answer_p50_s": round(p50, 3), "answer_p95_s": round(_percentile(answers, 0.95), 3),
            "answer_vs_retrieval_p50": round(p50 / statistics.median(retrieval), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, default=DEFAULT_QA)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("eval/results/qa_latency.json"))
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines()
            if line.strip()][:args.limit]
    result = run(rows, Settings())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
