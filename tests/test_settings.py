from pathlib import Path

import pytest

from app.settings import Settings


def test_environment_overrides_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "guihua.toml").write_text('data_dir = "from-toml"\nmax_file_mb = 7\n',
                                          encoding="utf-8")
    monkeypatch.delenv("GUIHUA_DATA_DIR", raising=False)
    settings = Settings()
    assert settings.data_dir == Path("from-toml") and settings.max_file_mb == 7
    assert settings.limits.max_file_bytes == 7 * 2**20
    monkeypatch.setenv("GUIHUA_DATA_DIR", str(tmp_path / "env"))
    assert Settings().data_dir == tmp_path / "env"
    assert Settings().store_path == tmp_path / "env" / "corpus.sqlite"


def test_invalid_setting_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GUIHUA_MAX_FILE_MB", "0")
    with pytest.raises(ValueError):
        Settings()
