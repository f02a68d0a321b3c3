"""Settings from environment variables (GUIHUA_*) and an optional `guihua.toml`.

Everything guihua keeps lives under one data directory (default ./data)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from corpus.readers.base import IngestLimits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUIHUA_", toml_file="guihua.toml",
                                      extra="ignore")

    data_dir: Path = Field(Path("data"), description="all state: clause store, graph, indexes")
    max_file_mb: int = Field(100, ge=1, description="largest file ingest accepts")
    max_pdf_pages: int = Field(5000, ge=1)
    max_unzipped_mb: int = Field(200, ge=1, description="DOCX/XLSX zip-bomb guard")
    graph_url: str | None = Field(None, description="bolt://… of an external Neo4j 5 / ArcadeDB; "
                                                    "unset: the embedded ArcadeDB server")
    graph_user: str = "root"
    graph_password: SecretStr | None = None
    graph_database: str = "kg"
    graph_heap_mb: int = Field(1024, ge=256)
    graph_start_timeout_s: float = Field(120.0, gt=0)
    rule_dirs: list[Path] = Field(default_factory=list, description="local rule packs (YAML)")
    embedding_model: str = Field("e5-small", description="e5-small | m3e-small | a "
                                 "sentence-transformers model folder | none (keyword search only)")
    reranker_model: Path | None = Field(None, description="a cross-encoder model folder; unset: "
                                        "no reranking")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings],
                                   init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource,
                                   dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource,
                                   ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments, then environment, then guihua.toml.
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "corpus.sqlite"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def limits(self) -> IngestLimits:
        return IngestLimits(max_file_bytes=self.max_file_mb * 2**20,
                            max_pdf_pages=self.max_pdf_pages,
                            max_unzipped_bytes=self.max_unzipped_mb * 2**20)
