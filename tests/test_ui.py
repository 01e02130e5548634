"""The web page's own logic, without a browser: HTML rendering, uploads, history, binding."""

from __future__ import annotations

import html
import re
import socket
from pathlib import Path
from typing import cast

import pytest

from assistant.config import Settings, UISettings
from assistant.errors import ConfigError, InputFileError
from assistant.types import Answer, AnswerSentence, Article, ArticleMeta, Citation
from assistant.ui import render
from assistant.ui.handlers import ChatTab, LibraryTab
from assistant.ui.history import ConversationStore, new_session_id, valid_session_id
from assistant.ui.library import ArticleFilter, check_deletable, safe_name, save_uploads
from assistant.ui.server import check_binding, check_port, credentials
from assistant.ui.service import AssistantService

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'
TEXT = f"Officials met in Rome on Friday. {EVIL} The talks went on."


def article(text: str = TEXT, **meta: str) -> Article:
    fields = {"title": "Talks <b>resume</b>", "source": "Outlet & Co", "published": "2025-05-27"}
    return Article(
        id="0123456789abcdef", key="k", meta=ArticleMeta(**{**fields, **meta}), text=text,
        content_hash="h", origin="corpus/a.txt",
    )  # fmt: skip


def citation(n: int, start: int, end: int, text: str = TEXT) -> Citation:
    return Citation(
        n=n, article_id="0123456789abcdef", title="Talks <b>resume</b>", source="Outlet & Co",
        published="2025-05-27", url=None, start=start, end=end, quote=text[start:end],
    )  # fmt: skip


def answer(
    sentences: list[AnswerSentence], citations: list[Citation],
    abstained: bool = False, fallback: bool = False,
) -> Answer:  # fmt: skip
    return Answer(
        question="q", standalone_question="q", text="t", sentences=sentences,
        citations=citations, provider="extractive", model="none", abstained=abstained,
        fallback=fallback,
    )  # fmt: skip


def test_answer_html_escapes_everything_and_links_each_citation() -> None:
    cite = citation(1, 0, 32)
    html_out = render.answer_html(
        answer([AnswerSentence(text=f"They met in Rome {EVIL}", citations=[1], supported=True,
                               support=0.9)], [cite])
    )  # fmt: skip
    assert "<script" not in html_out and "<img" not in html_out
    assert "&lt;script&gt;" in html_out and "&lt;img src=x onerror=" in html_out
    assert '<div class="answer supported">' in html_out
    hrefs = re.findall(r'href="([^"]+)"', html_out)
    assert hrefs and all(render.CitationRef.parse(h) == render.CitationRef.of(cite) for h in hrefs)
    assert "Outlet &amp; Co" in html_out and "2025-05-27" in html_out


def test_unsupported_fallback_and_abstained_answers_look_different() -> None:
    cite = citation(1, 0, 32)
    unsupported = AnswerSentence(text="Guess.", citations=[1], supported=False, support=0.1)
    assert "sentence unsupported" in render.answer_html(answer([unsupported], [cite]))
    quoted = AnswerSentence(text=cite.quote, citations=[1], supported=True, support=1.0)
    assert 'class="answer quoted"' in render.answer_html(answer([quoted], [cite], fallback=True))
    abstained = render.answer_html(answer([], [], abstained=True))
    assert 'class="answer abstained"' in abstained and "href" not in abstained


def test_article_html_marks_exactly_the_cited_span() -> None:
    start = TEXT.index("<script>")
    end = start + len(EVIL)
    shown = render.citation_html(article(), render.CitationRef.of(citation(1, start, end)))
    marked = re.search(r'<mark id="cited">(.*?)</mark>', shown, re.S)
    assert marked and html.unescape(marked.group(1)) == TEXT[start:end]
    assert "<script" not in shown and "<b>" not in shown and "<img" not in shown


def test_citation_to_a_changed_article_says_so_and_marks_nothing() -> None:
    ref = render.CitationRef.of(citation(1, 0, 32))
    changed = article(text="Completely different text now, longer than before the edit.")
    shown = render.citation_html(changed, ref)
    assert "changed after the answer" in shown and "<mark" not in shown
    assert "no longer in the library" in render.citation_html(None, ref)


@pytest.mark.parametrize(
    "href", ["", "#cite=zz", "javascript:alert(1)", "#cite=0123456789abcdef:1:2:xyz"]
)
def test_citation_ref_rejects_anything_but_our_links(href: str) -> None:
    assert render.CitationRef.parse(href) is None


