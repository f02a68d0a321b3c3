"""Speed of each local backend on this machine: load time, resident memory, time to first token
on a realistic grounded prompt, and decode tokens/s, with ratios against transformers fp32 in the
same run (these machines are noisy; only same-run ratios compare). Each backend runs in its own
fresh process, one after another.

    python -m eval.llm_speed_bench --model qwen2.5-coder-0.5b [--adapter NAME] [--runs 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import multiprocessing
import statistics
import time
from datetime import date
from pathlib import Path

from agents.grounded_prompt import ContextClause, build_messages
from agents.llm.base import ChatBackend, GenerationOptions, Message

# A grounded prompt of typical size (four clauses, about 700 tokens).
_CLAUSES = [
    ContextClause("土地管理法@2019-08-26#62", "《土地管理法》第六十二条",
                  "农村村民一户只能拥有一处宅基地，其宅基地的面积不得超过省、自治区、直辖市规定的标准。"
                  "人均土地少、不能保障一户拥有一处宅基地的地区，县级人民政府在充分尊重农村村民意愿的基础上，"
                  "可以采取措施，按照省、自治区、直辖市规定的标准保障农村村民实现户有所居。"
                  "农村村民建住宅，应当符合乡（镇）土地利用总体规划、村庄规划，不得占用永久基本农田，"
                  "并尽量使用原有的宅基地和村内空闲地。农村村民出卖、出租、赠与住宅后，再申请宅基地的，不予批准。",
                  date(2020, 1, 1)),
    ContextClause("土地管理法@2019-08-26#44", "《土地管理法》第四十四条",
                  "建设占用土地，涉及农用地转为建设用地的，应当办理农用地转用审批手续。"
                  "永久基本农田转为建设用地的，由国务院批准。", date(2020, 1, 1)),
    ContextClause("城乡规划法@2019-04-23#41", "《城乡规划法》第四十一条",
                  "在乡、村庄规划区内进行乡镇企业、乡村公共设施和公益事业建设的，建设单位或者个人应当向乡、镇人民政府"
                  "提出申请，由乡、镇人民政府报城市、县人民政府城乡规划主管部门核发乡村建设规划许可证。",
                  date(2019, 4, 23)),
    ContextClause("土地管理法实施条例@2021-07-02#34", "《土地管理法实施条例》第三十四条",
                  "农村村民申请宅基地的，应当以户为单位向农村集体经济组织提出申请；没有设立农村集体经济组织的，"
                  "应当向所在的村民小组或者村民委员会提出申请。", date(2021, 9, 1)),
]
PROMPT: list[Message] = build_messages("村民把老宅卖给城里人后还能再申请宅基地吗？", _CLAUSES)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _make(kind: str, model_dir: Path, adapter: Path | None, gguf: Path | None) -> ChatBackend:
    if kind == "llama.cpp (GGUF)":
        from agents.llm.llamacpp_backend import LlamaCppBackend

        return LlamaCppBackend(gguf)  # type: ignore[arg-type]
    from agents.llm.transformers_backend import TransformersBackend

    return TransformersBackend(model_dir, adapter if kind.endswith("LoRA") else None,
                               dtype="bfloat16" if "bf16" in kind else "float32")


def measure(kind: str, model_dir: Path, adapter: Path | None, gguf: Path | None, runs: int,
            new_tokens: int) -> dict:
    """One backend, in the calling process (run it in a fresh process for a clean RSS)."""
    before = _rss_mb()
    started = time.perf_counter()
    backend = _make(kind, model_dir, adapter, gguf)
    load_s = time.perf_counter() - started
    options = GenerationOptions(max_tokens=new_tokens)
    backend.complete(PROMPT, GenerationOptions(max_tokens=4))  # warm-up
    ttft, rates, prompt_tokens = [], [], None
    for _ in range(runs):
        done = backend.complete(PROMPT, options)
        prompt_tokens = done.prompt_tokens
        first = done.seconds_to_first_token
        if first is not None:
            ttft.append(first)
        decoding = (done.seconds or 0.0) - (first or 0.0)
        if done.completion_tokens and decoding > 0:
            # Without a first-token time (some servers) this rate includes the prompt.
            rates.append((done.completion_tokens - (1 if first is not None else 0)) / decoding)
    return {"load_s": round(load_s, 1), "rss_mb": round(_rss_mb() - before),
            "prompt_tokens": prompt_tokens,
            "ttft_s": round(statistics.median(ttft), 2) if ttft else None,
            "decode_tokens_per_s": round(statistics.median(rates), 2) if rates else None}


def run(model_dir: Path, adapter: Path | None, gguf: Path | None, runs: int,
        new_tokens: int) -> dict:
    """Each backend in its own fresh process, one after another: clean memory numbers, and no
    backend slowed by another's threads."""
    kinds = ["transformers fp32", "transformers bf16"]
    if adapter:
        kinds.append("transformers fp32 + LoRA")
    if gguf and importlib.util.find_spec("llama_cpp") is not None:
        kinds.append("llama.cpp (GGUF)")
    context = multiprocessing.get_context("spawn")
    results = {}
    for kind in kinds:
        with context.Pool(1) as pool:
            results[kind] = pool.apply(measure, (kind, model_dir, adapter, gguf, runs, new_tokens))
    base = results["transformers fp32"]
    for numbers in results.values():
        if numbers["decode_tokens_per_s"] and base["decode_tokens_per_s"]:
            numbers["decode_ratio_vs_fp32"] = round(
                numbers["decode_tokens_per_s"] / base["decode_tokens_per_s"], 2)
        if numbers["ttft_s"] and base["ttft_s"]:
            numbers["ttft_ratio_vs_fp32"] = round(numbers["ttft_s"] / base["ttft_s"], 2)
    return results


def main() -> None:
    from agents.llm.factory import adapter_path
    from agents.llm.model_store import PACKAGED_MODELS, ModelStore
    from app.settings import Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--adapter", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("eval/results/llm_speed.json"))
    args = parser.parse_args()
    config = Settings()
    store = ModelStore(config.models_dir)
    model_dir = store.prepare(args.model)
    gguf = store.gguf_path(args.model) if args.model in PACKAGED_MODELS else None
    results = run(model_dir, adapter_path(store, args.adapter), gguf, args.runs, args.new_tokens)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    print(json.dumps(results, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
