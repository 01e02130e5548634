"""The web chat in a real browser: Debian's chromium driven by Playwright, against a real
``python -m assistant serve`` on 127.0.0.1 with the bundled models.

Screenshots land in ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from assistant.index.store import ArticleStore
from assistant.types import Citation
from assistant.ui.history import ConversationStore
from assistant.ui.render import CitationRef
from benchmarks.servers import free_port, stop, wait_until_up
from tests.conftest import REPO, SEED, write_article

pytestmark = pytest.mark.slow

ARTIFACTS = REPO / "test-artifacts"
WAIT_MS = 180_000  # an answer from the bundled model on a busy 2-core machine
HOSTILE_BODY = (
    "The Harbor Council voted on Tuesday to cut ferry fares by 40 percent. "
    '<script>window.__pwned = 1; alert("script")</script> '
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\"> "
    "Officials said the lower ferry fares start in June."
)
# Records every distinct text any answer in the chat shows, from before the page's own scripts.
RECORD_SHOWN = """
window.__shown = [];
new MutationObserver(() => {
  for (const d of document.querySelectorAll('#chat .answer')) {
    const t = d.textContent;
    if (!window.__shown.includes(t)) window.__shown.push(t);
  }
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


@dataclass
class Site:
    """A served data directory: start, stop and re-ingest it like a user would."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def env(self) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        return {
            **keep,
            "ASSISTANT_CORPUS_DIR": str(self.root / "corpus"),
            "ASSISTANT_DATA_DIR": str(self.root / "data"),
            **self.extra_env,
        }

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "assistant", *args], env=self.env, cwd=self.root,
            capture_output=True, text=True, timeout=600, check=True,
        )  # fmt: skip
        return done.stdout

    def start(self) -> None:
        log = (self.root / "serve.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(self.port)],
            env=self.env, cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until_up(self.url, self.proc, seconds=300)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def quote_of(self, href: str) -> str:
        """The quote stored with the answer whose citation link is ``href``."""
        ref = CitationRef.parse(href)
        assert ref is not None, href
        found = {
            c.quote
            for c in self.citations()
            if (c.article_id, c.start, c.end) == (ref.article_id, ref.start, ref.end)
        }
        assert len(found) == 1, f"{href} matches {found}"
        return found.pop()

    def citations(self) -> list[Citation]:
        store = ConversationStore(self.root / "data" / "conversations.sqlite3", 1000)
        return [c for sid in store.sessions() for a in store.answers(sid) for c in a.citations]

    def article_text(self, article_id: str) -> str:
        store = ArticleStore(self.root / "data" / "articles.sqlite3")
        try:
            article = store.get(article_id)
            assert article is not None
            return article.text
        finally:
            store.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("site")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    write_article(
        corpus, "hostile.md", 'Ferry fares <b onclick="alert(1)">cut</b>', HOSTILE_BODY,
        source="Harbor <i>Gazette</i>", published="2025-05-20",
    )  # fmt: skip
    write_article(
        corpus, "to-delete.md", "Gardening column about tomatoes",
        "Water tomatoes in the morning, the columnist advised readers.",
        source="Garden Weekly", published="2024-04-01",
    )  # fmt: skip
    served = Site(root)
    served.cli("ingest", "--quiet")
    served.start()
    yield served
    served.stop()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser profile (its own session) on the chat page, watched for dialogs."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    context.add_init_script(RECORD_SHOWN)
    opened = context.new_page()
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    opened.on("dialog", record)
    opened.goto(site.url)
    expect(opened.locator("#question textarea")).to_be_editable(timeout=60_000)
    yield opened
    assert dialogs == [], f"a dialog opened: {dialogs}"
    context.close()


def ask(page: Page, question: str) -> None:
    """Ask, and wait until the checked answer replaces the streamed draft."""
    done = page.locator("#chat .answer:not(.draft):not(.pending)").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        f"document.querySelectorAll('#chat .answer:not(.draft):not(.pending)').length > {done}",
        timeout=WAIT_MS,
    )


def open_citation(page: Page, site: Site, link_index: int = -1) -> str:
    """Click a citation marker of the last answer; check the viewer marks exactly its quote."""
    links = page.locator("#chat .answer").last.locator("a.cite")
    assert links.count() > 0, page.locator("#chat .answer").last.inner_html()
    link = links.nth(link_index)
    href = str(link.get_attribute("href"))
    link.click()
    mark = page.locator("#viewer mark#cited")
    expect(mark).to_be_visible(timeout=30_000)
    expect(mark).to_be_in_viewport()
    quote = site.quote_of(href)
    ref = CitationRef.parse(href)
    assert ref is not None
    assert mark.text_content() == quote
    assert site.article_text(ref.article_id)[ref.start : ref.end] == quote
    return href


def open_row(page: Page, title: str) -> None:
    """Click an article's row in the library table (the table keeps hidden copies of cells)."""
    page.locator("#library-table").get_by_text(title).filter(visible=True).first.click()


def test_streamed_answer_with_a_citation_that_highlights_its_quote(page: Page, site: Site) -> None:
    ask(page, "Where did Steve Witkoff meet the Iranian foreign minister?")
    answer = page.locator("#chat .answer").last
    assert "Rome" in answer.inner_text()
    assert "supported" in str(answer.get_attribute("class")) or "quoted" in str(
        answer.get_attribute("class")
    )
    shown = [t for t in page.evaluate("window.__shown") if t.strip(" …")]
    assert shown and all("Rome" in t for t in shown), shown  # the first text is the checked one
    sources = answer.locator("ol.sources li")
    assert "Trump warns Netanyahu" in sources.first.inner_text()
    assert "2025-05-27" in sources.first.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "chat.png")
    open_citation(page, site)
    viewer = page.locator("#viewer")
    assert "Trump warns Netanyahu not to derail US-Iran nuclear talks" in viewer.inner_text()
    page.screenshot(path=ARTIFACTS / "viewer.png")


def test_follow_up_and_abstention_look_different(page: Page) -> None:
    ask(page, "Who is the head of Mossad?")
    ask(page, "Who arrived in Washington with him?")
    assert "Dermer" in page.locator("#chat .answer").last.inner_text()
    ask(page, "What was the score of the 1998 World Cup final?")
    last = page.locator("#chat .answer").last
    assert "abstained" in str(last.get_attribute("class"))
    assert last.locator("a.cite").count() == 0


def test_uploaded_article_is_answerable_with_citations(page: Page, site: Site) -> None:
    upload = site.root / "lantern.md"
    write_article(
        site.root, "lantern.md", "Zephyr Lakes lantern festival draws record crowd",
        "The Zephyr Lakes lantern festival drew 48,000 visitors over three nights, organisers "
        "said on Sunday. Food stalls ran out of supplies on the second night.",
        source="Lakeside Courier", published="2025-06-01",
    )  # fmt: skip
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(upload)
    expect(page.locator("#upload-status")).to_contain_text("1 added", timeout=WAIT_MS)
    expect(page.locator("#library-table")).to_contain_text("Zephyr Lakes lantern festival")
    assert (site.root / "corpus" / "uploads" / "lantern.md").exists()
    # A second upload: the box had kept the first file, whose temporary copy was gone, and
    # sent it again, so the new file was lost with "Error" all over the page.
    write_article(
        site.root, "ferry.md", "Harbour ferry resumes",
        "The harbour ferry resumed service on Sunday after a storm closed the route.",
        source="Coast Times", published="2025-06-02",
    )  # fmt: skip
    expect(page.locator("#upload")).not_to_contain_text("lantern.md")  # the box was emptied
    page.locator("#upload input[type=file]").set_input_files(site.root / "ferry.md")
    expect(page.locator("#upload-status")).to_contain_text("ferry.md: 1 added", timeout=WAIT_MS)
    expect(page.locator("#library-table")).to_contain_text("Harbour ferry resumes")
    # A corrected version under the same name replaces the first (both were answered from).
    write_article(
        site.root, "lantern.md", "Zephyr Lakes lantern festival draws record crowd",
        "The Zephyr Lakes lantern festival drew 52,000 visitors over three nights, organisers "
        "said on Sunday. Food stalls ran out of supplies on the second night.",
        source="Lakeside Courier", published="2025-06-01",
    )  # fmt: skip
    expect(page.locator("#replace-uploads input")).to_be_checked()
    # A file set before the box is emptied would be emptied with it.
    expect(page.locator("#upload")).not_to_contain_text("ferry.md", timeout=WAIT_MS)
    page.locator("#upload input[type=file]").set_input_files(upload)
    status = page.locator("#upload-status")
    expect(status).to_contain_text("0 added, 1 updated", timeout=WAIT_MS)
    expect(status).to_contain_text("replaced the earlier lantern.md")
    assert sorted(p.name for p in (site.root / "corpus" / "uploads").iterdir()) == [
        "ferry.md", "lantern.md"
    ]  # fmt: skip
    page.get_by_role("tab", name="Chat").click()
    ask(page, "How many visitors were at the Zephyr Lakes lantern festival?")
    answer = page.locator("#chat .answer").last
    assert "52,000" in answer.inner_text() and "48,000" not in answer.inner_text()
    assert "Lakeside Courier" in answer.locator("ol.sources").inner_text()
    open_citation(page, site)
    assert "Zephyr Lakes" in page.locator("#viewer mark#cited").inner_text()


def test_a_file_dropped_while_another_is_ingested_is_added_too(page: Page, site: Site) -> None:
    """The second file arrives while the first (long) one is being ingested. It used to be
    dropped: the upload event ran one at a time, and the box still held the first file."""
    page.get_by_role("tab", name="Library").click()
    long_body = " ".join(
        f"Berth {n} of the tide table moved by {n % 7 + 1} minutes, the harbour office said."
        for n in range(400)
    )
    titles = ["Tide tables revised for spring", "Bridge repainting starts Monday"]
    meta = {"source": "Coast Times", "published": "2025-06-03"}
    write_article(site.root, "drop0.md", titles[0], long_body, **meta)
    write_article(site.root, "drop1.md", titles[1], "Repainting starts Monday.", **meta)
    page.locator("#upload input[type=file]").set_input_files(site.root / "drop0.md")
    saved = site.root / "corpus" / "uploads" / "drop0.md"
    for _ in range(600):  # saved, so now being ingested; at most a minute
        if saved.exists():
            break
        page.wait_for_timeout(100)
    else:
        pytest.fail("the first upload was never saved")
    page.locator("#upload input[type=file]").set_input_files(site.root / "drop1.md")
    expect(page.locator("#upload-status")).to_contain_text("drop1.md: 1 added", timeout=WAIT_MS)
    for title in titles:
        expect(page.locator("#library-table")).to_contain_text(title, timeout=WAIT_MS)
    assert (site.root / "corpus" / "uploads" / "drop1.md").exists()


def test_conversation_and_citations_survive_reload_and_reingest(page: Page, site: Site) -> None:
    ask(page, "Who is the White House spokesperson?")
    first = open_citation(page, site)
    site.stop()
    report = site.cli("ingest")
    assert "0 added, 0 updated" in report, report
    site.start()
    page.reload()
    expect(page.locator("#question textarea")).to_be_editable(timeout=60_000)
    expect(page.locator("#chat")).to_contain_text("Who is the White House spokesperson?")
    assert page.locator("#chat .answer").last.locator(f'a.cite[href="{first}"]').count() >= 1
    again = open_citation(page, site)
    assert again == first


def test_hostile_article_shows_as_text(page: Page, site: Site) -> None:
    ask(page, "By how much did the Harbor Council cut ferry fares?")
    open_citation(page, site, 0)
    page.get_by_role("tab", name="Library").click()
    open_row(page, "Ferry fares")
    view = page.locator("#library-viewer")
    expect(view).to_contain_text('<script>window.__pwned = 1; alert("script")</script>')
    expect(view).to_contain_text("<img src=x onerror=")
    expect(view).to_contain_text("Harbor <i>Gazette</i>")
    for where in ("#viewer", "#library-viewer", "#chat"):
        assert page.locator(f"{where} img, {where} script, {where} b, {where} i").count() == 0
    assert page.evaluate("window.__pwned") is None


def test_library_filters_and_deletes(page: Page, site: Site) -> None:
    page.get_by_role("tab", name="Library").click()
    page.fill("#library-search textarea", "tomatoes")
    expect(page.locator("#library-count")).to_contain_text("1 of")
    open_row(page, "Gardening column")
    expect(page.locator("#selected-id textarea")).not_to_have_value("")
    page.click("#delete")
    expect(page.locator("#delete-status")).to_contain_text("Deleted", timeout=60_000)
    expect(page.locator("#library-count")).to_contain_text("0 of")
    expect(page.locator("#selected-id textarea")).to_have_value("")  # the deleted id is gone
    assert not (site.root / "corpus" / "to-delete.md").exists()
    assert list((site.root / "data" / "deleted").glob("*to-delete.md"))
    listed = json.loads(site.cli("articles", "--json"))
    assert all(a["title"] != "Gardening column about tomatoes" for a in listed)


def test_login_is_required_when_a_username_is_set(browser: Browser, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    shutil.copy(SEED, tmp_path / "corpus")
    guarded = Site(tmp_path, extra_env={
        "ASSISTANT_UI__USERNAME": "reader", "ASSISTANT_UI_PASSWORD": "correct horse",
        "ASSISTANT_LLM__PROVIDER": "extractive",
    })  # fmt: skip
    guarded.cli("ingest", "--quiet")
    guarded.start()
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(guarded.url)
        page.get_by_label("username").fill("reader")
        page.get_by_label("password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        expect(page.get_by_text("Incorrect Credentials")).to_be_visible(timeout=30_000)
        assert page.locator("#chat").count() == 0
        page.get_by_label("username").fill("reader")  # the failed login cleared it
        page.get_by_label("password").fill("correct horse")
        page.get_by_role("button", name="Login").click()
        expect(page.locator("#question textarea")).to_be_editable(timeout=60_000)
        ask(page, "Who arrived in Washington together with Mossad chief David Barnea?")
        assert "Dermer" in page.locator("#chat .answer").last.inner_text()
        context.close()
    finally:
        guarded.stop()