def test_clean_keeps_only_our_markup() -> None:
    dirty = '<a href="javascript:alert(1)" onclick="x()">a</a><iframe src="x"></iframe><p>ok</p>'
    cleaned = render.clean(dirty)
    assert "javascript" not in cleaned and "onclick" not in cleaned and "iframe" not in cleaned
    assert "<p>ok</p>" in cleaned


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd.txt", "passwd.txt"), ("..\\..\\x.md", "x.md"),
     ("my report (1).HTML", "my report (1).HTML"), ("/abs/path/a.jsonl", "a.jsonl"),
     ("Новости.txt", "Новости.txt"), ("résumé.md", "résumé.md"), ("-rf *?.txt", "rf.txt"),
     ("???.txt", "upload.txt"), ("a\x00b\u202ec.txt", "a-b-c.txt"), ("é" * 200 + ".md", "é" * 75 + ".md")],
)  # fmt: skip
def test_safe_name_cannot_leave_the_upload_folder(name: str, expected: str) -> None:
    assert safe_name(name) == expected


@pytest.mark.parametrize("name", ["run.sh", "archive.tar.gz", "noext", "...txt"])
def test_safe_name_refuses_unsupported_types(name: str) -> None:
    with pytest.raises(InputFileError):
        safe_name(name)


def test_uploads_are_all_checked_before_any_is_written(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus",
        ui=UISettings(max_upload_mb=0.001),
    )  # fmt: skip
    good = tmp_path / "good.txt"
    good.write_text("Title\n\nA short article.", encoding="utf-8")
    big = tmp_path / "big.txt"
    big.write_text("x" * 5000, encoding="utf-8")
    with pytest.raises(InputFileError, match="over the"):
        save_uploads([good, big], settings)
    assert not (tmp_path / "corpus" / "uploads").exists()
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty"):
        save_uploads([empty], settings)
    # Files the ingest cannot read are refused before anything is written (they were kept in
    # the upload folder, and every later ingest reported them again).
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02 data")
    latin = tmp_path / "latin.md"
    latin.write_bytes(b"Caf\xe9 opens")
    utf16 = tmp_path / "wide.txt"
    utf16.write_bytes("Title\n\nA short article.".encode("utf-16"))
    for bad, why in ((binary, "binary file"), (latin, "UTF-8"), (utf16, "UTF-16 .* UTF-8")):
        with pytest.raises(InputFileError, match=why):
            save_uploads([good, bad], settings)
    assert not (tmp_path / "corpus" / "uploads").exists()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text('{"title": "A", "text": "One."}\n{bad\n{"title": "B", "text": "Two."}\n')
    with pytest.raises(InputFileError, match=r"mixed.jsonl:2: .*nothing of the file was added"):
        save_uploads([mixed], settings)  # the CLI's ingest would skip the line and go on
    assert not (tmp_path / "corpus" / "uploads").exists()
    with pytest.raises(InputFileError, match="gone; add the file again"):
        save_uploads([tmp_path / "already-discarded.txt"], settings)


def test_the_upload_limit_counts_megabytes_as_the_page_does(tmp_path: Path) -> None:
    """Gradio's own check (max_file_size) counts a MB as 1024 x 1024 bytes: the page and the
    server refuse at the same size and name the same figure (the page said 4.8 MB for 5)."""
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    assert settings.ui.max_upload_bytes == 5 * 1024 * 1024
    fits, over = tmp_path / "fits.txt", tmp_path / "over.txt"
    for path, size in (
        (fits, settings.ui.max_upload_bytes),
        (over, settings.ui.max_upload_bytes + 1),
    ):
        path.write_text("Title\n\n" + "x" * (size - 7), encoding="utf-8")
    assert [s.path.name for s in save_uploads([fits], settings)] == ["fits.txt"]
    with pytest.raises(InputFileError, match=r"5\.0 MB is over the 5 MB limit"):
        save_uploads([over], settings)


def test_uploads_never_overwrite_a_different_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    first, second = tmp_path / "a" / "note.txt", tmp_path / "b" / "note.txt"
    for path, body in ((first, "First\n\none"), (second, "Second\n\ntwo")):
        path.parent.mkdir()
        path.write_text(body, encoding="utf-8")
    [a] = save_uploads([first], settings)
    [b] = save_uploads([second], settings)
    [again] = save_uploads([first], settings)
    assert a.path.name == "note.txt" and b.path.name == "note-2.txt" and again == a
    assert a.path.read_text(encoding="utf-8") == "First\n\none"
    assert b.path.read_text(encoding="utf-8") == "Second\n\ntwo"
    assert a.replaced is b.replaced is None


