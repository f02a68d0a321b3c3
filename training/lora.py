"""LoRA fine-tuning with peft on the chat examples of `training.sft_data`.

The loss covers only what the assistant says (answers, tool calls); system prompts, clauses,
questions and tool results are context. One script for CPU and GPU: the device is whatever torch
finds. Resumable (checkpoints every `save_steps`), seeded, with loss logged to `train_log.jsonl`
in the output folder and a progress callback for the CLI bar.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from corpus.errors import GuihuaError

Progress = Callable[[int, int], None]

IGNORE = -100  # label value the loss skips


class TrainingError(GuihuaError):
    """Training cannot start or finish; the message says what to do."""


class TrainConfig(BaseModel):
    """Everything a run depends on; saved beside the adapter and in its model card."""

    model_config = ConfigDict(extra="forbid")

    base_model: str = Field("qwen2.5-coder-0.5b", description="packaged name, HF folder or .gguf")
    data_dir: Path | None = Field(None, description="train.jsonl/eval.jsonl; default <data>/sft")
    output_name: str = Field("guihua-lora", pattern=r"^[\w.-]+$")
    seed: int = 7
    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, description="overrides epochs when > 0")
    max_examples: int | None = Field(None, ge=1, description="use only the first N train examples")
    learning_rate: float = Field(2e-4, gt=0)
    warmup_ratio: float = Field(0.05, ge=0, lt=1)
    batch_size: int = Field(1, ge=1)
    gradient_accumulation: int = Field(8, ge=1)
    max_length: int = Field(1536, ge=64, description="tokens; longer examples are dropped "
                            "(tool prompts with their schemas run to about 1,300)")
    lora_r: int = Field(16, ge=1)
    lora_alpha: int = Field(32, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: list[str] = Field(default_factory=lambda: [
        "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    train_layers: int | None = Field(16, ge=1, description="LoRA on the top N layers only: "
                                     "backpropagation then stops there, saving CPU time")
    dtype: Literal["float32", "bfloat16"] = "float32"  # bf16 only pays on CPUs with AVX512-BF16/AMX
    logging_steps: int = Field(5, ge=1)
    save_steps: int = Field(25, ge=1)
    threads: int | None = Field(None, ge=1)

    @classmethod
    def from_file(cls, path: Path) -> TrainConfig:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls.model_validate(data)
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise TrainingError(f"训练配置有误 / invalid training config {path}: {exc}") from exc


@dataclass
class TrainReport:
    adapter_dir: str
    base_model_dir: str
    examples: int
    dropped_too_long: int
    dropped_by_kind: dict[str, int]  # a kind dropped wholesale is a kind not learnt
    steps: int
    seconds: float  # wall time of this session (a resumed run counts only its own part)
    steps_per_second: float  # of this session
    final_loss: float | None
    trainable_parameters: int
    resumed_from: str | None

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def _assistant_spans(tokenizer: Any, messages: list[dict], tools: list[dict] | None
                     ) -> tuple[str, list[tuple[int, int]]]:
    """The rendered conversation and the character spans of each assistant turn (its content
    and end-of-turn marker), found by rendering growing prefixes with the model's own template."""
    def render(upto: int, prompt: bool) -> str:
        return tokenizer.apply_chat_template(messages[:upto], tools=tools, tokenize=False,
                                             add_generation_prompt=prompt)

    full = render(len(messages), False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        start = len(render(i, True))
        end = len(render(i + 1, False))
        if full[:end] != render(i + 1, False):
            raise TrainingError("聊天模板不是前缀一致的 / the chat template does not render "
                                "prefixes consistently; cannot mask the loss")
        spans.append((start, end))
    return full, spans


def encode_example(tokenizer: Any, example: dict, max_length: int) -> dict[str, list[int]] | None:
    """input_ids and labels (assistant tokens only); None when longer than max_length."""
    text, spans = _assistant_spans(tokenizer, example["messages"], example.get("tools"))
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids = encoded["input_ids"]
    if len(ids) > max_length:
        return None
    labels = [token if any(s <= start < e for s, e in spans) else IGNORE
              for token, (start, _) in zip(ids, encoded["offset_mapping"])]
    return {"input_ids": ids, "labels": labels}


def _collate(pad_id: int) -> Callable[[list[dict]], dict]:
    import torch

    def collate(batch: list[dict]) -> dict:
        width = max(len(item["input_ids"]) for item in batch)
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, item in enumerate(batch):
            n = len(item["input_ids"])
            ids[row, :n] = torch.tensor(item["input_ids"])
            labels[row, :n] = torch.tensor(item["labels"])
            mask[row, :n] = 1
        return {"input_ids": ids, "labels": labels, "attention_mask": mask}

    return collate


def _answer_only_loss(model: Any, batch: dict, num_items: Any) -> Any:
    """Cross-entropy on assistant tokens, with logits computed only where a label follows: the
    150k-word output layer over a 700-token prompt is a quarter of the work otherwise. Needs
    batch size 1 (one row of positions to keep). Summed and divided by the label count of the
    whole accumulation window, as the Trainer expects of a model that takes loss kwargs."""
    import torch.nn.functional as F

    labels = batch["labels"][0]
    positions = (labels[1:] != IGNORE).nonzero().squeeze(-1)
    outputs = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                    logits_to_keep=positions)
    total = F.cross_entropy(outputs.logits[0].float(), labels[positions + 1], reduction="sum")
    return total / (num_items if num_items is not None else max(1, len(positions)))


