"""Shared fixtures: the real bundled embedder (loaded once), a fake one for the unit tests that
need only *an* embedder, and throwaway data directories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.config import EmbeddingSettings, Settings
from assistant.index.embedding import Embedder, build_embedder
from assistant.index.handle import Index
from assistant.index.indexer import Indexer, IngestReport
from tests.fakes import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "corpus" / "us-israel-iran-talks.txt"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests see only the settings they set: no ASSISTANT_* variables, no ./assistant.toml."""
    import os

    for name in list(os.environ):
        if name.startswith("ASSISTANT_") or name == "OPENAI_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return build_embedder(EmbeddingSettings())


@pytest.fixture(scope="session")
def fake_embedder() -> Embedder:
    """Hashed words (``tests/fakes.py``): for tests whose assertions do not rest on semantics."""
    return FakeEmbedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus)


@pytest.fixture
def index(settings: Settings, embedder: Embedder) -> Iterator[Index]:
    opened = Index.open(settings, embedder)
    yield opened
    opened.close()


@pytest.fixture
def fake_index(settings: Settings, fake_embedder: Embedder) -> Iterator[Index]:
    """An index over the fake embedder, for tests of keys, locks and BM25 rather than vectors."""
    opened = Index.open(settings, fake_embedder)
    yield opened
    opened.close()


@pytest.fixture
def seed_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A corpus folder with the seed article, wired to the CLI by ASSISTANT_* variables."""
    import shutil

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    return corpus


def ingest(settings: Settings, embedder: Embedder, index: Index, **kwargs: bool) -> IngestReport:
    """Run the real indexer over the settings' corpus folder."""
    return Indexer(settings, embedder, index).run([settings.corpus_dir], progress=False, **kwargs)


def write_article(folder: Path, name: str, title: str, body: str, **meta: str) -> Path:
    """A .md article with front matter."""
    lines = ["---", f"title: {title!r}"] + [f"{k}: {v!r}" for k, v in meta.items()] + ["---"]
    path = folder / name
    path.write_text("\n".join(lines) + "\n" + body + "\n", encoding="utf-8")
    return path


def need_shared(path: Path) -> Path:
    """``path`` under ../shared; skips the test when it is absent, except in CI (CI=true),
    where its absence fails the run."""
    if path.exists():
        return path
    message = f"needs {path} (../shared/datasets beside the repository)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (never a downloaded browser), for the web tests."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing; scripts/bootstrap dev installs Debian's chromium")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
