"""Training data from a real (small) corpus and index, loss masking, a LoRA run on the tiny
model with checkpoint resume, adapter save/load, and the answer metrics."""

from __future__ import annotations

import json
import random
import re
from datetime import date
from pathlib import Path

import pytest

from agents.grounded_prompt import parse_answer, parse_context
from agents.llm.base import ToolCall
from agents.llm.tool_calls import parse_tool_calls
from agents.tools.specs import validate_call
from app.indexes import open_searcher, sync_index
from app.settings import Settings
from corpus.ingest import ingest_paths
from corpus.store import ClauseStore
from eval.answer_metrics import key_point_hit, score_answer, score_tool_call, summarise
from tiny_model import make_tiny_model
from training.questions import in_everyday_words, questions_for
from training.sft_data import (
    DataConfig,
    SftBuilder,
    article_key,
    gold_article_keys,
    read_examples,
    write_examples,
)

NATIONAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national"
LAWS = ["城乡规划法(2019-04-23).md", "土地管理法(2019-08-26).md", "城市绿化条例(2017-03-01).md"]


def _version(year: int, effective: str, article_three: str) -> str:
    return f"""# 中华人民共和国农田水系保护法

（{year}年6月1日第十三届全国人民代表大会常务委员会第十次会议通过　自{effective}起施行）

第一条　为了保护农田水系，保障灌溉排涝安全，制定本法。

第二条　本法所称农田水系，是指为农田灌溉、排涝服务的沟渠、塘堰及其附属设施。

第三条　{article_three}

第四条　本法自{effective}起施行。
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path]:
    root = tmp_path_factory.mktemp("sft")
    files = root / "files"
    files.mkdir()
    # Two versions of one law, article 3 changed: material for the date questions.
    (files / "农田水系保护法(2015-06-01).md").write_text(_version(
        2015, "2016年1月1日", "任何单位和个人不得擅自填埋灌溉沟渠。"), encoding="utf-8")
    (files / "农田水系保护法(2021-06-01).md").write_text(_version(
        2021, "2022年1月1日", "任何单位和个人不得擅自填埋农田水系中的灌溉沟渠。确需填埋的，应当经县级"
        "人民政府水行政主管部门批准，并在原地附近恢复同等灌溉能力的沟渠。"), encoding="utf-8")
    config = Settings(data_dir=root / "data")
    with ClauseStore(config.store_path) as store:
        report = ingest_paths(store, [NATIONAL / name for name in LAWS] + [files])
        assert not report.failures
        sync_index(config, store, dense=False)
    gold = root / "gold.jsonl"
    gold.write_text(json.dumps({"id": "g1", "question": "宅基地", "gold": [
        {"law": "土地管理法", "article": 62}]}, ensure_ascii=False) + "\n", encoding="utf-8")
    return config, gold


@pytest.fixture(scope="module")
def dataset(corpus: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    config, gold = corpus
    folder = tmp_path_factory.mktemp("data")
    held_out = gold_article_keys([gold])
    data = DataConfig(grounded=40, abstain=15, unknown_document=4, temporal=4, tools=9,
                      eval_share=0.2, as_of=date(2026, 11, 24))
    with ClauseStore(config.store_path) as store, open_searcher(config, store, False) as search:
        report = write_examples(SftBuilder(store, search, data, held_out).build(lambda d, t: None),
                                folder, held_out)
    assert report.train > 40 and report.eval > 0
    return folder


def _rows(folder: Path) -> list[dict]:
    return read_examples(folder / "train.jsonl") + read_examples(folder / "eval.jsonl")


def test_grounded_answers_cite_their_clause_from_the_context(dataset: Path,
                                                             corpus: tuple[Settings, Path]) -> None:
    config, _ = corpus
    rows = [r for r in _rows(dataset)
            if r["kind"] in ("definition", "situation", "rule", "lookup")]
    assert len(rows) >= 30
    with ClauseStore(config.store_path) as store:
        for row in rows:
            question, context = parse_context(row["messages"][1]["content"])
            answer = parse_answer(row["messages"][-1]["content"])
            assert answer.cited_ids == row["gold_ids"] and not answer.abstained
            assert row["gold_ids"][0] in {c.clause_id for c in context}
            assert len(context) == 4  # the clause and three retrieved distractors
            # The key point is verbatim clause text.
            assert row["key_points"][0] in store.clause(row["gold_ids"][0]).text


def test_conditional_sentences_become_situation_questions() -> None:
    text = ("农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准。"
            "违反本法规定，擅自改变用途的，责令限期改正；情节严重的，处罚款。")
    found = questions_for("土地管理法", "第六十二条", text, random.Random(0))
    situations = [q for q in found if q.kind == "situation"]
    assert [q.subject for q in situations] == ["农村村民出卖、出租、赠与住宅后，再申请宅基地",
                                               "违反《土地管理法》规定，擅自改变用途"]
    # The question states the case; the key point is the sentence verbatim.
    assert situations[0].subject in situations[0].text
    assert situations[0].key_sentence == "农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准。"
    # "情节严重的" leans on the sentence before: not a situation on its own.
    assert all("情节严重" not in q.subject for q in found)
    assert found[-1].kind == "lookup"


def test_everyday_questions_leave_the_clauses_wording() -> None:
    text = "农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准。"
    situation = questions_for("土地管理法", "第六十二条", text, random.Random(0))[0]
    everyday = in_everyday_words(situation, random.Random(1))
    assert everyday.key_sentence == situation.key_sentence  # the answer stays verbatim
    assert everyday.subject == situation.subject
    for term in ("农村村民", "出卖", "赠与", "住宅"):
        assert term not in everyday.text
    lookup = questions_for("土地管理法", "第六十二条", text, random.Random(0))[-1]
    assert in_everyday_words(lookup, random.Random(1)) == lookup  # by number: unchanged


def test_abstentions_never_hold_the_answer(dataset: Path) -> None:
    rows = [r for r in _rows(dataset) if r["kind"] == "abstain"]
    assert len(rows) >= 15
    for row in rows:
        _, context = parse_context(row["messages"][1]["content"])
        answer = parse_answer(row["messages"][-1]["content"])
        assert answer.abstained and not answer.cited_ids and not row["gold_ids"]
        assert not any(row["id"].endswith(c.clause_id) for c in context)
        subject = re.search(r"没有关于(.+)的规定", answer.text)
        if subject and not subject.group(1).startswith("《"):  # a topic, not an article lookup
            assert not any(subject.group(1) in c.text for c in context), row["id"]


def test_date_questions_cite_the_version_then_in_force(dataset: Path,
                                                       corpus: tuple[Settings, Path]) -> None:
    config, _ = corpus
    rows = [r for r in _rows(dataset) if r["kind"] == "temporal"]
    assert rows
    with ClauseStore(config.store_path) as store:
        for row in rows:
            cited = parse_answer(row["messages"][-1]["content"]).cited_ids
            record = store.document(store.clause(cited[0]).doc_id)
            assert record.in_force_on(date.fromisoformat(row["as_of"]))
            _, context = parse_context(row["messages"][1]["content"])
            number = cited[0].split("#")[1]
            # Both versions of the article are shown; the date decides.
            assert {"农田水系保护法@2015-06-01#" + number, "农田水系保护法@2021-06-01#" + number
                    } <= {c.clause_id for c in context}


def test_tool_traces_hold_valid_calls(dataset: Path) -> None:
    rows = [r for r in _rows(dataset) if r["kind"].startswith("tool:")]
    assert {r["kind"] for r in rows} == {"tool:check_indicator", "tool:land_use_class",
                                         "tool:get_clause"}
    for row in rows:
        calls = parse_tool_calls(row["messages"][2]["content"]).calls
        assert len(calls) == 1 and validate_call(calls[0]) is None
        assert row["messages"][3]["role"] == "tool" and row["tools"]


def test_splits_are_by_article_and_gold_articles_are_never_trained(dataset: Path) -> None:
    def keys(path: Path) -> set[str]:
        found = set()
        for row in read_examples(path):
            for cid in row["gold_ids"]:
                doc, number = cid.split("#", 1)
                found.add(article_key(doc.split("@")[0], number))
        return found

    train, held = keys(dataset / "train.jsonl"), keys(dataset / "eval.jsonl")
    assert not train & held
    assert article_key("土地管理法", "62") not in train | held


# ---------------------------------------------------------------- training


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("peft")
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def test_loss_covers_only_the_assistant_turns(tiny: Path, dataset: Path) -> None:
    from transformers import AutoTokenizer

    from training.lora import IGNORE, encode_example

    tokenizer = AutoTokenizer.from_pretrained(tiny, local_files_only=True)
    row = next(r for r in read_examples(dataset / "train.jsonl") if r["kind"] == "tool:get_clause")
    encoded = encode_example(tokenizer, row, 100_000)
    learned = tokenizer.decode([t for t in encoded["labels"] if t != IGNORE])
    answers = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
    assert learned == "".join(f"{a}<|im_end|>\n" for a in answers)
    assert encode_example(tokenizer, row, 8) is None  # too long: dropped, not truncated


def test_lora_run_resumes_and_the_adapter_loads(tiny: Path, dataset: Path, tmp_path: Path) -> None:
    from agents.llm.base import GenerationOptions
    from agents.llm.transformers_backend import TransformersBackend
    from training.lora import TrainConfig, train_lora

    config = TrainConfig(base_model=str(tiny), max_steps=3, gradient_accumulation=2,
                         save_steps=1, logging_steps=1, max_examples=6, learning_rate=5e-3,
                         train_layers=1)
    adapter = tmp_path / "adapters" / "test-lora"

    class Interrupted(Exception):
        pass

    def stop_in_step_three(done: int, total: int) -> None:
        if done == 3:  # after step 3's update, before its checkpoint
            raise Interrupted

    with pytest.raises(Interrupted):  # as if the machine went away
        train_lora(config, tiny, dataset, adapter, stop_in_step_three)
    assert not adapter.exists()  # nothing half-written where the app looks
    steps: list[int] = []
    report = train_lora(config, tiny, dataset, adapter, lambda d, t: steps.append(d))
    assert report.resumed_from and report.resumed_from.endswith("checkpoint-2")
    assert report.steps == 3 and steps == [3] and report.final_loss is not None
    assert (adapter / "adapter_config.json").exists()
    assert not adapter.with_name("test-lora.work").exists()
    logged = [json.loads(line) for line in (adapter / "train_log.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in logged if "loss" in entry] == [1, 2, 3]
    # New data or settings never resume an old run.
    fresh = train_lora(config.model_copy(update={"max_examples": 5}), tiny, dataset, adapter)
    assert fresh.resumed_from is None and fresh.steps == 3

    # The trained adapter changes the model's outputs, and the chat backend serves it.
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    ids = torch.tensor([[1, 2, 3, 4]])
    base_model = AutoModelForCausalLM.from_pretrained(tiny, local_files_only=True)
    before = base_model(ids).logits
    after = PeftModel.from_pretrained(base_model, adapter)(ids).logits
    assert (before - after).abs().max() > 1e-4
    messages = read_examples(dataset / "eval.jsonl")[0]["messages"][:2]
    tuned = TransformersBackend(tiny, adapter).complete(messages, GenerationOptions(max_tokens=8))
    assert tuned.completion_tokens == 8


# ---------------------------------------------------------------- metrics


def test_answer_metrics(corpus: tuple[Settings, Path]) -> None:
    config, _ = corpus
    with ClauseStore(config.store_path) as store:
        real = next(c.id for r in store.documents() if r.short_name == "土地管理法"
                    for c in store.clauses(r.doc_id) if c.label == "第六十二条")
        day = date(2026, 11, 24)
        good = score_answer(store, f"不予批准 [{real}]", [[real]], ["再申请宅基地的，不予批准"],
                            {real}, day)
        assert good.cited_gold == 1 and good.articles_cited == 1 and not good.failed_verification
        assert good.key_points_hit == 0  # the key point is not in the answer
        fake = score_answer(store, "依据 [土地管理法@2019-08-26#999]。", [[real], ["x@y#1"]], [],
                            {real}, day)
        assert fake.failed_verification == ["土地管理法@2019-08-26#999"]
        assert fake.outside_context == ["土地管理法@2019-08-26#999"]
        abstain = score_answer(store, "无法回答：没有相关规定。", [], [], set(), day)
        summary = summarise([good, fake, abstain])
        assert summary["citation_precision"] == 0.5
        assert summary["citation_recall"] == round(1 / 3, 3)  # one of three gold articles cited
        assert summary["verification_failure_rate"] == 0.5
        assert summary["abstention_accuracy"] == 1.0
        assert summary["tool_call_validity"] is None  # no tool items: nothing to rate
        # Gold the corpus lacks is still an answerable item: abstaining there is not credited.
        missing = score_answer(store, "无法回答：没有。", [], [], set(), day, answerable=True)
        assert summarise([missing])["false_abstention_rate"] == 1.0
    assert key_point_hit("出卖、出租住宅后再申请宅基地的不予批准", "出卖、出租住宅后，再申请宅基地的，不予批准")
    good_call = parse_tool_calls(
        '<tool_call>{"name": "land_use_class", "arguments": {"query": "0701"}}</tool_call>').calls
    assert score_tool_call(good_call, "land_use_class").tool_valid
    bad = score_tool_call(parse_tool_calls(
        '<tool_call>{"name": "land_use_class", "arguments": {}}</tool_call>').calls,
        "land_use_class")
    assert not bad.tool_valid and "query" in (bad.tool_problem or "")
    broken = score_tool_call(parse_tool_calls('<tool_call>{"name": "land_use_cl').calls,
                             "land_use_class")
    assert not broken.tool_valid and "unparsable" in (broken.tool_problem or "")
    assert score_tool_call([], "land_use_class").tool_problem == "no tool call"
    assert validate_call(ToolCall("no_such_tool", {})) == "unknown tool 'no_such_tool'"