def _trainer_class() -> type:
    from transformers import Trainer

    class AnswerOnlyTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if inputs["input_ids"].shape[0] != 1 or return_outputs:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            loss = _answer_only_loss(model, inputs, num_items_in_batch)
            if self.args.average_tokens_across_devices and num_items_in_batch is not None:
                loss = loss * self.accelerator.num_processes  # as Trainer.compute_loss does
            return loss

    return AnswerOnlyTrainer


def _fingerprint(config: TrainConfig, base_model_dir: Path, train_file: Path) -> str:
    """What a checkpoint depends on: settings, base model and training data."""
    digest = hashlib.sha256(config.model_dump_json(exclude={"output_name"}).encode())
    digest.update(str(base_model_dir).encode())
    digest.update(train_file.read_bytes())
    return digest.hexdigest()


def _work_folder(output_dir: Path, fingerprint: str, resume: bool) -> Path:
    """The checkpoint folder of this run. An interrupted run with the same settings and data is
    resumed; anything else (a restart, new data, new settings) starts from a clean folder, so a
    stale checkpoint is never mistaken for progress."""
    work = output_dir.with_name(output_dir.name + ".work")
    stamp = work / "fingerprint"
    if not (resume and stamp.exists() and stamp.read_text() == fingerprint):
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    return work