def test_a_replacing_upload_keeps_the_earlier_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    first, second = tmp_path / "a" / "note.txt", tmp_path / "b" / "note.txt"
    for path, body in ((first, "First\n\none"), (second, "Second\n\ntwo")):
        path.parent.mkdir()
        path.write_text(body, encoding="utf-8")
    [a] = save_uploads([first], settings, replace=True)
    assert a.replaced is None  # nothing of that name yet
    [b] = save_uploads([second], settings, replace=True)
    assert b.path == a.path and b.path.read_text(encoding="utf-8") == "Second\n\ntwo"
    assert b.replaced is not None and b.replaced.parent == tmp_path / "data" / "deleted"
    assert b.replaced.read_text(encoding="utf-8") == "First\n\none"  # nothing is lost
    [c] = save_uploads([first], settings, replace=True)  # and back, in the same second
    assert c.replaced is not None and c.replaced != b.replaced
    assert c.replaced.read_text(encoding="utf-8") == "Second\n\ntwo"
    [same] = save_uploads([first], settings, replace=True)
    assert same.replaced is None  # the same file again replaces nothing
    assert sorted(p.name for p in (tmp_path / "corpus" / "uploads").iterdir()) == ["note.txt"]
    assert oct(a.path.stat().st_mode & 0o777) == "0o644"  # readable as any corpus file


def test_uploads_replace_only_the_file_of_the_same_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    files = {}
    names = [("a", "note.txt"), ("b", "note.txt"), ("c", "a?b.txt"), ("d", "a:b.txt"),
             ("e", "a b.txt")]  # fmt: skip
    for i, (folder, name) in enumerate(names):
        files[folder] = tmp_path / folder / name
        files[folder].parent.mkdir()
        files[folder].write_text(f"Title {i}\n\nbody {i}", encoding="utf-8")
    # Two different files of one name in one batch: both are kept (the second replaced the
    # first before it was ever ingested).
    first, second = save_uploads([files["a"], files["b"]], settings, replace=True)
    assert (first.path.name, second.path.name) == ("note.txt", "note-2.txt")
    assert first.replaced is second.replaced is None
    # Names that only match once unsafe characters are replaced are different files.
    [q] = save_uploads([files["c"]], settings, replace=True)
    [c] = save_uploads([files["d"]], settings, replace=True)
    [sp] = save_uploads([files["e"]], settings, replace=True)
    assert (q.path.name, c.path.name, sp.path.name) == ("a-b.txt", "a-b-2.txt", "a b.txt")
    assert q.replaced is c.replaced is sp.replaced is None
    assert q.path.read_text(encoding="utf-8") == "Title 2\n\nbody 2"


def test_library_filter_by_words_outlet_and_dates() -> None:
    a = article()
    assert ArticleFilter(words="ROME talks").keeps(a)
    assert not ArticleFilter(words="Paris").keeps(a)
    assert ArticleFilter(outlet="Outlet & Co", since="2025-05-01", until="2025-05-31").keeps(a)
    assert not ArticleFilter(outlet="Other").keeps(a)
    assert not ArticleFilter(since="2025-06-01").keeps(a)
    assert not ArticleFilter(until="2025-05-26").keeps(article(published=""))


def test_one_article_of_a_shared_file_cannot_be_deleted() -> None:
    one = article()
    other = one.model_copy(update={"id": "fedcba9876543210"})
    with pytest.raises(InputFileError, match="holds 2 articles"):
        check_deletable(one, [one, other])
    check_deletable(one, [one])


