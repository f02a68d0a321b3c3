"""The QA agent on a real (small) corpus and index: grounded answers with verbatim clause text,
verification of what a model wrote (fabricated ids, clauses not in force or not retrieved,
near-miss ids repaired, uncited quotes attributed, unsupported claims dropped), abstention with
the closest clauses, follow-up questions, and `guihua ask`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from agents.grounded_prompt import ContextClause
from agents.llm.base import Completion, ToolCall
from agents.llm.extractive import ExtractiveBackend
from agents.qa.agent import QaAgent
from agents.qa.grounding import ground
from agents.tools.toolbox import Toolbox
from app.cli import app
from app.indexes import open_searcher, sync_index
from app.settings import Settings
from corpus.ingest import ingest_paths
from corpus.store import ClauseStore
from kg.domain.loader import land_use_by_code, load_rule_packs

NATIONAL = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "laws" / "national"
LAND = "土地管理法@2019-08-26"
OLD_POND, NEW_POND = "塘堰保护法@2015-03-01", "塘堰保护法@2021-03-01"


def _pond_law(year: int, article_two: str) -> str:
    return (f"# 中华人民共和国塘堰保护法\n\n（{year}年3月1日全国人民代表大会常务委员会通过　"
            f"自{year}年7月1日起施行）\n\n第一条　为了保护塘堰，制定本法。\n\n第二条　{article_two}\n\n"
            f"第三条　本法自{year}年7月1日起施行。\n")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("qa")
    files = root / "files"
    files.mkdir()
    (files / "塘堰保护法(2015-03-01).md").write_text(
        _pond_law(2015, "任何单位不得填埋塘堰。"), encoding="utf-8")
    (files / "塘堰保护法(2021-03-01).md").write_text(
        _pond_law(2021, "任何单位和个人不得擅自填埋塘堰；确需填埋的，应当经县级人民政府批准。"),
        encoding="utf-8")
    config = Settings(data_dir=root / "data")
    with ClauseStore(config.store_path) as store:
        report = ingest_paths(store, [NATIONAL / "土地管理法(2019-08-26).md",
                                      NATIONAL / "城乡规划法(2019-04-23).md", files])
        assert not report.failures
        sync_index(config, store, dense=False)
    return config


@pytest.fixture
def agent(corpus: Settings) -> QaAgent:
    with ClauseStore(corpus.store_path) as store, \
            open_searcher(corpus, store, use_graph=False) as searcher:
        yield QaAgent(store, searcher, ExtractiveBackend())


def _context(store: ClauseStore, *ids: str) -> list[ContextClause]:
    clauses = [store.clause(i) for i in ids]
    return [ContextClause(c.id, c.label, c.text) for c in clauses]


# --- verification of what a model wrote ------------------------------------------------------

def test_valid_citations_are_kept_with_the_verbatim_clause(corpus: Settings) -> None:
    with ClauseStore(corpus.store_path) as store:
        context = _context(store, f"{LAND}#62", f"{LAND}#44")
        result = ground(store, f"出卖住宅后再申请宅基地的，不予批准 [{LAND}#62]。", context,
                        date(2024, 5, 1))
        assert not result.abstained and [c.id for c in result.citations] == [f"{LAND}#62"]
        assert result.citations[0].text == store.clause(f"{LAND}#62").text
        assert result.citations[0].law == "土地管理法"
        assert result.text == f"出卖住宅后再申请宅基地的，不予批准 [{LAND}#62]。"


def test_fabricated_and_unretrieved_citations_are_removed_with_their_claims(corpus: Settings
                                                                            ) -> None:
    with ClauseStore(corpus.store_path) as store:
        context = _context(store, f"{LAND}#62")
        answer = (f"一户只能拥有一处宅基地 [{LAND}#62]。\n"
                  f"宅基地可以自由买卖给城镇居民 [{LAND}#999]。\n"  # no such clause
                  f"征收永久基本农田由国务院批准 [{LAND}#46]。")  # exists, not retrieved
        result = ground(store, answer, context, date(2024, 5, 1))
        assert [c.id for c in result.citations] == [f"{LAND}#62"]
        assert {r.id for r in result.rejected} == {f"{LAND}#999", f"{LAND}#46"}
        assert "自由买卖" not in result.text and "国务院批准" not in result.text
        assert len(result.dropped_claims) == 2


def test_a_clause_not_in_force_on_the_date_cannot_be_cited(corpus: Settings) -> None:
    with ClauseStore(corpus.store_path) as store:
        context = _context(store, f"{OLD_POND}#2", f"{NEW_POND}#2")
        old = ground(store, f"任何单位不得填埋塘堰 [{OLD_POND}#2]。", context, date(2024, 1, 1))
        assert old.abstained and not old.citations
        assert "not in force" in old.rejected[0].reason
        then = ground(store, f"任何单位不得填埋塘堰 [{OLD_POND}#2]。", context, date(2018, 1, 1))
        assert [c.id for c in then.citations] == [f"{OLD_POND}#2"]


def test_near_miss_ids_are_repaired_and_uncited_quotes_attributed(corpus: Settings) -> None:
    with ClauseStore(corpus.store_path) as store:
        context = _context(store, f"{LAND}#62", f"{LAND}#44")
        # Another version's date for an article in the context → the context's id.
        repaired = ground(store, "一户只能拥有一处宅基地 [土地管理法@2004-08-28#62]。", context,
                          date(2024, 5, 1))
        assert [c.id for c in repaired.citations] == [f"{LAND}#62"]
        assert repaired.repaired == {"土地管理法@2004-08-28#62": f"{LAND}#62"}
        # A verbatim sentence from a context clause, uncited → cited; an invented one → dropped.
        answer = ("根据规定：\n农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准。\n"
                  "宅基地面积一律不得超过三百平方米。")
        result = ground(store, answer, context, date(2024, 5, 1))
        assert result.text.startswith("根据规定：")
        assert f"不予批准。 [{LAND}#62]" in result.text or f"不予批准 [{LAND}#62]" in result.text
        assert result.dropped_claims == ["宅基地面积一律不得超过三百平方米。"]


def test_an_answer_with_nothing_verified_is_an_abstention(corpus: Settings) -> None:
    with ClauseStore(corpus.store_path) as store:
        context = _context(store, f"{LAND}#62")
        result = ground(store, "可以，先建后批即可。[城乡规划法@2019-04-23#40]", context,
                        date(2024, 5, 1))
        assert result.abstained and not result.citations


# --- the agent end to end ----------------------------------------------------------------------

def test_agent_answers_with_the_clause_in_force(agent: QaAgent) -> None:
    answer = agent.ask("农村村民出卖住宅后，还能再申请宅基地吗？", date(2024, 5, 1))
    assert not answer.abstained
    assert f"{LAND}#62" in [c.id for c in answer.citations]
    assert "再申请宅基地的，不予批准" in answer.answer
    data = answer.to_dict()
    assert {"answer", "citations", "abstained", "as_of"} <= set(data)
    assert data["as_of"] == "2024-05-01"
    assert {"id", "law", "article", "text"} <= set(data["citations"][0])
    # Every citation in the answer text is one of the verified ones.
    assert set(answer.context_ids) >= {c.id for c in answer.citations}


def test_agent_uses_the_version_in_force_on_the_date_asked(agent: QaAgent) -> None:
    then = agent.ask("填埋塘堰有什么规定？", date(2018, 1, 1))
    now = agent.ask("填埋塘堰有什么规定？", date(2024, 1, 1))
    assert f"{OLD_POND}#2" in [c.id for c in then.citations]
    assert f"{NEW_POND}#2" in [c.id for c in now.citations]
    assert not any(c.id.startswith(OLD_POND) for c in now.citations)
    assert not any(c.id.startswith(NEW_POND) for c in then.citations)


def test_agent_abstains_and_shows_the_closest_clauses(agent: QaAgent) -> None:
    answer = agent.ask("公司员工每年有几天带薪年假？", date(2024, 5, 1))
    assert answer.abstained and not answer.citations
    assert answer.answer.startswith("无法回答")
    assert answer.closest  # what was found, for the person to judge
    with pytest.raises(ValueError):
        agent.ask("   ")


def test_a_follow_up_keeps_the_conversation_in_view(agent: QaAgent) -> None:
    first = agent.ask("农村村民出卖住宅后，还能再申请宅基地吗？", date(2024, 5, 1))
    retrieved = agent.retrieve("那面积有限制吗？", date(2024, 5, 1), [first.turn()])
    assert f"{LAND}#62" in [h.id for h in retrieved]
    messages = agent.messages("那面积有限制吗？", [], None, [first.turn()])
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == first.question


def test_guihua_ask_cli(corpus: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIHUA_DATA_DIR", str(corpus.data_dir))
    result = CliRunner().invoke(app, ["ask", "农村村民出卖住宅后，还能再申请宅基地吗？",
                                      "--as-of", "2024-05-01", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert not data["abstained"] and data["citations"][0]["id"] == f"{LAND}#62"
    bad = CliRunner().invoke(app, ["ask", "宅基地", "--as-of", "2024/05/01"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


# --- tools -----------------------------------------------------------------------------------

class ScriptedModel:
    """Stands in for a model that misbehaves in a chosen way (contradicting a rule's verdict,
    writing an unparsable call): no real model can be made to do that on demand."""

    name = "scripted"
    calls_tools = True

    def __init__(self, replies: list[Completion]) -> None:
        self.replies = replies
        self.seen: list[list] = []

    def complete(self, messages: list, options: object = None) -> Completion:
        self.seen.append(list(messages))
        return self.replies.pop(0)

    def stream(self, messages: list, options: object = None):  # pragma: no cover - unused
        yield self.complete(messages, options).text


@pytest.fixture
def toolbox(corpus: Settings) -> Toolbox:
    rules = [rule for pack in load_rule_packs() for rule in pack.rules]
    with ClauseStore(corpus.store_path) as store, \
            open_searcher(corpus, store, use_graph=False) as searcher:
        yield Toolbox(store, searcher, rules, land_use_by_code(), date(2024, 5, 1))


def test_tool_questions_without_a_model(toolbox: Toolbox) -> None:
    agent = QaAgent(toolbox.store, toolbox.searcher, ExtractiveBackend(), toolbox=toolbox)
    check = agent.ask("一个居住街坊，建筑气候区划属于III区，住宅平均12层，规划容积率3.5，符合标准吗？",
                      date(2024, 5, 1))
    assert check.answer.startswith("不符合") and not check.abstained
    call = check.tool_calls[0]
    assert call["name"] == "check_indicator" and call["arguments"]["value"] == 3.5
    assert all(not v["passed"] for v in call["result"]["verdicts"])
    assert "gb50180-2018" in check.answer
    code = agent.ask("用地代码0701是什么用地？")
    assert "城镇住宅用地" in code.answer and code.tool_calls[0]["name"] == "land_use_class"
    text = agent.ask("帮我调出《土地管理法》第六十二条的原文。", date(2024, 5, 1))
    assert [c.id for c in text.citations] == [f"{LAND}#62"]
    assert text.citations[0].text == toolbox.store.clause(f"{LAND}#62").text


def test_a_model_is_held_to_the_rules_verdict(toolbox: Toolbox) -> None:
    question = "一个居住街坊，建筑气候区划属于III区，住宅平均12层，规划容积率3.5，符合标准吗？"
    call = ToolCall("check_indicator", {"indicator": "far", "value": 3.5, "land_use": "0701",
                                        "climate_zone": "III", "average_storeys": 12})
    model = ScriptedModel([Completion("", [call], "tool_calls"),
                           Completion("符合，容积率3.5没有问题。")])
    answer = QaAgent(toolbox.store, toolbox.searcher, model, toolbox=toolbox).ask(question)
    assert answer.answer.startswith("不符合")  # the rule decides, not the model
    # The model saw its call and the tool's real result.
    roles = [m["role"] for m in model.seen[1]]
    assert roles == ["system", "user", "assistant", "tool"]
    assert '"passed": false' in model.seen[1][-1]["content"]


def test_invalid_tool_calls_are_not_run(toolbox: Toolbox) -> None:
    bad = ToolCall("check_indicator", {"indicator": "far", "value": "3.5", "land_use": "0701"})
    result = toolbox.run(bad)
    assert result.error and "参数无效" in result.error
    assert toolbox.run(ToolCall("drop_database", {})).error
    model = ScriptedModel([Completion("", [ToolCall("", {}, raw="<tool_call>{oops")],
                                      "tool_calls"),
                           Completion("")])
    answer = QaAgent(toolbox.store, toolbox.searcher, model, toolbox=toolbox).ask(
        "用地代码0701是什么用地？")
    assert answer.tool_calls[0]["error"]
    # Nothing usable from the model: the question's own call is answered by rule.
    assert "城镇住宅用地" in answer.answer


def test_langchain_tools_carry_the_strict_schemas(toolbox: Toolbox) -> None:
    tools = {tool.name: tool for tool in toolbox.tools()}
    assert set(tools) == {"search_clauses", "get_clause", "land_use_class", "check_indicator"}
    hits = tools["search_clauses"].invoke({"query": "宅基地", "k": 3})["hits"]
    assert hits and all("@" in h["id"] for h in hits)
    with pytest.raises(ValidationError):
        tools["get_clause"].invoke({"law": "土地管理法", "article": 62})  # strict: a string


def test_answer_benchmark_scores_raw_and_verified_answers(corpus: Settings, tmp_path: Path
                                                          ) -> None:
    from eval.answers_bench import items_from_qa, run_answers_bench

    gold = tmp_path / "qa.jsonl"
    rows = [{"id": "q1", "question": "农村村民出卖住宅后，还能再申请宅基地吗？",
             "gold": [{"law": "土地管理法", "article": 62}],
             "answer_key_points": ["再申请宅基地的，不予批准"], "type": "scenario",
             "as_of": "2024-05-01"},
            {"id": "q2", "question": "公司员工每年有几天带薪年假？", "gold": [],
             "answer_key_points": [], "type": "unanswerable", "as_of": None}]
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    with ClauseStore(corpus.store_path) as store, \
            open_searcher(corpus, store, use_graph=False) as searcher:
        items = items_from_qa(gold, store, searcher, 4)
        metrics = run_answers_bench({"extractive": ExtractiveBackend}, items, store,
                                    tmp_path / "answers.jsonl")
    assert set(metrics["systems"]) == {"extractive", "extractive+verified"}
    verified = metrics["systems"]["extractive+verified"]["all"]
    assert verified["verification_failure_rate"] == 0.0
    assert verified["citation_recall"] == 1.0 and verified["abstention_accuracy"] == 1.0
    lines = [json.loads(line) for line in (tmp_path / "answers.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["q1", "q2"]
    assert all("verified_answer" in line for line in lines)
