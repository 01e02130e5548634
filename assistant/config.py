"""Typed settings: defaults, then ``assistant.toml``, then ``ASSISTANT_...`` environment variables.

Built once by the CLI's ``main()`` and passed down; nothing reads settings at import time.
Secrets (API keys) are never settings: a setting names the environment variable that holds one.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.errors import ConfigError

DEFAULT_CONFIG_FILE = Path("assistant.toml")
ONNX_MODEL_NAME = "all-MiniLM-L6-v2-onnx-int8"
MIB = 1024 * 1024  # bytes in a MB as Gradio counts them


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EmbeddingSettings(_Section):
    """Which embedder turns text into vectors."""

    provider: Literal["onnx", "openai"] = "onnx"
    model: str = ONNX_MODEL_NAME
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_tokens: int = Field(default=256, ge=16, description="Model input limit in word pieces")
    threads: int = Field(default=0, ge=0, description="ONNX intra-op threads; 0 = all cores")
    timeout_s: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _openai_needs_model(self) -> EmbeddingSettings:
        if self.provider == "openai" and self.model == ONNX_MODEL_NAME:
            raise ValueError(
                "embedding.provider = 'openai' needs embedding.model set to the server's "
                "embedding model name (e.g. 'text-embedding-3-small' or 'nomic-embed-text')"
            )
        return self


class ChromaSettings(_Section):
    """Where vectors live: embedded under ``data_dir`` unless a server host is given."""

    host: str | None = None
    port: int = Field(default=8000, ge=1, le=65535)
    collection: str = Field(default="articles", min_length=3, max_length=63)


class ChunkingSettings(_Section):
    """Chunk sizes in the embedder's own word pieces, so no chunk is truncated."""

    chunk_tokens: int = Field(default=200, ge=16)
    overlap_tokens: int = Field(default=20, ge=0)

    @model_validator(mode="after")
    def _overlap_smaller(self) -> ChunkingSettings:
        if self.overlap_tokens >= self.chunk_tokens:
            raise ValueError("chunking.overlap_tokens must be smaller than chunking.chunk_tokens")
        return self


class IngestSettings(_Section):
    """Limits and de-duplication for ingest."""

    max_file_mb: float = Field(default=20.0, gt=0, description="MB of 1024 x 1024 bytes")
    near_duplicate_threshold: float = Field(default=0.8, gt=0, le=1)
    max_front_matter_chars: int = Field(
        default=65536, ge=256, description="Longest YAML front matter read from a text file"
    )
    max_field_chars: int = Field(
        default=2000, ge=64, description="Longest title, outlet, url, author or date accepted"
    )
    batch_chunks: int = Field(
        default=128,
        ge=1,
        le=4096,
        description="Chunks embedded and written per step: a crash loses at most one step, "
        "and in the web app a question asked during an upload waits for one step",
    )

    @property
    def max_file_bytes(self) -> int:
        """The file size limit in bytes, counted as the upload limit is (``MIB``)."""
        return int(self.max_file_mb * MIB)


class RetrievalSettings(_Section):
    """Hybrid retrieval: candidates from each retriever, fused by reciprocal rank."""

    top_k: int = Field(default=5, ge=1, le=100)
    candidates: int = Field(default=20, ge=1, le=1000)
    rrf_k: int = Field(default=60, ge=1)


