"""The BM25 keyword index: bm25s's scores, kept in step with the store without re-tokenizing."""

import shutil
from pathlib import Path

import bm25s
import numpy as np
import pytest

import assistant.index.keyword as keyword
from assistant.index.bm25 import Bm25, tokenize
from assistant.index.embedding import Embedder
from assistant.index.keyword import KeywordIndex
from tests.conftest import SEED, ingest, write_article

TEXTS = [
    "The central bank raised interest rates by a quarter point on Wednesday.",
    "A winter storm brought heavy snow and strong winds to the northern coast.",
    "The bank said rates could rise again; markets fell as rates rose.",
    "Schools closed after the storm, and thousands of homes lost power.",
    "Envoys met in Rome on Friday to discuss the nuclear talks.",
]
QUERIES = ["bank rates", "storm storm snow", "talks in Rome", "power cut at schools", "zebra"]


def test_scores_equal_bm25s() -> None:
    tokens = tokenize(TEXTS)
    ours = Bm25.empty().added(tokens)
    theirs = bm25s.BM25()
    theirs.index(tokens, show_progress=False)
    for query in QUERIES:
        q = tokenize([query])[0]
        known = [t for t in q if t in theirs.vocab_dict]
        expected = theirs.get_scores(known) if known else np.zeros(len(TEXTS))
        assert ours.scores(q) == pytest.approx(expected, rel=1e-5), query


def test_splicing_rows_gives_the_same_index_as_a_fresh_build() -> None:
    tokens = tokenize(TEXTS)
    spliced = Bm25.empty().added(tokens[:3]).kept(np.array([0, 2])).added(tokens[3:])
    fresh = Bm25.empty().added([tokens[0], tokens[2], tokens[3], tokens[4]])
    assert len(spliced.vocab) == len(fresh.vocab)  # the removed document's words were shed
    for query in QUERIES:
        q = tokenize([query])[0]
        assert spliced.scores(q) == pytest.approx(fresh.scores(q), rel=1e-5), query


@pytest.fixture
def embedder(fake_embedder: Embedder) -> Embedder:
    """BM25 needs an embedder only to ingest: the fake one (for ``index`` too)."""
    return fake_embedder


def scores(index: KeywordIndex) -> dict[str, dict[str, float]]:
    return {q: dict(index.query(q, 100)) for q in [*QUERIES, "Witkoff Araghchi"]}


