"""Hostile and odd input (issue 14): loading is total, uploads keep to their own keys, the web
page's status lines and links stay inert, and a failed delete leaves the article in place."""

from __future__ import annotations

import json
import string
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from assistant.cli import main
from assistant.config import IngestSettings, Settings
from assistant.errors import AssistantError
from assistant.index.embedding import Embedder
from assistant.index.handle import Index
from assistant.index.indexer import Indexer, article_id
from assistant.ingest.dates import date_bounds, normalise_date
from assistant.ingest.loaders import load_file
from assistant.terminal import printable
from assistant.types import Article, ArticleMeta
from assistant.ui import render

# 228 bytes of YAML that safe_load expands to a 5-million-character title.
ALIAS_BOMB = (
    "---\n"
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "title: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "---\n"
    "The lanterns were lit at dusk.\n"
)
GOOD = (
    "---\ntitle: Harbour ferry resumes\nsource: Coast Times\npublished: 2025-03-02\n---\n"
    "The harbour ferry resumed service on Sunday after a storm closed the route for nine days.\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_hostile_corpus_is_reported_and_the_good_article_is_searchable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bomb.md").write_text(ALIAS_BOMB)
    (corpus / "bad-date.md").write_text("---\ntitle: Leap\npublished: 2025-02-30\n---\nBody.\n")
    (corpus / "deep.json").write_text("[" * 100_000)
    (corpus / "good.md").write_text(GOOD)
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    started = time.monotonic()
    code, out, err = run(capsys, "ingest", "--quiet")
    assert time.monotonic() - started < 30
    assert code == 0, err
    assert "1 added" in out and "3 problem(s)" in out
    skipped = [line for line in err.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 3, err
    assert any("bomb.md" in s and "aliases" in s for s in skipped)
    assert any("bad-date.md" in s and "2025-02-30" in s for s in skipped)
    assert any("deep.json" in s and "nested too deeply" in s for s in skipped)
    code, out, _ = run(capsys, "search", "When did the harbour ferry resume?", "--json")
    assert code == 0
    assert json.loads(out)[0]["title"] == "Harbour ferry resumes"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.md", ALIAS_BOMB, "aliases"),
        ("leap.md", "---\npublished: 2025-02-30\n---\nBody.", "as a date"),
        ("deep.md", "---\ntitle: " + "[" * 20_000 + "\n---\nBody.", "nested too deeply"),
        ("long.md", "---\ntitle: " + "x" * 70_000 + "\n---\nBody.", "max_front_matter_chars"),
        ("huge-title.md", "---\ntitle: " + "x" * 3000 + "\n---\nBody.", "max_field_chars"),
        ("int.md", "---\ntitle: " + "9" * 5000 + "\n---\nBody.", "bad value"),
        ("deep.json", "[" * 100_000, "nested too deeply"),
        ("stamp.json", '{"text": "x", "published": 1e20}', "timestamp"),
        ("nan.json", '{"text": "x", "published": NaN}', "timestamp"),
        ("digits.json", '{"text": "x", "n": ' + "1" * 5000 + "}", "bad JSON"),
        ("surrogate.json", '{"text": "broken \\ud800 escape"}', "surrogate"),
    ],
)
def test_each_hostile_file_is_one_reported_problem(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = load_file(path, name, 10_000_000)
    assert result.articles == []
    assert len(result.problems) == 1, result.problems
    assert message in str(result.problems[0])
    assert result.failed_files == {name}


def test_timestamps_out_of_range_are_value_errors() -> None:
    for value in (1e20, -1e20, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timestamp"):
            normalise_date(value)


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2025", "2025-01-01", "2025-12-31"),
        ("2025-05", "2025-05-01", "2025-05-31"),
        ("Feb 2024", "2024-02-01", "2024-02-29"),
        ("2025-05-27", "2025-05-27", "2025-05-27"),
        ("12/31/2025", "2025-12-31", "2025-12-31"),
    ],
)
def test_a_partial_filter_date_covers_its_whole_year_or_month(
    value: str, first: str, last: str
) -> None:
    # Not today's day and month filled in, which made "--since 2025" mean 2025-12-07.
    assert (date_bounds(value), date_bounds(value, end=True)) == (first, last)


def test_front_matter_dates_stay_as_written() -> None:
    for written, stored in [
        ("2025-05-27", "2025-05-27"),
        ("2025-05-27 10:00:00", "2025-05-27T10:00:00"),
        ("2025-05-27T10:00:00Z", "2025-05-27T10:00:00+00:00"),
    ]:
        assert normalise_date(written) == stored


