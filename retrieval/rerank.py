"""Optional reranking of the fused candidates. Off by default: it is switched on only where it
measurably helps (eval/retrieval_bench.py reports it beside the plain pipeline).

A reranker scores (query, clause text) pairs; higher is more relevant. Two kinds fit behind the
interface: a cross-encoder model folder on disk (sentence-transformers CrossEncoder), and an LLM
asked a yes/no relevance question (the agents layer supplies that scorer)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from retrieval.embeddings import EmbeddingModelError, sentence_transformers_module


class Reranker(Protocol):
    def scores(self, query: str, texts: list[str]) -> list[float]: ...


class CrossEncoderReranker:
    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise EmbeddingModelError(f"找不到重排模型：{folder}",
                                      f"reranker model folder not found: {folder}")
        self._model = sentence_transformers_module().CrossEncoder(str(folder), device="cpu", local_files_only=True)

    def scores(self, query: str, texts: list[str]) -> list[float]:
        return [float(s) for s in self._model.predict([(query, t) for t in texts],
                                                      show_progress_bar=False)]


class YesNoReranker:
    """Wraps any function that returns P(relevant) for a (query, text) pair, such as an LLM
    asked "does this clause answer the question? yes/no"."""

    def __init__(self, probability: Callable[[str, str], float]) -> None:
        self._probability = probability

    def scores(self, query: str, texts: list[str]) -> list[float]:
        return [self._probability(query, text) for text in texts]