def test_history_keeps_each_session_apart_and_bounded(tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", max_turns=2)
    alice, bob = new_session_id(), new_session_id()
    for q in ("one", "two", "three"):
        store.append(alice, answer([], []).model_copy(update={"question": q}))
    store.append(bob, answer([], [citation(1, 0, 32)]))
    assert [a.question for a in store.answers(alice)] == ["two", "three"]
    assert store.answers(bob)[0].citations[0].quote == TEXT[:32]
    assert set(store.sessions()) == {alice, bob}
    store.clear(alice)
    assert store.answers(alice) == [] and len(store.answers(bob)) == 1


class _NoService:
    """Stands for the assistant where a handler must not ask it anything."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"the service was used ({name})")


@pytest.mark.parametrize("question", ["", "   ", "\n"])
def test_an_empty_message_keeps_the_chat_and_its_session(question: str, tmp_path: Path) -> None:
    store = ConversationStore(tmp_path / "c.sqlite3", max_turns=5)
    tab = ChatTab(cast(AssistantService, _NoService()), store)
    sid = new_session_id()
    shown = [{"role": "user", "content": "Who met?"}, {"role": "assistant", "content": "x"}]
    # A handler that yields nothing makes Gradio reset its outputs: the chat and the session.
    assert list(tab.respond(question, shown, sid, 5, "", None, None, None)) == [("", shown, sid)]


class _Articles:
    """A service that only lists articles."""

    def articles(self) -> list[Article]:
        return [article(published="2025-05-27")]


@pytest.mark.parametrize(
    ("since", "until", "shown"),
    [
        ("2025-01-01", "", "1 of 1 article(s)"),
        ("2025-05", "2025-05", "1 of 1 article(s)"),  # a month is all of its days
        ("2025", "2025", "1 of 1 article(s)"),
        ("12/31/2025", "", "0 of 1 article(s)"),  # read as a date, not compared as text
        ("May 2025", "May 28 2025", "1 of 1 article(s)"),
        ("notadate", "", "**Not filtered:** the date filter"),  # was "no matching article"
        ("notadate", "", "use a date such as 2025\\-05\\-27"),  # Markdown-escaped
        ("2026-01-01", "2020-01-01", "is after"),
        ("2026-01-01", "2020-01-01", "swap the two dates"),  # not "use a date such as"
    ],
)
def test_the_library_filter_says_when_its_dates_are_wrong(
    since: str, until: str, shown: str
) -> None:
    tab = LibraryTab(cast(AssistantService, _Articles()), Settings())
    _, count, *_ = tab.refresh("", "", since, until)
    assert shown in count


@pytest.mark.parametrize("value", [None, "", "short", "../../etc/passwd/aaaaaaaa", 42, "a" * 65])
def test_session_ids_from_the_browser_are_checked(value: object) -> None:
    assert not valid_session_id(value)
    assert valid_session_id(new_session_id())


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_permission(host: str) -> None:
    check_binding(host, public=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "example.org", "::"])
def test_other_addresses_need_public(host: str) -> None:
    with pytest.raises(ConfigError, match="--public"):
        check_binding(host, public=False)
    check_binding(host, public=True)


def test_login_needs_the_password_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(ui=UISettings(username="reader"))
    with pytest.raises(ConfigError, match="ASSISTANT_UI_PASSWORD"):
        credentials(settings)
    monkeypatch.setenv("ASSISTANT_UI_PASSWORD", "s3cret")
    assert credentials(settings) == ("reader", "s3cret")
    assert credentials(Settings()) is None


def test_serve_refuses_a_public_address_without_public(capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.cli import main

    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "--public" in capsys.readouterr().err


def test_the_short_answer_is_marked_inside_the_cited_span() -> None:
    from assistant.types import Answer, AnswerSentence, ArticleMeta, Citation, ShortAnswer
    from assistant.types import Article as Stored
    from assistant.ui import render

    text = "Envoy Witkoff met Araghchi in Rome on Friday."
    article = Stored(id="0123456789abcdef", key="k", meta=ArticleMeta(title="T"), text=text,
                     content_hash="h", origin="o")  # fmt: skip
    cite = Citation(n=1, article_id=article.id, title="T", source=None, published=None,
                    url=None, start=0, end=len(text), quote=text)  # fmt: skip
    rome = text.index("Rome")
    answer = Answer(
        question="Where?", standalone_question="Where?", text=text + "[1]",
        sentences=[AnswerSentence(text=text, citations=[1], supported=True, support=1.0)],
        citations=[cite], abstained=False, provider="extractive", model="none",
        short_answer=ShortAnswer(text="Rome", n=1, start=rome, end=rome + 4),
    )  # fmt: skip
    shown = render.answer_html(answer)
    assert '<p class="short"><strong>Rome</strong></p>' in shown
    href = render.CitationRef.of(cite, answer.short_answer).href
    assert href in shown and href.endswith(f":{rome}-{rome + 4}")
    ref = render.CitationRef.parse(href)
    assert ref is not None and ref.short == (rome, rome + 4)
    viewer = render.citation_html(article, ref)
    assert (
        '<mark id="cited">Envoy Witkoff met Araghchi in <strong class="short">Rome</strong>'
        in viewer
    )
    outside = render.CitationRef.parse(href.replace(f":{rome}-", f":{rome}-999"))
    assert outside is not None and outside.short is None  # a span outside the quote is ignored


def test_a_port_in_use_is_refused_with_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"127.0.0.1:{port}.*--port"):
            check_port("127.0.0.1", port)
    check_port("127.0.0.1", port)  # free again once the holder closed it


@pytest.mark.parametrize("port", [0, -1, 65536, 99999])
def test_a_port_out_of_range_is_refused_in_one_line(port: int) -> None:
    with pytest.raises(ConfigError, match=f"port {port} is not a port number.*1 and 65535"):
        check_port("127.0.0.1", port)  # 99999 was an OverflowError traceback from bind()
