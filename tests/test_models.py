"""The model store: chunked GGUF wheels located from their file lists, assembled, verified and
converted into an HF folder; local folders and GGUF files; listing with adapters."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest
from tiny_model import make_tiny_gguf

from agents.llm.model_store import ModelStore, ModelStoreError, PackagedModel, chunk_files

pytest.importorskip("transformers")


def _fake_wheels(site: Path, gguf: Path, parts: int) -> tuple[str, ...]:
    """Install `gguf` as `parts` chunk distributions laid out like the real weight wheels."""
    data = gguf.read_bytes()
    size = -(-len(data) // parts)
    names = []
    for i in range(parts):
        name = f"guihua_test_part{i + 1}"
        (site / name / "data").mkdir(parents=True)
        chunk = site / name / "data" / f"part{i + 1:02d}.bin"
        chunk.write_bytes(data[i * size:(i + 1) * size])
        # Code that must never run: locating the chunks may not import the package.
        (site / name / "__init__.py").write_text("raise RuntimeError('imported')\n")
        info = site / f"{name}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
        (info / "RECORD").write_text(f"{name}/__init__.py,,\n{name}/data/part{i + 1:02d}.bin,,\n"
                                     f"{info.name}/METADATA,,\n{info.name}/RECORD,,\n")
        names.append(name)
    return tuple(names)


@pytest.fixture
def packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PackagedModel:
    gguf = make_tiny_gguf(tmp_path / "tiny.gguf")
    site = tmp_path / "site"
    names = _fake_wheels(site, gguf, parts=3)
    monkeypatch.syspath_prepend(str(site))
    return PackagedModel(name="tiny", title="tiny test model", distributions=names,
                         sha256=hashlib.sha256(gguf.read_bytes()).hexdigest(),
                         size_bytes=gguf.stat().st_size, extra="model-test")


def test_chunks_are_found_without_importing_the_packages(packaged: PackagedModel) -> None:
    files = chunk_files(packaged)
    assert [f.name for f in files] == ["part01.bin", "part02.bin", "part03.bin"]
    assert not any(name.startswith("guihua_test_part") for name in sys.modules)


def test_prepare_assembles_verifies_and_converts_once(packaged: PackagedModel, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from agents.llm import model_store as models

    monkeypatch.setitem(models.PACKAGED_MODELS, "tiny", packaged)
    store = ModelStore(tmp_path / "models")
    seen: list[tuple[int, int]] = []
    folder = store.prepare("tiny", progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] == packaged.size_bytes
    assert store.gguf_path("tiny").stat().st_size == packaged.size_bytes
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True)
    assert model.config.num_hidden_layers == 2
    assert tokenizer.decode(tokenizer("用地").input_ids, skip_special_tokens=True) == "用地"
    vocabulary = tokenizer.get_vocab()
    for marker in ("<|im_end|>", "<tool_call>"):  # kept whole, with the GGUF's own ids
        assert tokenizer(marker, add_special_tokens=False).input_ids == [vocabulary[marker]]
    # A second prepare reuses the converted folder.
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert store.prepare("tiny") == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert {e.name: e.state for e in store.entries()}["tiny"] == "ready"


def test_a_corrupted_chunk_is_refused_and_leaves_nothing(packaged: PackagedModel, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.llm import model_store as models

    chunk = chunk_files(packaged)[1]
    data = bytearray(chunk.read_bytes())
    data[100] ^= 0xFF
    chunk.write_bytes(bytes(data))
    monkeypatch.setitem(models.PACKAGED_MODELS, "tiny", packaged)
    store = ModelStore(tmp_path / "models")
    with pytest.raises(ModelStoreError, match="sha256"):
        store.prepare("tiny")
    assert not store.gguf_path("tiny").exists()
    assert not list((tmp_path / "models" / "tiny").glob("*.partial"))


def test_missing_weights_name_the_extra_to_install(tmp_path: Path) -> None:
    model = PackagedModel(name="absent", title="", distributions=("guihua-no-such-part",),
                          sha256="0" * 64, size_bytes=1, extra="model-x")
    with pytest.raises(ModelStoreError, match=r"guihua\[model-x\]"):
        chunk_files(model)


def test_local_gguf_and_hf_folder(tmp_path: Path) -> None:
    gguf = make_tiny_gguf(tmp_path / "bureau.gguf")
    store = ModelStore(tmp_path / "models")
    folder = store.prepare(str(gguf))
    assert (folder / "config.json").exists() and folder.parent.name.startswith("local-")
    assert store.prepare(str(folder)) == folder  # an HF folder is used in place
    assert any(e.kind == "converted" for e in store.entries())
    with pytest.raises(ModelStoreError, match="unknown model"):
        store.prepare(str(tmp_path / "nothing-here"))
