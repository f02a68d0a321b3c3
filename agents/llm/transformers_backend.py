"""A local Hugging Face model folder (optionally with a peft LoRA adapter) as a chat backend.

This is the path a fine-tuned guihua model takes on a CPU-only machine: the same folder that
training writes is loaded here, with nothing fetched from the network (`local_files_only`).
torch and transformers are imported when a backend is created, so importing this module (and
`agents.llm`) stays cheap where the `llm` extra is not installed.

One generation runs at a time per backend (a lock), since parallel generation on a 2-core CPU
only makes every request slower. `complete` and `stream` share one code path, so a stream's
pieces always join to the text `complete` would return.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agents.llm.adapters import is_adapter_folder
from agents.llm.base import (
    DEFAULT_OPTIONS,
    BackendError,
    Completion,
    GenerationOptions,
    Message,
)
from agents.llm.tool_calls import parse_tool_calls

Dtype = Literal["float32", "bfloat16"]
_INSTALL_HINT = "pip install 'guihua[llm]'"


class TransformersBackend:
    """Chat with a local transformers model folder; `adapter_dir` adds a trained LoRA adapter.

    `threads` sets torch's (process-wide) CPU thread count; None keeps torch's default."""

    calls_tools = True

    def __init__(self, model_dir: Path, adapter_dir: Path | None = None,
                 dtype: Dtype = "float32", threads: int | None = None,
                 name: str | None = None) -> None:
        self.model_dir = Path(model_dir)
        self.adapter_dir = Path(adapter_dir) if adapter_dir is not None else None
        _check_model_dir(self.model_dir)
        if self.adapter_dir is not None:
            _check_adapter_dir(self.adapter_dir)
        try:
            import torch
            import transformers
        except ImportError as err:
            raise BackendError(f"未安装本地模型所需的 torch/transformers，请运行 {_INSTALL_HINT}"
                               f" / torch and transformers are not installed: run {_INSTALL_HINT}"
                               ) from err
        if dtype not in ("float32", "bfloat16"):
            raise BackendError(f"不支持的数据类型 {dtype!r}，可选 float32 或 bfloat16 / "
                               f"unsupported dtype {dtype!r}: use float32 or bfloat16")
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self._transformers = transformers
        self.tokenizer, self.model = self._load(getattr(torch, dtype))
        self.name = name or self.model_dir.name + (f"+{self.adapter_dir.name}"
                                                   if self.adapter_dir else "")
        self._lock = threading.Lock()

    def _load(self, torch_dtype: Any) -> tuple[Any, Any]:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        try:
            # fix_mistral_regex=False silences transformers 4.57.6's false "incorrect regex"
            # warning, given for every local folder it saved, whatever the model.
            tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True,
                                                      fix_mistral_regex=False)
            model = AutoModelForCausalLM.from_pretrained(self.model_dir, local_files_only=True,
                                                         dtype=torch_dtype)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
            raise BackendError(f"无法从 {self.model_dir} 加载模型，请确认它是完整的 Hugging Face 模型"
                               f"目录（含 config.json、权重和分词器文件）/ cannot load a model from "
                               f"{self.model_dir}: it must be a complete Hugging Face model folder "
                               f"(config.json, weights, tokenizer files)", ) from err
        if not tokenizer.chat_template:
            raise BackendError(f"{self.model_dir} 的分词器没有对话模板（chat_template），无法用作对话"
                               f"模型 / the tokenizer in {self.model_dir} has no chat template, "
                               f"so it cannot be used as a chat model")
        if self.adapter_dir is not None:
            model = self._attach_adapter(model)
        model.eval()
        return tokenizer, model

    def _attach_adapter(self, model: Any) -> Any:
        try:
            from peft import PeftModel
        except ImportError as err:
            raise BackendError(f"加载 LoRA 适配器需要 peft，请运行 {_INSTALL_HINT} / loading a "
                               f"LoRA adapter needs peft: run {_INSTALL_HINT}") from err
        try:
            return PeftModel.from_pretrained(model, str(self.adapter_dir), is_trainable=False)
        except (OSError, ValueError, KeyError, RuntimeError) as err:
            raise BackendError(f"无法加载适配器 {self.adapter_dir}，它可能是为另一个基础模型训练的 / "
                               f"cannot load the adapter {self.adapter_dir}; it may have been "
                               f"trained for another base model: {err}") from err

    def complete(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
                 ) -> Completion:
        run = _Run()
        text = "".join(self._generate(messages, options, run))
        parsed = parse_tool_calls(text, frozenset(t.name for t in options.tools))
        if any(call.valid for call in parsed.calls):
            finish = "tool_calls"
        else:
            finish = run.finish_reason
        return Completion(text=parsed.text, tool_calls=parsed.calls, finish_reason=finish,
                          prompt_tokens=run.prompt_tokens,
                          completion_tokens=run.completion_tokens, seconds=run.seconds,
                          seconds_to_first_token=run.seconds_to_first_token, model=self.name)

    def stream(self, messages: list[Message], options: GenerationOptions = DEFAULT_OPTIONS
               ) -> Iterator[str]:
        yield from self._generate(messages, options, _Run())

    def _prompt_ids(self, messages: list[Message], options: GenerationOptions) -> Any:
        tools = [spec.to_openai() for spec in options.tools] or None
        try:
            prompt = self.tokenizer.apply_chat_template(list(messages), tools=tools,
                                                        add_generation_prompt=True,
                                                        tokenize=False)
        except Exception as err:  # jinja errors have no common base class worth naming
            raise BackendError(f"对话模板无法处理这些消息 / the chat template rejected the "
                               f"messages: {err}") from err
        encoded = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit and encoded["input_ids"].shape[1] >= limit:
            raise BackendError(f"提示过长（{encoded['input_ids'].shape[1]} 个词元，模型上限 {limit}），"
                               f"请减少参考条文 / the prompt has {encoded['input_ids'].shape[1]} "
                               f"tokens, over the model's limit of {limit}: send fewer clauses")
        return encoded

    def _generate(self, messages: list[Message], options: GenerationOptions, run: _Run
                  ) -> Iterator[str]:
        """Generate on a worker thread, yielding text as it decodes, cut at the first stop
        string; fills `run` with counts and timings when done."""
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        encoded = self._prompt_ids(messages, options)
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True,
                                        skip_special_tokens=True)
        prompt_tokens = int(encoded["input_ids"].shape[1])
        watch = _Watch(self._torch, self.tokenizer, prompt_tokens, options.stop)
        kwargs: dict[str, Any] = {
            "input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"],
            "max_new_tokens": options.max_tokens, "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([watch]),
            "pad_token_id": self.tokenizer.pad_token_id or self.tokenizer.eos_token_id}
        if options.temperature > 0:
            kwargs.update(do_sample=True, temperature=options.temperature)
        else:  # greedy; clear the model's own sampling defaults so generate does not warn
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        cutter = _StopCutter(options.stop)
        with self._lock:
            started = time.perf_counter()
            watch.started = started
            worker = threading.Thread(target=self._worker, args=(kwargs, streamer, run),
                                      daemon=True)
            worker.start()
            try:
                for piece in streamer:
                    out = cutter.feed(piece)
                    if out:
                        yield out
                    if cutter.stopped:
                        watch.cancel.set()
                tail = cutter.flush()
                if tail:
                    yield tail
            finally:
                watch.cancel.set()  # the consumer stopped early: let the worker finish fast
                worker.join()
        if run.error is not None:
            raise BackendError(f"模型生成失败 / generation failed: {run.error}") from run.error
        new_ids = run.output[0, prompt_tokens:].tolist() if run.output is not None else []
        run.prompt_tokens = prompt_tokens
        run.completion_tokens = len(new_ids)
        run.seconds = time.perf_counter() - started
        run.seconds_to_first_token = watch.first_token_seconds
        hit_eos = bool(new_ids) and new_ids[-1] in self._eos_ids()
        run.finish_reason = "length" if (len(new_ids) >= options.max_tokens and not hit_eos
                                         and not cutter.stopped) else "stop"

    def _worker(self, kwargs: dict[str, Any], streamer: Any, run: _Run) -> None:
        try:
            with self._torch.inference_mode():
                run.output = self.model.generate(**kwargs)
        except Exception as err:
            run.error = err
            streamer.end()

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self.tokenizer.eos_token_id is not None:
            ids.add(self.tokenizer.eos_token_id)
        return ids


@dataclass
class _Run:
    """What one generation reports besides its text."""

    output: Any = None
    error: Exception | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    seconds: float | None = None
    seconds_to_first_token: float | None = None
    finish_reason: Literal["stop", "length"] = "stop"


@dataclass
class _StopCutter:
    """Cuts streamed text at the first stop string, holding back only a tail that could still
    become one, so pieces flow as soon as they cannot be part of a stop string."""

    stops: tuple[str, ...]
    buffer: str = ""
    stopped: bool = False
    _stops: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self._stops = [s for s in self.stops if s]

    def feed(self, piece: str) -> str:
        if self.stopped:
            return ""
        if not self._stops:
            return piece
        self.buffer += piece
        hits = [i for i in (self.buffer.find(s) for s in self._stops) if i >= 0]
        if hits:
            out, self.buffer, self.stopped = self.buffer[:min(hits)], "", True
            return out
        keep = max((k for s in self._stops for k in range(1, min(len(s), len(self.buffer) + 1))
                    if self.buffer.endswith(s[:k])), default=0)
        out, self.buffer = self.buffer[:len(self.buffer) - keep], self.buffer[len(self.buffer) -
                                                                             keep:]
        return out

    def flush(self) -> str:
        out, self.buffer = ("" if self.stopped else self.buffer), ""
        return out


class _Watch:
    """The stopping criterion of one generation: it notes when the first token came, stops at a
    stop string in the generated text, and stops once the consumer has gone away.

    transformers' own `stop_strings` are not used: they also match text that began in the
    prompt (a stop of "\n\n" fires on the template's trailing newline), while a stop string
    must only ever match generated text."""

    def __init__(self, torch: Any, tokenizer: Any, prompt_tokens: int,
                 stops: tuple[str, ...]) -> None:
        self._torch = torch
        self._tokenizer = tokenizer
        self._prompt_tokens = prompt_tokens
        self._stops = [s for s in stops if s]
        self.cancel = threading.Event()
        self.started = 0.0
        self.first_token_seconds: float | None = None

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        if self.first_token_seconds is None:
            self.first_token_seconds = time.perf_counter() - self.started
        done = self.cancel.is_set()
        if not done and self._stops:
            text = self._tokenizer.decode(input_ids[0, self._prompt_tokens:],
                                          skip_special_tokens=True)
            done = any(stop in text for stop in self._stops)
        return self._torch.full((input_ids.shape[0],), done, dtype=self._torch.bool)


_REQUIRED = (("权重", "weight", ("*.safetensors", "pytorch_model*.bin")),
             ("分词器", "tokenizer", ("tokenizer.json", "tokenizer.model", "vocab.json")))


def _check_model_dir(model_dir: Path) -> None:
    if not model_dir.is_dir():
        raise BackendError(f"模型目录不存在：{model_dir}。请先运行 guihua setup 准备模型，或检查路径 / "
                           f"model folder not found: {model_dir}. Run `guihua setup` or fix the "
                           f"path")
    if not (model_dir / "config.json").is_file():
        raise BackendError(f"{model_dir} 不是 Hugging Face 模型目录（缺少 config.json）。GGUF 文件请用 "
                           f"llama.cpp 后端，或先转换 / {model_dir} is not a Hugging Face model "
                           f"folder (no config.json); use the llama.cpp backend for a GGUF file "
                           f"or convert it first")
    missing = [(zh, en) for zh, en, patterns in _REQUIRED
               if not any(next(model_dir.glob(pattern), None) for pattern in patterns)]
    if missing:
        raise BackendError(f"{model_dir} 缺少{'和'.join(zh for zh, _ in missing)}文件，不是完整的模型目录 / "
                           f"{model_dir} has no {' or '.join(en for _, en in missing)} files: "
                           f"it must be a complete Hugging Face model folder")


def _check_adapter_dir(adapter_dir: Path) -> None:
    if not is_adapter_folder(adapter_dir):
        raise BackendError(f"{adapter_dir} 不是 LoRA 适配器目录（缺少 adapter_config.json）/ "
                           f"{adapter_dir} is not a LoRA adapter folder (no adapter_config.json)")