# --- fuzz: whatever the bytes, loading returns; only AssistantErrors are reported ----------

FIELDS = ["title", "source", "url", "author", "published", "date", "text", "body", "headline"]
yaml_value = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.sampled_from(["2025-02-30", "1e20", "&a x", "*a", "!!binary x", "[", "{", "|", "- x"]),
)


def _loads_totally(path: Path, origin: str) -> None:
    result = load_file(path, origin, 1_000_000, IngestSettings())
    for problem in result.problems:
        assert isinstance(problem, AssistantError)
    for article in result.articles:
        assert article.text.strip()
        article.text.encode("utf-8")


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".txt", ".md", ".json", ".jsonl"]))
def test_fuzz_random_bytes_never_escape(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                        suffix: str) -> None:  # fmt: skip
    path = tmp_path_factory.mktemp("fuzz") / f"f{suffix}"
    path.write_bytes(data)
    _loads_totally(path, path.name)


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.dictionaries(st.sampled_from(FIELDS), yaml_value, max_size=6),
    raw=st.text(alphabet=string.printable + "&*!|>[]{}:-", max_size=200),
    body=st.text(max_size=200),
)
def test_fuzz_front_matter_never_escapes(
    tmp_path_factory: pytest.TempPathFactory, fields: dict[str, object], raw: str, body: str
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    lines = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (folder / "a.md").write_text(f"---\n{lines}{raw}\n---\n{body}", encoding="utf-8",
                                 errors="surrogatepass")  # fmt: skip
    _loads_totally(folder / "a.md", "a.md")
    (folder / "a.json").write_text(json.dumps({**fields, "text": body}), encoding="utf-8")
    _loads_totally(folder / "a.json", "a.json")


# --- stable keys: an upload cannot take over another article ------------------------------


def test_an_upload_with_a_clashing_url_is_a_separate_article(
    settings: Settings, fake_embedder: Embedder, fake_index: Index
) -> None:
    index = fake_index  # the keys matter here, not the vectors
    url = "https://news.test/ferry"
    original = settings.corpus_dir / "ferry.md"
    original.write_text(f"---\ntitle: Ferry resumes\nsource: Coast Times\nurl: {url}\n---\n"
                        "The ferry resumed on Sunday.\n")  # fmt: skip
    indexer = Indexer(settings, fake_embedder, index)
    assert indexer.run([settings.corpus_dir], progress=False).added == 1
    uploads = settings.corpus_dir / settings.ui.upload_dir
    uploads.mkdir()
    (uploads / "evil.md").write_text(f"---\ntitle: Ferry sinks\nsource: Fake News\nurl: {url}\n"
                                     "---\nThe ferry sank, everyone says.\n")  # fmt: skip
    report = indexer.run([uploads / "evil.md"], progress=False)
    assert (report.added, report.updated) == (1, 0)
    kept = index.store.get(article_id(url))
    assert kept is not None
    assert (kept.meta.title, kept.meta.source) == ("Ferry resumes", "Coast Times")
    assert kept.text == "The ferry resumed on Sunday."
    assert len(index.store.articles()) == 2
    # A full ingest of the corpus (uploads included) keeps both, and changes nothing.
    again = indexer.run([settings.corpus_dir], progress=False)
    assert (again.added, again.updated, again.unchanged, again.problems) == (0, 0, 2, [])


# --- the web page: status lines, links, deletes --------------------------------------------


def test_markdown_in_titles_is_shown_literally() -> None:
    hostile = "[click](javascript:alert(1)) ![x](https://evil.example/t.png) <b>bold</b> **s**"
    shown = render.markdown_text(hostile)
    for active in ("[click]", "](", "![", "<b>", "**"):
        assert active not in shown
    assert shown.replace("\\", "") == hostile


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://news.test/a", True),
        ("http://news.test/a", True),
        ("//evil.example/x", False),
        ("/relative/path", False),
        ("javascript:alert(1)", False),
        ("evil.example", False),
        ("https:///nohost", False),
    ],
)
def test_only_absolute_http_urls_become_links(url: str, linked: bool) -> None:
    article = Article(
        id="0123456789abcdef", key=url, meta=ArticleMeta(title="t", url=url), text="Body.",
        content_hash="x", origin="corpus/a.md",
    )  # fmt: skip
    shown = render.article_html(article)
    assert ("<a " in shown) is linked
    assert "original" in shown or url in shown or "evil.example" in shown


