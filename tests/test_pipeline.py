"""The real pipeline end to end: bundled ONNX embedder, embedded Chroma, SQLite store, BM25."""

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import IndexMismatchError
from assistant.index.embedding import Embedder
from assistant.index.handle import Index
from assistant.index.indexer import Indexer
from assistant.retrieve.hybrid import Filters, HybridRetriever
from tests.conftest import SEED, ingest, write_article

ROME = "White House envoy Steve Witkoff met on Friday with Iranian Foreign Minister Abbas Araghchi in Rome"

WIRE = (
    "The central bank raised interest rates by a quarter point on Wednesday, its third increase "
    "this year, citing persistent inflation in housing and services. Policymakers voted seven to "
    "two for the move. The governor said further increases were possible if prices kept rising, "
    "and markets fell sharply after the announcement. Economists had expected the decision after "
    "strong wage data last month. Mortgage lenders are expected to pass on the increase quickly."
)


def fill_corpus(folder: Path) -> None:
    shutil.copy(SEED, folder / SEED.name)
    write_article(
        folder, "rates-a.md", "Bank raises rates", WIRE, source="Wire A", published="2024-01-10"
    )
    write_article(
        folder,
        "rates-b.md",
        "Rates up again",
        WIRE + " Shares recovered later.",
        source="Wire B",
        published="2024-01-11",
    )
    write_article(
        folder, "weather.md", "Storm hits coast",
        "A winter storm brought heavy snow and strong winds to the northern coast on Monday. "
        "Thousands of homes lost power and schools closed.",
        source="Local Herald", published="2023-12-01",
    )  # fmt: skip


def retriever(settings: Settings, embedder: Embedder, index: Index) -> HybridRetriever:
    return HybridRetriever(settings.retrieval, embedder, index)


def test_search_finds_the_rome_sentence_with_exact_offsets(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    report = ingest(settings, embedder, index)
    assert (report.added, report.problems) == (4, [])
    hits = retriever(settings, embedder, index).search(
        "Where did Steve Witkoff meet the Iranian foreign minister?"
    )
    assert ROME in hits[0].text
    for hit in hits:
        article = index.store.get(hit.article_id)
        assert article is not None
        assert article.text[hit.start : hit.end] == hit.text
        assert all(hit.start <= s < e <= hit.end for s, e in hit.sentences)
    seed = index.store.get(hits[0].article_id)
    assert seed is not None
    assert any(seed.text[s:e].startswith("White House envoy") for s, e in hits[0].sentences)


def test_store_and_index_agree_and_reingest_does_no_work(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    first = ingest(settings, embedder, index)
    assert index.vectors.ids() == index.store.chunk_ids("ready")
    assert first.chunks == len(index.store.chunk_ids())
    second = ingest(settings, embedder, index)
    assert (second.added, second.updated, second.unchanged, second.chunks) == (0, 0, 4, 0)
    assert second.repaired == 0


def test_reconcile_repairs_vectors_lost_or_left_behind(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    ingest(settings, embedder, index)
    lost = sorted(index.store.chunk_ids("ready"))[0]
    index.vectors.delete([lost])  # a removal killed between Chroma and the store
    report = ingest(settings, embedder, index)
    assert report.repaired == 1 and report.chunks > 0
    assert index.vectors.ids() == index.store.chunk_ids("ready")
    vector = embedder.get_text_embedding("left behind")
    index.vectors.collection.upsert(ids=["gone-0000-0"], embeddings=[vector])  # an orphan
    assert ingest(settings, embedder, index).repaired == 1
    assert index.vectors.ids() == index.store.chunk_ids("ready")


def test_changed_article_is_replaced_and_prune_removes(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    ingest(settings, embedder, index)
    before = index.vectors.ids()
    write_article(
        settings.corpus_dir,
        "weather.md",
        "Storm hits coast",
        "Updated: the storm has passed.",
        source="Local Herald",
    )
    report = ingest(settings, embedder, index)
    assert (report.updated, report.added) == (1, 0)
    after = index.vectors.ids()
    assert after == index.store.chunk_ids("ready")
    assert len(after - before) == 1 and len(before - after) == 1  # old version's chunk is gone
    (settings.corpus_dir / "rates-b.md").unlink()
    assert ingest(settings, embedder, index).removed == 0  # not without --prune
    report = ingest(settings, embedder, index, prune=True)
    assert report.removed == 1
    assert len(index.store.articles()) == 3
    assert index.vectors.ids() == index.store.chunk_ids("ready")


def test_bad_file_is_reported_and_its_articles_are_not_pruned(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    ingest(settings, embedder, index)
    (settings.corpus_dir / "weather.md").write_bytes(b"\x00\x01 binary now")
    (settings.corpus_dir / "new.txt").write_text(
        "Brand new story about elections.\nVoters went to the polls."
    )
    report = ingest(settings, embedder, index, prune=True)
    assert report.added == 1 and report.removed == 0
    assert [p.path for p in report.problems] == ["corpus/weather.md"]
    assert len(index.store.articles()) == 5


def test_near_duplicates_do_not_fill_the_top_k(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    ingest(settings, embedder, index)
    stored = {a.meta.source: a for a in index.store.articles()}
    assert stored["Wire B"].dup_of == stored["Wire A"].id
    hits = retriever(settings, embedder, index).search("central bank raises interest rates", k=5)
    assert {h.source for h in hits} & {"Wire A", "Wire B"} in ({"Wire A"}, {"Wire B"})


def test_filters_by_outlet_and_date(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    ingest(settings, embedder, index)
    search = retriever(settings, embedder, index).search
    only_herald = search("news", k=10, filters=Filters(sources=("local herald",)))
    assert only_herald and {h.source for h in only_herald} == {"Local Herald"}
    in_2024 = search(
        "rates storm talks", k=10, filters=Filters(since="2024-01-01", until="2024-12-31")
    )
    assert in_2024 and all(h.published and h.published.startswith("2024") for h in in_2024)
    before = search("rates storm talks", k=10, filters=Filters(until="Dec 31, 2023"))
    assert {h.source for h in before} == {"Local Herald"}


def test_another_embedder_is_refused_until_reindex(settings, embedder, index) -> None:
    fill_corpus(settings.corpus_dir)
    ingest(settings, embedder, index)
    index.close()

    class Renamed:
        """The same vectors under another model name: the index must not accept them silently."""

        model_name = "some-other-model"
        max_tokens = embedder.max_tokens
        dimension = embedder.dimension
        tokenize = staticmethod(embedder.tokenize)
        get_query_embedding = staticmethod(embedder.get_query_embedding)
        get_text_embedding_batch = staticmethod(embedder.get_text_embedding_batch)

    other = Renamed()
    with pytest.raises(IndexMismatchError, match="--reindex"):
        Index.open(settings, other)
    reopened = Index.open(settings, other, reindex=True)
    report = Indexer(settings, other, reopened).run(
        [settings.corpus_dir], reindex=True, progress=False
    )
    assert report.chunks == len(reopened.store.chunk_ids())
    assert reopened.vectors.ids() == reopened.store.chunk_ids("ready")
    reopened.close()