class LLMSettings(_Section):
    """Which model writes answers. Ollama, vLLM, LM Studio and llama.cpp servers are "openai"."""

    # extractive by default: the bundled 135M model measured no better and 50x slower
    # (docs/answers.md); a capable model (any GGUF, Ollama, vLLM, OpenAI) is one setting away.
    provider: Literal["llamacpp", "openai", "extractive"] = "extractive"
    model: str = Field(
        default="",
        description="llamacpp: path to a GGUF file (empty = the bundled SmolLM2-135M); "
        "openai: the server's model name",
    )
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    structured: Literal["json_schema", "json_object", "off"] = Field(
        default="json_schema",
        description="How to ask an openai server for schema-constrained output: "
        "json_schema (OpenAI, vLLM, Ollama, LM Studio), json_object (llama-cpp-python server) "
        "or off (parse [n] markers from plain text)",
    )
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=200, ge=16)
    context_tokens: int = Field(default=2048, ge=512)
    threads: int = Field(default=0, ge=0)
    timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    isolate: bool = Field(
        default=True,
        description="llamacpp: run the model in a supervised child process, so a native crash "
        "ends that process only (the answer then quotes the sources)",
    )
    load_timeout_s: float = Field(default=120.0, gt=0, description="llamacpp: model load limit")
    max_restarts: int = Field(
        default=3, ge=0, le=100, description="llamacpp: restarts in a row before it stays off"
    )
    restart_backoff_s: float = Field(
        default=1.0, ge=0, description="llamacpp: wait before the first restart; doubles each time"
    )

    @model_validator(mode="after")
    def _openai_needs_model(self) -> LLMSettings:
        if self.provider == "openai" and not self.model:
            raise ValueError("llm.provider = 'openai' needs llm.model (the server's model name)")
        return self


def _default_prompts_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "prompts"


class EvidenceSettings(_Section):
    """The learned evidence model: which sentences answer, and when to abstain."""

    weights: Path | None = Field(
        default=None, description="Weights file (default: the bundled evidence_model.json)"
    )
    threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="Best sentence's P(answers) below which the chain abstains "
        "(default: the model's calibrated threshold)",
    )  # fmt: skip
    candidates: int = Field(
        default=30, ge=1, le=500,
        description="Sentences of the retrieved chunks shortlisted by question words, then "
        "embedded and scored (the model was fitted on pools of this size)",
    )  # fmt: skip
    quote_sentences: int = Field(
        default=3, ge=1, le=10,
        description="At most this many sentences in an answer that quotes the sources",
    )  # fmt: skip
    quote_ratio: float = Field(
        default=0.6, ge=0, le=1,
        validation_alias=AliasChoices("quote_ratio", "second_sentence_ratio"),
        description="The quote adds the next-best sentence when its P is at least this share "
        "of the best's (and above the threshold)",
    )  # fmt: skip
    antecedent: bool = Field(
        default=True,
        description="When the best sentence answers a who-question with a pronoun (\"According "
        "to her\"), quote the sentence before it too, when that one names the person",
    )  # fmt: skip
    precompute: bool = Field(
        default=False,
        description="Embed and tag every sentence at ingest (about 3x slower ingest); off, "
        "each question computes what its candidates lack and keeps it for the next",
    )
    cite_margin: float = Field(
        default=0.3, ge=0, le=1,
        description="A generated sentence must cite evidence whose P is within this of the best",
    )  # fmt: skip


class AnswerSettings(_Section):
    """How answers are built, checked and refused."""

    max_question_chars: int = Field(default=1000, ge=10)
    retrieve_k: int = Field(default=10, ge=1, le=100, description="Chunks retrieved per question")
    evidence_sentences: int = Field(default=8, ge=1, le=40)
    support_threshold: float = Field(default=0.6, ge=0, le=1)
    support_coverage_weight: float = Field(
        default=0.6, ge=0, le=1,
        description="Support score = this x word coverage + the rest x embedding similarity",
    )  # fmt: skip
    missing_anchor_factor: float = Field(
        default=0.5, ge=0, le=1,
        description="The support score is multiplied by this when a number or name is missing",
    )  # fmt: skip
    unsupported: Literal["drop", "mark"] = "drop"
    condense: Literal["concat", "model"] = Field(
        default="concat",
        description="How a follow-up becomes a standalone question: prepend the previous "
        "question (robust with small models) or ask the model to rewrite it",
    )
    prompts_dir: Path = Field(default_factory=_default_prompts_dir)


