"""Tool calls written as text, in the Qwen/Hermes form local models are trained on:

    <tool_call>
    {"name": "far_check", "arguments": {"far": 2.5, "limit": 2.0}}
    </tool_call>

`parse_tool_calls` turns model text into `ToolCall`s plus the text around them;
`render_tool_calls` writes calls back in exactly the form the Qwen2.5 chat template uses, so
training data and model output agree.

Invalid blocks are not dropped: a block whose JSON does not parse (or has no string "name", or
arguments that are not an object) becomes `ToolCall(name="", arguments={}, raw=<block body>)`,
in order among the valid ones. `ToolCall.valid` tells them apart, so callers can both skip
them and measure how often the model writes broken calls. An opening tag with no closing tag
(output cut off by max_tokens) counts as an invalid call too. Given the offered tool names, a
call written as bare JSON without the tags is accepted too (the 0.5B model, base and fine-tuned,
writes the right JSON but often drops the tags).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from agents.llm.base import FinishReason, ToolCall

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"

_BLOCK = re.compile(re.escape(OPEN_TAG) + r"(.*?)(?:" + re.escape(CLOSE_TAG) + r"|\Z)", re.DOTALL)


@dataclass
class ParsedToolCalls:
    text: str  # the model text with every block removed, whitespace at the ends trimmed
    calls: list[ToolCall] = field(default_factory=list)  # valid and invalid, in order

    @property
    def valid(self) -> list[ToolCall]:
        return [call for call in self.calls if call.valid]

    @property
    def invalid(self) -> list[ToolCall]:
        return [call for call in self.calls if not call.valid]


def parse_tool_calls(text: str, offered: frozenset[str] = frozenset()) -> ParsedToolCalls:
    """Split model text into its tool calls and the remaining prose. `offered`: the names of
    the tools the model was given; when the text has no tagged block, a bare JSON call naming
    one of them (small models often drop the tags) is taken as the call."""
    calls: list[ToolCall] = []
    kept: list[str] = []
    position = 0
    for match in _BLOCK.finditer(text):
        kept.append(text[position:match.start()])
        position = match.end()
        calls.append(parse_one(match.group(1)))
    kept.append(text[position:])
    if not calls:
        bare = _bare_call(text, offered) if offered else None
        return ParsedToolCalls(text="", calls=[bare]) if bare else ParsedToolCalls(text=text)
    return ParsedToolCalls(text="".join(kept).strip(), calls=calls)


def _bare_call(text: str, offered: frozenset[str]) -> ToolCall | None:
    """The first JSON object in `text` that calls an offered tool (later repeats ignored)."""
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            data, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("name") in offered:
            call = parse_one(text[start:end])
            return call if call.valid else None
    return None


def parse_one(body: str) -> ToolCall:
    """One block's body → a ToolCall; invalid bodies give name "" with `raw` kept.

    Accepts what models commonly write besides the canonical form: "parameters" for
    "arguments", and arguments given as a JSON string (OpenAI's wire form)."""
    raw = body.strip()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        return ToolCall(name="", arguments={}, raw=raw)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not data["name"]:
        return ToolCall(name="", arguments={}, raw=raw)
    arguments = parse_arguments(data.get("arguments", data.get("parameters", {})))
    if arguments is None:
        return ToolCall(name="", arguments={}, raw=raw)
    return ToolCall(name=data["name"], arguments=arguments, raw=raw)


def parse_arguments(value: Any) -> dict[str, Any] | None:
    """Arguments as an object, from an object or a JSON string; None when they are neither."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return value if isinstance(value, dict) else None


def render_tool_call(call: ToolCall) -> str:
    """One call as the Qwen2.5 chat template writes it (non-ASCII kept readable); an invalid
    call is written back as the model wrote it."""
    if not call.valid:
        return f"{OPEN_TAG}\n{call.raw}\n{CLOSE_TAG}"
    arguments = json.dumps(call.arguments, ensure_ascii=False)
    return f'{OPEN_TAG}\n{{"name": {json.dumps(call.name, ensure_ascii=False)}, ' \
           f'"arguments": {arguments}}}\n{CLOSE_TAG}'


def render_tool_calls(calls: list[ToolCall], text: str = "") -> str:
    """An assistant turn: optional prose, then each call on its own block."""
    parts = [text] if text else []
    parts.extend(render_tool_call(call) for call in calls)
    return "\n".join(parts)


# Finish reasons of the OpenAI wire format, as our backends name them.
OPENAI_FINISH: dict[str, FinishReason] = {"stop": "stop", "length": "length",
                                          "tool_calls": "tool_calls",
                                          "function_call": "tool_calls"}


def from_openai(name: str | None, raw_arguments: str | None) -> ToolCall:
    """An OpenAI `tool_calls` entry (arguments as a JSON string) → ToolCall; a missing name or
    unparsable arguments give an invalid call with what was sent kept in `raw`."""
    raw = raw_arguments or ""
    arguments = parse_arguments(raw)
    if not name or arguments is None:
        quoted = json.dumps(name or "", ensure_ascii=False)
        return ToolCall(name="", arguments={}, raw=f'{{"name": {quoted}, "arguments": {raw}}}')
    return ToolCall(name=name, arguments=arguments, raw=raw)
