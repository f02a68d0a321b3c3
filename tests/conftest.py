"""Shared fixtures. The shared corpus lives beside the repository (../shared), as in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.store import ClauseStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture
def store(tmp_path: Path) -> ClauseStore:
    with ClauseStore(tmp_path / "corpus.sqlite") as s:
        yield s


@pytest.fixture(scope="session")
def national_laws() -> Path:
    path = CORPUS / "laws" / "national"
    if not path.is_dir():
        pytest.fail(f"shared corpus missing at {path}: tests need ../shared beside the repo")
    return path