class UISettings(_Section):
    """The web chat (``python -m assistant serve``)."""

    host: str = Field(default="127.0.0.1", description="Anything but loopback needs --public")
    port: int = Field(default=7860, ge=1, le=65535)
    username: str | None = Field(default=None, description="Set to require a login")
    password_env: str = Field(
        default="ASSISTANT_UI_PASSWORD", description="Environment variable holding the password"
    )
    max_upload_mb: float = Field(
        default=5.0, gt=0, description="MB of 1024 x 1024 bytes, as the page's own check counts"
    )
    upload_dir: str = Field(default="uploads", description="Uploads land in corpus_dir/upload_dir")
    replace_uploads: bool = Field(
        default=True,
        description="An upload named as an earlier one replaces it (the page's checkbox "
        "starts so); the earlier file is kept in data_dir/deleted",
    )
    concurrency: int = Field(default=8, ge=1, le=64, description="Chats served at once")
    max_turns: int = Field(default=200, ge=1, description="Turns kept per conversation")
    max_queue: int = Field(
        default=64, ge=1, description="Requests waiting in the page's queue; more are refused"
    )

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes: Gradio counts a MB as 1024 x 1024 bytes, and its refusal
        in the browser and ours on the server name the same limit."""
        return int(self.max_upload_mb * MIB)


class Settings(BaseSettings):
    """All settings of the assistant."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="forbid"
    )

    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpus")
    embedding: EmbeddingSettings = EmbeddingSettings()
    chroma: ChromaSettings = ChromaSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    ingest: IngestSettings = IngestSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    llm: LLMSettings = LLMSettings()
    answer: AnswerSettings = AnswerSettings()
    evidence: EvidenceSettings = EvidenceSettings()
    ui: UISettings = UISettings()
    models: dict[str, LLMSettings] = Field(
        default_factory=dict,
        description="More answer models the web chat can switch to, by name ([models.NAME])",
    )

    @field_validator("data_dir")
    @classmethod
    def _a_folder(cls, path: Path) -> Path:
        if path.exists() and not path.is_dir():
            raise ValueError(f"{path} is a file; give a directory")
        return path

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file arrives as init values; the environment must win over it.
        return (env_settings, init_settings)


def load_settings(config_file: Path | None = None) -> Settings:
    """Read settings from ``config_file`` (default ``assistant.toml`` if present) and the environment."""
    path = config_file or Path(os.environ.get("ASSISTANT_CONFIG", DEFAULT_CONFIG_FILE))
    values: dict[str, Any] = {}
    if path.exists():
        try:
            values = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"{path} is not valid TOML: {exc}. Fix the file or remove it."
            ) from exc
        except OSError as exc:
            raise ConfigError(
                f"cannot read the config file {path}: {exc.strerror or exc}; "
                "point ASSISTANT_CONFIG or --config at a readable TOML file"
            ) from exc
    elif config_file is not None:
        raise ConfigError(
            f"config file {path} does not exist; create it from assistant.example.toml"
        )
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, path if path.exists() else None)) from exc


def _describe(exc: ValidationError, path: Path | None) -> str:
    """One line per bad value, naming where it can come from: the config file read (if
    any) or its ``ASSISTANT_*`` variable."""
    origin = f"{path} or ASSISTANT_*" if path else "ASSISTANT_*"
    lines = [f"invalid settings (from {origin} environment variables):"]
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "settings"
        env = "ASSISTANT_" + "__".join(str(p) for p in err["loc"]).upper()
        where = f"set it in {path} or {env}" if path else f"set {env}, or {name} in a config file"
        lines.append(f"  {name}: {err['msg']} ({where})")
    return "\n".join(lines)


def masked_settings(settings: Settings) -> dict[str, Any]:
    """The effective settings as plain data, with any secret shown only as set or unset."""
    data = settings.model_dump(mode="json")
    key_env = settings.embedding.api_key_env
    data["embedding"]["api_key"] = "***" if os.environ.get(key_env) else "(unset)"
    data["llm"]["api_key"] = "***" if os.environ.get(settings.llm.api_key_env) else "(unset)"
    return data
