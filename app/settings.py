"""Settings from environment variables (GUIHUA_*) and an optional `guihua.toml`.

Everything guihua keeps lives under one data directory (default ./data)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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

    llm_backend: Literal["extractive", "transformers", "openai", "llamacpp"] = Field(
        "extractive", description="extractive: quote the best clauses, no model; transformers: a "
        "local model (+ LoRA adapter); openai: any OpenAI-compatible server (vLLM, llama.cpp); "
        "llamacpp: a GGUF through llama-cpp-python")
    llm_model: str = Field("qwen2.5-coder-0.5b", description="packaged model name, HF folder "
                           "or .gguf (transformers, llamacpp)")
    llm_adapter: str | None = Field(None, description="LoRA adapter: a name under "
                                    "<data>/models/adapters or a folder (transformers)")
    llm_base_url: str = Field("http://127.0.0.1:8000/v1", description="OpenAI-compatible "
                              "endpoint (openai)")
    llm_served_model: str = Field("guihua", description="model name the server knows (openai; "
                                  "with vLLM --lora-modules guihua=ADAPTER)")
    llm_api_key: SecretStr = Field(SecretStr("none"))

    database_url: str | None = Field(None, description="accounts and audit log: a SQLAlchemy URL "
                                     "(postgresql+psycopg://…); unset: <data>/app.sqlite")
    rate_limit: str = Field("120/minute", description="requests per API key (or client address "
                            "for anonymous callers), e.g. 120/minute")
    upload_max_mb: int = Field(100, ge=1, description="largest file an upload may be")
    review_max_pages: int = Field(1000, ge=1, description="longest plan document a review reads")
    review_workers: int = Field(2, ge=1, le=16, description="reviews run at the same time")

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

    def llm_api_key_value(self) -> str:
        return self.llm_api_key.get_secret_value()

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def sft_dir(self) -> Path:
        return self.data_dir / "sft"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def limits(self) -> IngestLimits:
        return IngestLimits(max_file_bytes=self.max_file_mb * 2**20,
                            max_pdf_pages=self.max_pdf_pages,
                            max_unzipped_bytes=self.max_unzipped_mb * 2**20)
