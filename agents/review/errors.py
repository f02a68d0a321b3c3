"""The review's typed error: a submitted file that cannot be reviewed as given."""

from __future__ import annotations

from corpus.errors import BilingualError


class ReviewInputError(BilingualError):
    """A submitted file cannot be reviewed as given (type, size, unreadable 规划条件 …)."""