def test_ingest_tokenizes_only_new_chunks_and_matches_a_rebuild(
    settings, embedder, index, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = settings.corpus_dir
    write_article(corpus, "bank.md", "Bank", TEXTS[0] + " " + TEXTS[2], source="Wire A")
    write_article(corpus, "storm.md", "Storm", TEXTS[1] + " " + TEXTS[3], source="Herald")
    ingest(settings, embedder, index)
    seen: list[str] = []

    def recording(texts: list[str]) -> list[list[str]]:
        seen.extend(texts)
        return tokenize(texts)

    monkeypatch.setattr(keyword, "tokenize", recording)

    (corpus / SEED.name).write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    ingest(settings, embedder, index)
    assert seen and all(text in SEED.read_text(encoding="utf-8") for text in seen)
    assert not any("central bank" in text for text in seen)  # old chunks were not re-read

    write_article(corpus, "storm.md", "Storm", TEXTS[1] + " Power is back.", source="Herald")
    (corpus / "bank.md").unlink()
    ingest(settings, embedder, index, prune=True)
    current = KeywordIndex.open(index.bm25_dir, index.store)
    assert set(current.ids) == index.store.chunk_ids("ready")
    assert current.generation == index.store.generation()
    rebuilt = KeywordIndex.build(index.store)
    for query, found in scores(current).items():
        assert found == pytest.approx(scores(rebuilt)[query], rel=1e-5), query
    assert scores(current)["bank rates"] == {}  # the removed article is gone


def test_a_rechunked_article_is_retokenized(settings, embedder, index) -> None:
    write_article(settings.corpus_dir, "storm.md", "Storm", " ".join(TEXTS), source="Herald")
    ingest(settings, embedder, index)
    before = KeywordIndex.open(index.bm25_dir, index.store)
    # Same ids, new spans: what a re-chunk with other settings looks like to the index.
    before.spans = [(s + 1, e) for s, e in before.spans]
    before.generation -= 1
    after = KeywordIndex.open(index.bm25_dir, index.store, current=before)
    assert after.spans == [index.store.ready_spans()[i] for i in after.ids]
    assert scores(after) == scores(KeywordIndex.build(index.store))


def test_unreadable_or_too_new_saves_are_not_trusted(settings, embedder, index) -> None:
    write_article(settings.corpus_dir, "storm.md", "Storm", TEXTS[1], source="Herald")
    ingest(settings, embedder, index)
    bm25_dir: Path = index.bm25_dir
    generation = index.store.generation()
    corrupt = bm25_dir / str(generation + 5)
    corrupt.mkdir()
    (corrupt / keyword.ARRAYS).write_bytes(b"")  # truncated by a disk fault
    (corrupt / keyword.MANIFEST).write_text("{")
    loaded = KeywordIndex.load_latest(bm25_dir, generation + 10)
    assert loaded is not None and loaded.generation == generation
    # a save newer than the store is left from an earlier store in the same folder
    assert KeywordIndex.load_latest(bm25_dir, generation - 1) is None
    write_article(settings.corpus_dir, "bank.md", "Bank", TEXTS[0], source="Wire A")
    ingest(settings, embedder, index)
    fresh = KeywordIndex.open(bm25_dir, index.store)
    assert fresh.query("bank rates", 5) and fresh.generation == index.store.generation()


def test_removing_every_article_empties_the_index(settings, embedder, index) -> None:
    write_article(settings.corpus_dir, "storm.md", "Storm", TEXTS[1], source="Herald")
    ingest(settings, embedder, index)
    (settings.corpus_dir / "storm.md").unlink()
    ingest(settings, embedder, index, prune=True)
    emptied = KeywordIndex.open(index.bm25_dir, index.store)
    assert emptied.ids == [] and emptied.query("snow storm", 5) == []
    saved = KeywordIndex.load_latest(index.bm25_dir, index.store.generation())
    assert saved is not None and saved.ids == [] and saved.bm25.size == 0


def test_a_save_in_an_older_format_is_replaced(settings, embedder, index) -> None:
    write_article(settings.corpus_dir, "storm.md", "Storm", TEXTS[1], source="Herald")
    ingest(settings, embedder, index)
    folder = index.bm25_dir / str(index.store.generation())
    shutil.rmtree(folder)
    folder.mkdir()
    (folder / keyword.MANIFEST).write_text('{"ids": []}')  # what bm25s-based versions wrote
    assert KeywordIndex.load_latest(index.bm25_dir, index.store.generation()) is None
    opened = KeywordIndex.open(index.bm25_dir, index.store)
    assert opened.query("snow storm", 5)
    reloaded = KeywordIndex.load_latest(index.bm25_dir, index.store.generation())
    assert reloaded is not None and reloaded.ids == opened.ids


def test_filters_mask_out_other_outlets(settings, embedder, index) -> None:
    write_article(settings.corpus_dir, "a.md", "A", TEXTS[0], source="Wire A")
    write_article(settings.corpus_dir, "b.md", "B", TEXTS[2], source="Wire B")
    ingest(settings, embedder, index)
    ix = KeywordIndex.open(index.bm25_dir, index.store)
    both = ix.query("bank rates", 10)
    only_b = ix.query("bank rates", 10, ix.mask(["wire b"], None, None))
    assert len(both) == 2 and len(only_b) == 1
    assert only_b[0][0] in {cid for cid, _ in both}
    assert ix.query("bank rates", 10, ix.mask(["Nobody"], None, None)) == []


def test_date_range_masks_undated_and_out_of_range_chunks(settings, embedder, index) -> None:
    write_article(settings.corpus_dir, "a.md", "A", TEXTS[0], published="2024-01-10")
    write_article(settings.corpus_dir, "b.md", "B", TEXTS[2], published="2024-03-01")
    write_article(settings.corpus_dir, "c.md", "C", TEXTS[2] + " Undated.")
    ingest(settings, embedder, index)
    ix = KeywordIndex.open(index.bm25_dir, index.store)
    day = {a.meta.title: a.id for a in index.store.articles()}
    in_january = ix.query("bank rates", 10, ix.mask(None, 20240101, 20240131))
    assert [cid.rsplit("-", 2)[0] for cid, _ in in_january] == [day["A"]]
    from_february = ix.query("bank rates", 10, ix.mask(None, 20240201, None))
    assert [cid.rsplit("-", 2)[0] for cid, _ in from_february] == [day["B"]]
