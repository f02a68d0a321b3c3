"""VectorIndex behaviour: exact and IVF-SQ8 search, add/remove by id, atomic save, read-only
memory-mapped load, and the size rule that picks the kind."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import faiss
import numpy as np
import pytest

from retrieval import vector_index
from retrieval.vector_index import VectorIndex

DIM = 64
REPO = Path(__file__).resolve().parents[1]
MAPS = Path("/proc/self/maps")  # Linux: lists the files this process has memory-mapped


def _clustered(n: int, dim: int = DIM, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """Unit vectors around `clusters` random centres, like embeddings of a few topics."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = centres[rng.integers(clusters, size=n)] + rng.standard_normal((n, dim)) / np.sqrt(dim)
    return (points / np.linalg.norm(points, axis=1, keepdims=True)).astype(np.float32)


def _ids(n: int) -> np.ndarray:
    # Not row numbers, so a result that returns positions instead of ids is caught.
    return np.arange(n, dtype=np.int64) * 7 + 1_000


def _exact_with(vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex.exact(vectors.shape[1])
    index.add(_ids(len(vectors)), vectors)
    return index


def _approximate_with(vectors: np.ndarray) -> VectorIndex:
    index = VectorIndex.approximate(vectors, n_lists=64)
    index.add(_ids(len(vectors)), vectors)
    return index


def _recall(found: np.ndarray, truth: np.ndarray) -> float:
    return sum(len(np.intersect1d(f, t)) for f, t in zip(found, truth)) / truth.size


def test_exact_search_finds_each_vector_itself_first() -> None:
    vectors = _clustered(2_000)
    index = _exact_with(vectors)
    assert index.kind == "exact" and len(index) == 2_000 and index.dim == DIM

    scores, ids = index.search(vectors[:50], 5)

    assert ids.shape == (50, 5)
    np.testing.assert_array_equal(ids[:, 0], _ids(2_000)[:50])
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)  # cosine of a vector with itself
    assert (np.diff(scores, axis=1) <= 1e-6).all()  # best first


def test_removed_ids_disappear_from_results_and_length() -> None:
    vectors = _clustered(2_000)
    index = _exact_with(vectors)
    gone = _ids(2_000)[:100]

    assert index.remove(gone) == 100

    assert len(index) == 1_900
    ids = index.search(vectors[:100], 10)[1]
    assert not np.isin(ids, gone).any()
    # The rest are still found, under their own ids.
    np.testing.assert_array_equal(index.search(vectors[100:150], 1)[1][:, 0], _ids(2_000)[100:150])
    assert index.remove(gone) == 0  # already gone


def test_add_after_remove_makes_the_id_findable_again() -> None:
    vectors = _clustered(2_000)
    index = _exact_with(vectors)
    index.remove(_ids(2_000)[:1])

    index.add(np.array([42]), vectors[:1])

    assert len(index) == 2_000
    assert index.search(vectors[:1], 1)[1][0, 0] == 42


@pytest.mark.parametrize("build", [_exact_with, _approximate_with], ids=["exact", "ivf-sq8"])
def test_save_then_memory_mapped_load_gives_the_same_results(tmp_path: Path, build) -> None:
    vectors = _clustered(5_000)
    index = build(vectors)
    path = tmp_path / "vectors.faiss"
    index.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.faiss"]  # no temporary left behind

    mapped = VectorIndex.load(path)

    assert not mapped.writable and mapped.kind == index.kind and len(mapped) == len(index)
    if MAPS.exists():  # the file is mapped, not copied into memory
        assert str(path) in MAPS.read_text()
    mapped.nprobe = index.nprobe
    expected_scores, expected_ids = index.search(vectors[:100], 10)
    scores, ids = mapped.search(vectors[:100], 10)
    np.testing.assert_array_equal(ids, expected_ids)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-6)


def test_save_replaces_the_previous_file(tmp_path: Path) -> None:
    vectors = _clustered(2_000)
    path = tmp_path / "vectors.faiss"
    _exact_with(vectors[:1_000]).save(path)

    _exact_with(vectors).save(path)

    assert len(VectorIndex.load(path)) == 2_000