def test_terminal_escapes_are_shown_not_obeyed() -> None:
    assert printable("red \x1b[31m\x07 \u202e end\n") == "red \\x1b[31m\\x07 \\u202e end\n"


def _extractive(settings: Settings) -> Settings:
    """``settings`` answering without a model: the Library tests need no LLM."""
    return settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"provider": "extractive"})}
    )


def test_a_delete_whose_file_move_fails_keeps_the_article(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from assistant.ui.handlers import ALL, LibraryTab
    from assistant.ui.service import AssistantService

    settings = _extractive(settings)
    path = settings.corpus_dir / "keep.md"
    path.write_text(GOOD)
    service = AssistantService(settings)
    try:
        assert service.ingest([path]).added == 1
        (article,) = service.articles()

        def refuse(*args: object) -> None:
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr("assistant.ui.library.shutil.move", refuse)
        status, *_, selected = LibraryTab(service, settings).delete(article.id, "", ALL, "", "")
        assert "Not deleted" in status and "Permission denied" in status
        assert selected == article.id  # still selected, to try again
        assert service.article(article.id) is not None
        assert path.exists()
        monkeypatch.undo()
        status, *_, selected = LibraryTab(service, settings).delete(article.id, "", ALL, "", "")
        assert "Deleted" in status and selected == ""  # the deleted id is no longer selected
        assert service.article(article.id) is None and not path.exists()
    finally:
        service.close()


def test_a_corrected_upload_replaces_the_earlier_version(
    settings: Settings, tmp_path: Path
) -> None:
    """Uploading a file named as an earlier upload is its new version: the articles it still
    holds are updated, those it dropped are removed, and no old figure can be answered."""
    from assistant.ui.handlers import ALL, LibraryTab
    from assistant.ui.service import AssistantService

    settings = _extractive(settings)
    upload = tmp_path / "browser" / "harbor.jsonl"
    upload.parent.mkdir()
    rows = [
        '{"title": "Harbor fares", "text": "The Harbor Council cut ferry fares by 12 percent."}',
        '{"title": "Harbor works", "text": "Dredging of the harbor starts in June."}',
    ]
    service = AssistantService(settings)
    tab = LibraryTab(service, settings)
    try:
        upload.write_text("\n".join(rows) + "\n", encoding="utf-8")
        status = tab.add([str(upload)], True, "", ALL, "", "")[0].replace("\\", "")
        assert "harbor.jsonl: 2 added" in status, status
        corrected = rows[0].replace("12 percent", "15 percent")
        upload.write_text(corrected + "\n", encoding="utf-8")  # Gradio's copy was discarded
        status = tab.add([str(upload)], True, "", ALL, "", "")[0].replace("\\", "")
        assert "0 added, 1 updated" in status and "1 removed" in status, status
        assert "replaced the earlier harbor.jsonl" in status, status
        (article,) = service.articles()
        assert "15 percent" in article.text
        kept = list((settings.data_dir / "deleted").glob("*-replaced-harbor.jsonl"))
        assert len(kept) == 1 and "12 percent" in kept[0].read_text(encoding="utf-8")
        upload.write_text(rows[1] + "\n", encoding="utf-8")
        status = tab.add([str(upload)], False, "", ALL, "", "")[0].replace("\\", "")
        # replacing not asked: the new file gets a name of its own
        assert "harbor-2.jsonl: 1 added" in status, status
        assert len(service.articles()) == 2
    finally:
        service.close()


def test_an_upload_that_nearly_repeats_an_article_says_so(
    settings: Settings, tmp_path: Path
) -> None:
    """A corrected copy under another name is a near-duplicate of the earlier article, and
    answers quote only one of the two: the status line names the earlier one to delete."""
    from assistant.ui.handlers import ALL, LibraryTab
    from assistant.ui.service import AssistantService

    settings = _extractive(settings)
    body = " ".join(
        f"The Harbor Council met on day {i} and heard that ferry number {i} ran late again."
        for i in range(40)
    )
    first, second = tmp_path / "a" / "harbor.txt", tmp_path / "b" / "harbor-corrected.txt"
    for path, text in ((first, body), (second, body.replace("day 7 ", "day seven "))):
        path.parent.mkdir()
        path.write_text(f"Harbor Council minutes\n\n{text}", encoding="utf-8")
    service = AssistantService(settings)
    tab = LibraryTab(service, settings)
    try:
        status = tab.add([str(first)], True, "", ALL, "", "")[0].replace("\\", "")
        assert "1 added" in status and "nearly the same" not in status, status
        status = tab.add([str(second)], True, "", ALL, "", "")[0].replace("\\", "")
        assert "harbor-corrected.txt: 1 added" in status, status
        assert "nearly the same text as “Harbor Council minutes” (corpus/uploads/harbor.txt)" in (
            status
        ), status
    finally:
        service.close()


def test_an_upload_sent_again_with_a_new_one_is_not_an_error(
    settings: Settings, tmp_path: Path
) -> None:
    """A file dropped just after another can reach the server with the first one again, whose
    temporary copy was deleted once saved; only the new file is added, nothing is refused."""
    from assistant.ui.handlers import ALL, LibraryTab
    from assistant.ui.service import AssistantService

    settings = _extractive(settings)
    first, second = tmp_path / "a" / "tide.txt", tmp_path / "b" / "bridge.txt"
    for path, title in ((first, "Tide tables revised"), (second, "Bridge repainting starts")):
        path.parent.mkdir()
        path.write_text(f"{title}\n\n{title}, the harbour office said.", encoding="utf-8")
    service = AssistantService(settings)
    tab = LibraryTab(service, settings)
    try:
        assert "tide\\.txt: 1 added" in tab.add([str(first)], True, "", ALL, "", "")[0]
        first.unlink()  # as Gradio's copy is, once saved
        status = tab.add([str(first), str(second)], True, "", ALL, "", "")[0].replace("\\", "")
        assert "bridge.txt: 1 added" in status and "tide.txt" not in status, status
        # So is a file refused before, sent again with a new one.
        empty, third = tmp_path / "c" / "empty.txt", tmp_path / "c" / "quay.txt"
        empty.parent.mkdir()
        empty.write_text("", encoding="utf-8")
        third.write_text("Quay reopens\n\nThe quay reopened on Monday.", encoding="utf-8")
        assert "the file is empty" in tab.add([str(empty)], True, "", ALL, "", "")[0]
        empty.unlink()
        status = tab.add([str(empty), str(third)], True, "", ALL, "", "")[0].replace("\\", "")
        assert "quay.txt: 1 added" in status and "empty" not in status, status
        # A file never handled that is gone is still refused: the user must add it again.
        gone = tmp_path / "d" / "never.txt"
        assert "the upload is gone" in tab.add([str(gone)], True, "", ALL, "", "")[0]
    finally:
        service.close()


def test_a_long_upload_lets_questions_in_between_its_batches(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch of an upload is a task of its own on the service's worker: work queued
    meanwhile runs before the next batch, and sees none of the article until it is whole."""
    from assistant.ui.service import AssistantService

    settings = settings.model_copy(update={
        "ingest": settings.ingest.model_copy(update={"batch_chunks": 2}),
        "llm": settings.llm.model_copy(update={"provider": "extractive"}),
        "chunking": settings.chunking.model_copy(update={"chunk_tokens": 64, "overlap_tokens": 0}),
    })  # fmt: skip
    body = " ".join(f"The ferry crossed the harbour on day {n} of the trial." for n in range(120))
    path = settings.corpus_dir / "long.md"
    path.write_text(f"---\ntitle: Ferry trial\n---\n{body}\n")
    service = AssistantService(settings)
    order: list[str] = []
    served_meanwhile: list[int] = []
    upsert = service._parts.index.vectors.upsert

    def spy(*args: object, **kwargs: object) -> None:
        upsert(*args, **kwargs)  # type: ignore[arg-type]
        order.append("batch")
        if len(order) == 1:  # queued behind the first batch, as a question asked then is
            service._worker.submit(lambda: order.append("question"))
            service._worker.submit(lambda: served_meanwhile.append(len(service.articles())))

    monkeypatch.setattr(service._parts.index.vectors, "upsert", spy)
    try:
        report = service.ingest([path])
        assert report.added == 1 and report.chunks > 4
        assert order.count("batch") == -(-report.chunks // 2)  # ceil: two chunks a batch
        assert order.index("question") == 1  # before the second batch, not after the last
        assert served_meanwhile == [0]  # the half-written article was not served
        assert len(service.articles()) == 1
    finally:
        service.close()