def train_lora(config: TrainConfig, base_model_dir: Path, data_dir: Path, output_dir: Path,
               progress: Progress | None = None, resume: bool = True) -> TrainReport:
    """Train and save the adapter to `output_dir` (written to a scratch folder, moved into place
    at the end, so an interrupted run never leaves a half adapter where the app looks)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
        PrinterCallback,
        TrainerCallback,
        TrainingArguments,
        set_seed,
    )

    from training.sft_data import read_examples

    base_model_dir = base_model_dir.resolve()  # the adapter records it; must work from anywhere
    train_file = data_dir / "train.jsonl"
    if not train_file.exists():
        raise TrainingError(f"没有训练数据 {train_file}，请先运行 guihua train data / no training "
                            f"data at {train_file}: run `guihua train data` first")
    if config.threads:
        torch.set_num_threads(config.threads)
    set_seed(config.seed)
    # fix_mistral_regex=False: transformers 4.57.6 warns about a Mistral regex for every
    # local folder it saved itself, whatever the model; nothing is wrong with Qwen's.
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir, local_files_only=True,
                                              fix_mistral_regex=False)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    rows = read_examples(train_file)
    if config.max_examples:
        rows = rows[:config.max_examples]
    encoded = [encode_example(tokenizer, row, config.max_length) for row in rows]
    dataset = [item for item in encoded if item is not None]
    if not dataset:
        raise TrainingError("所有训练样本都超过 max_length / every example exceeds max_length")

    try:
        model = AutoModelForCausalLM.from_pretrained(
            base_model_dir, local_files_only=True, dtype=getattr(torch, config.dtype))
    except (OSError, ValueError) as exc:
        raise TrainingError(f"无法加载基础模型 {base_model_dir} / cannot load the base model "
                            f"{base_model_dir}: {exc}") from exc
    layers = model.config.num_hidden_layers
    top = None if not config.train_layers or config.train_layers >= layers else list(
        range(layers - config.train_layers, layers))
    model = get_peft_model(model, LoraConfig(
        r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
        target_modules=config.target_modules, layers_to_transform=top, task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)

    work = _work_folder(output_dir, _fingerprint(config, base_model_dir, train_file), resume)
    log_path = work / "train_log.jsonl"
    checkpoints = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
    resume_from = str(checkpoints[-1]) if checkpoints else None
    steps_per_epoch = math.ceil(len(dataset) / (config.batch_size * config.gradient_accumulation))
    total_steps = config.max_steps if config.max_steps > 0 else math.ceil(
        steps_per_epoch * config.epochs)

    class Report(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs:
                with log_path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps({"step": state.global_step, **logs}) + "\n")

        def on_step_end(self, args, state, control, **kwargs):
            if progress:
                progress(state.global_step, total_steps)

    arguments = TrainingArguments(
        output_dir=str(work), per_device_train_batch_size=config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation,
        num_train_epochs=config.epochs, max_steps=config.max_steps,
        learning_rate=config.learning_rate, warmup_ratio=config.warmup_ratio,
        lr_scheduler_type="cosine", logging_steps=config.logging_steps,
        save_steps=config.save_steps, save_total_limit=2, seed=config.seed,
        report_to=[], disable_tqdm=progress is not None, dataloader_num_workers=0,
        remove_unused_columns=False, use_cpu=not torch.cuda.is_available())
    trainer = _trainer_class()(model=model, args=arguments, train_dataset=dataset,
                      data_collator=_collate(tokenizer.pad_token_id), callbacks=[Report()])
    # Logs go to train_log.jsonl and the progress bar, never to stdout (--json must stay JSON).
    trainer.remove_callback(PrinterCallback)
    started = time.monotonic()
    try:
        result = trainer.train(resume_from_checkpoint=resume_from)
    except (RuntimeError, ValueError) as exc:  # shape mismatches, out of memory, bad modules
        raise TrainingError(f"训练失败（检查点保留在 {work}，可续训）/ training failed (checkpoints "
                            f"kept in {work} for --resume): {exc}") from exc
    seconds = time.monotonic() - started

    scratch = output_dir.with_name(output_dir.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    model.save_pretrained(scratch)
    tokenizer.save_pretrained(scratch)
    (scratch / "train_config.yaml").write_text(
        yaml.safe_dump(json.loads(config.model_dump_json()), allow_unicode=True), encoding="utf-8")
    if log_path.exists():
        shutil.copy(log_path, scratch / "train_log.jsonl")
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    report = TrainReport(
        adapter_dir=str(output_dir), base_model_dir=str(base_model_dir), examples=len(dataset),
        dropped_too_long=len(encoded) - len(dataset),
        dropped_by_kind=dict(Counter(row["kind"] for row, item in zip(rows, encoded)
                                     if item is None)),
        steps=trainer.state.global_step,
        seconds=round(seconds, 1),
        steps_per_second=round(result.metrics.get("train_steps_per_second", 0.0), 4),
        final_loss=losses[-1] if losses else None, trainable_parameters=trainable,
        resumed_from=resume_from)
    (scratch / "train_report.json").write_text(json.dumps(report.to_dict(), indent=1))
    if output_dir.exists():
        shutil.rmtree(output_dir)
    scratch.rename(output_dir)
    shutil.rmtree(work)  # finished: the next run starts fresh
    return report


def merge_adapter(base_model_dir: Path, adapter_dir: Path, output_dir: Path) -> Path:
    """Fold the LoRA weights into a plain HF folder (for servers without LoRA support)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(base_model_dir, local_files_only=True)
    merged = PeftModel.from_pretrained(model, adapter_dir).merge_and_unload()
    scratch = output_dir.with_name(output_dir.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    merged.save_pretrained(scratch)
    AutoTokenizer.from_pretrained(adapter_dir, local_files_only=True,
                                  fix_mistral_regex=False).save_pretrained(scratch)
    if output_dir.exists():
        shutil.rmtree(output_dir)
    scratch.rename(output_dir)
    return output_dir
