"""The settings each compared config runs with: files, provider overrides, own data dirs."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlparse

from assistant.app import with_provider
from assistant.config import Settings, load_settings
from assistant.errors import ConfigError

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def configs(files: list[Path], providers: list[str]) -> list[tuple[str, Settings]]:
    """One labelled Settings per config file (or the default) and per provider."""
    loaded = [(f.stem, load_settings(f)) for f in files] or [("default", load_settings(None))]
    out: list[tuple[str, Settings]] = []
    for stem, base in loaded:
        for provider in providers or [base.llm.provider]:
            label = provider if len(loaded) == 1 else f"{stem}:{provider}" if providers else stem
            out.append((label, with_provider(base, provider)))
    labels = [label for label, _ in out]
    return [
        (f"{label}#{i + 1}" if labels.count(label) > 1 else label, s)
        for i, (label, s) in enumerate(out)
    ]


def ensure_local(label: str, settings: Settings) -> None:
    """The eval calls nothing but local models and endpoints on 127.0.0.1."""
    endpoints = {"chroma.host": settings.chroma.host}
    if settings.llm.provider == "openai":
        endpoints["llm.base_url"] = settings.llm.base_url or "https://api.openai.com/v1"
    if settings.embedding.provider == "openai":
        endpoints["embedding.base_url"] = settings.embedding.base_url or "https://api.openai.com/v1"
    for name, value in endpoints.items():
        if value is None:
            continue
        host = urlparse(value).hostname if "//" in value else value
        if host not in LOCAL_HOSTS:
            raise ConfigError(
                f"{label}: {name} = {value} is not local; the eval runs offline, so point it "
                "at a server on 127.0.0.1"
            )


def index_dir(root: Path, settings: Settings, source: str) -> Path:
    """A data dir per corpus source and index-shaping settings.

    Configs that differ only in the model share one; another dataset or corpus never lands in
    the same index, as ingest is incremental and would mix them."""
    shape = [settings.embedding, settings.chunking, settings.ingest, settings.chroma]
    keyed = source + "".join(s.model_dump_json() for s in shape)
    digest = hashlib.sha256(keyed.encode()).hexdigest()
    return root / f"index-{digest[:10]}"