def test_writing_to_a_read_only_index_raises_instead_of_aborting(tmp_path: Path) -> None:
    # faiss aborts the whole process on a write to a mapped index, so the writes run in a child
    # process: if the guard ever lets one through, this test fails instead of killing pytest.
    vectors = _clustered(2_000)
    path = tmp_path / "vectors.faiss"
    _exact_with(vectors).save(path)
    np.save(tmp_path / "one.npy", vectors[:1])
    script = textwrap.dedent(f"""
        import numpy as np
        from pathlib import Path
        from retrieval.vector_index import ReadOnlyIndexError, VectorIndex
        mapped = VectorIndex.load(Path({str(path)!r}))
        vector = np.load({str(tmp_path / "one.npy")!r})
        for write in (lambda: mapped.add(np.array([1]), vector),
                      lambda: mapped.remove(np.array([{int(_ids(2_000)[0])}]))):
            try:
                write()
            except ReadOnlyIndexError:
                print("raised")
        print(len(mapped), mapped.search(vector, 1)[1][0, 0])
    """)

    child = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                           text=True, timeout=60, check=False)

    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["raised", "raised", "2000", str(_ids(2_000)[0])]


def test_writable_load_accepts_updates_and_leaves_the_file_alone(tmp_path: Path) -> None:
    vectors = _clustered(2_000)
    path = tmp_path / "vectors.faiss"
    _exact_with(vectors).save(path)
    loaded = VectorIndex.load(path, writable=True)

    assert loaded.remove(_ids(2_000)[:10]) == 10

    assert len(loaded) == 1_990
    assert len(VectorIndex.load(path)) == 2_000  # until saved


def test_approximate_recall_against_exact_on_clustered_data() -> None:
    vectors = _clustered(20_000, dim=128, clusters=100)
    rng = np.random.default_rng(1)
    # Queries are fresh points near the data, not copies of indexed vectors.
    queries = vectors[rng.choice(20_000, 200, replace=False)] + rng.normal(0, 0.05, (200, 128))
    queries = (queries / np.linalg.norm(queries, axis=1, keepdims=True)).astype(np.float32)
    exact = _exact_with(vectors)
    truth = exact.search(queries, 10)[1]
    approximate = VectorIndex.approximate(vectors[rng.choice(20_000, 10_000, replace=False)])
    approximate.add(_ids(20_000), vectors)
    assert approximate.kind == "ivf-sq8" and len(approximate) == 20_000

    approximate.nprobe = 64
    recall_64 = _recall(approximate.search(queries, 10)[1], truth)
    approximate.nprobe = 1
    recall_1 = _recall(approximate.search(queries, 10)[1], truth)

    assert recall_64 >= 0.9
    assert recall_1 < recall_64  # nprobe reaches the search


def test_approximate_index_removes_by_id() -> None:
    vectors = _clustered(5_000)
    index = _approximate_with(vectors)
    gone = _ids(5_000)[::10]

    assert index.remove(gone) == 500

    assert len(index) == 4_500
    assert not np.isin(index.search(vectors[::10], 10)[1], gone).any()
    kept = _ids(5_000)[1:200:10]
    np.testing.assert_array_equal(index.search(vectors[1:200:10], 1)[1][:, 0], kept)


def test_for_size_is_exact_below_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    sample = _clustered(7_000)  # ≥ 39 points per list, as faiss wants
    monkeypatch.setattr(vector_index, "APPROXIMATE_FROM", 2_000)

    assert VectorIndex.for_size(DIM, 1_999, sample).kind == "exact"
    assert VectorIndex.for_size(DIM, 2_000, None).kind == "exact"  # nothing to train on
    approximate = VectorIndex.for_size(DIM, 2_000, sample)
    assert approximate.kind == "ivf-sq8"
    ivf = faiss.extract_index_ivf(approximate._index)
    assert ivf.nlist == vector_index.ivf_lists_for(2_000) and ivf.is_trained


def test_for_size_default_threshold_keeps_small_indexes_exact() -> None:
    n = vector_index.APPROXIMATE_FROM - 1
    assert VectorIndex.for_size(DIM, n, _clustered(2_000)).kind == "exact"
