"""``python -m benchmarks.baseline``: the llama-index comparison runs both pipelines and scores
them alike; the converter never passes off an inexact span as a valid citation."""

import json
from pathlib import Path

import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.schema import NodeWithScore, TextNode

from assistant.answer.verify import SupportChecker
from assistant.index.embedding import Embedder
from assistant.index.store import ArticleStore
from assistant.types import Article, ArticleMeta
from benchmarks.baseline import main
from benchmarks.baseline_report import BASELINE, OURS
from benchmarks.llamaindex_pipeline import to_answer

TEXT = "Witkoff met Araghchi in Rome on Friday. The talks were the fifth round. Nothing else."


def _source(n: int, text: str, start: int) -> NodeWithScore:
    """A node as CitationQueryEngine hands it back: labelled, with our chunk's metadata."""
    node = TextNode(text=f"Source {n}:\n{text}\n", metadata={"article_id": "a1", "start": start})
    return NodeWithScore(node=node, score=0.5)


def test_converter_keeps_markers_and_counts_inexact_spans_invalid(
    fake_embedder: Embedder,
) -> None:
    article = Article(
        id="a1", key="k", meta=ArticleMeta(title="t"), text=TEXT, content_hash="h", origin="o"
    )
    sources = [
        _source(1, "The talks were the fifth round.", 0),  # verbatim: found after `start`
        _source(2, "Witkoff met Araghchi in Paris.", 0),  # not in the article
    ]
    response = Response(
        response="They met in Rome [1]. It was the fifth round [2][3].", source_nodes=sources
    )
    answer = to_answer(
        "q", "q", response, {"a1": article}, SupportChecker(fake_embedder, 0.6), "model"
    )
    assert [s.citations for s in answer.sentences] == [[1], [2, 3]]
    assert [s.text for s in answer.sentences] == ["They met in Rome.", "It was the fifth round."]
    exact = [c.n for c in answer.citations if TEXT[c.start : c.end] == c.quote and c.quote]
    assert exact == [1]
    first = answer.citations[0]
    assert (first.start, first.end) == (TEXT.index("The talks"), TEXT.index(" Nothing"))
    # [2]: the source's own words, kept so the checker can judge them; [3]: no such source.
    assert answer.citations[1].quote == "Witkoff met Araghchi in Paris."
    assert answer.citations[2].quote == "" and answer.citations[2].article_id == ""
    assert not answer.abstained


def _stored_articles(data_root: Path) -> dict[str, Article]:
    (db,) = data_root.glob("index-*/articles.sqlite3")
    store = ArticleStore(db)
    try:
        return {a.id: a for a in store.articles()}
    finally:
        store.close()


@pytest.mark.slow
def test_benchmark_runs_both_pipelines_and_writes_ratios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One llama.cpp thread: on a busy 2-core machine two threads slow down many times over.
    monkeypatch.setenv("ASSISTANT_LLM__THREADS", "1")
    out = tmp_path / "baseline.json"
    args = ["--limit", "3", "--out", str(out), "--data-dir", str(tmp_path / "data"), "--quiet"]
    assert main(args) == 0
    results = json.loads(out.read_text())

    rows = results["per_question"]
    for name in (OURS, BASELINE):
        mine = [r for r in rows if r["config"] == name]
        assert [r["id"] for r in mine] == ["seed-01", "seed-02", "seed-03"]
        assert all(r["answer"].strip() and r["seconds"] > 0 for r in mine)
        assert results["pipelines"][name]["counts"]["questions"] == 3
    assert all(r["llm_calls"] >= 1 for r in rows if r["config"] == BASELINE)

    # Every citation either is exactly article_text[start:end] or is counted invalid.
    articles = _stored_articles(tmp_path / "data")
    for r in rows:
        exact = [
            c["article_id"] in articles
            and articles[c["article_id"]].text[c["start"] : c["end"]] == c["quote"]
            for c in r["citation_spans"]
        ]
        assert len(exact) == r["citations"] and sum(exact) == r["valid_citations"], r

    for name in ("latency_p50_s", "latency_p95_s"):
        assert results["ratios"][name] > 0
        ours, theirs = (results["pipelines"][p]["metrics"][name] for p in (OURS, BASELINE))
        assert results["ratios"][name] == pytest.approx(ours / theirs)
    assert results["code"]["commit"] and results["machine"]["cpu_count"]
