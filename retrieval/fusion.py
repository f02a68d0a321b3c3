"""Reciprocal-rank fusion: each ranking contributes weight / (k + rank) to an item's score.

Ranks, not scores, are fused: BM25 scores and cosine similarities live on different scales, and
rank fusion needs no calibration. k=10 measured best on the public questions (k=60, the usual
default, was not significantly different; smaller k trusts the top of each list more).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

DEFAULT_K = 10


def reciprocal_rank_fusion(rankings: Sequence[Sequence[Key]], k: int = DEFAULT_K,
                           weights: Sequence[float] | None = None) -> list[tuple[Key, float]]:
    """Items of all rankings by fused score, best first; ties keep first-seen order."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
