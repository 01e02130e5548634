"""The web chat when the answer model dies or cannot run: a real ``serve`` on 127.0.0.1 in
Debian's chromium. A native death mid-answer (planted through ``ASSISTANT_MODEL_FAULT_FILE``)
still gives a quoted answer with a notice, the server lives on, and the next answer is normal;
a model that cannot load at start gives a banner and quoted answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from assistant.answer.llm_worker import FAULT_FILE_ENV
from tests.conftest import SEED
from tests.test_web import ARTIFACTS, WAIT_MS, Site

pytestmark = pytest.mark.slow

QUESTION = "Where did Steve Witkoff meet the Iranian foreign minister?"
FINAL = "#chat .answer:not(.draft):not(.pending)"


def served(root: Path, **env: str) -> Site:
    (root / "corpus").mkdir()
    shutil.copy(SEED, root / "corpus")
    site = Site(
        root,
        extra_env={"ASSISTANT_LLM__PROVIDER": "llamacpp", "ASSISTANT_LLM__THREADS": "1", **env},
    )
    site.cli("ingest", "--quiet")
    site.start()
    return site


def open_chat(browser: Browser, site: Site) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    page.goto(site.url)
    expect(page.locator("#question textarea")).to_be_editable(timeout=60_000)
    return page


def ask(page: Page, question: str) -> str:
    """Ask; wait for the final checked answer (not the draft, not a partial one); its HTML."""
    done = page.locator(FINAL).count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(f"document.querySelectorAll({FINAL!r}).length > {done}", timeout=WAIT_MS)
    return page.locator(FINAL).last.inner_html()


def test_a_model_crash_mid_answer_shows_a_quote_and_a_notice_and_the_server_lives(
    browser: Browser, tmp_path: Path
) -> None:
    fault = tmp_path / "fault"
    site = served(tmp_path, **{FAULT_FILE_ENV: str(fault)})
    try:
        page = open_chat(browser, site)
        expect(page.locator("#model-banner")).to_have_count(0)  # the start-up probe passed
        fault.write_text("SIGKILL")  # after the probe: the next model request dies mid-answer
        ask(page, QUESTION)
        answer = page.locator(FINAL).last
        assert "Rome" in answer.inner_text()  # the verified quote
        assert answer.locator("a.cite").count() > 0
        notice = answer.locator(".notice")
        expect(notice).to_be_visible()
        assert "SIGKILL" in notice.inner_text() and "quotes the sources" in notice.inner_text()
        assert not fault.exists(), "the model never saw the planted fault"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "model-crash.png")
        assert site.proc is not None and site.proc.poll() is None  # the server is alive
        page.click("#new-conversation")
        expect(page.locator(FINAL)).to_have_count(0)
        ask(page, QUESTION)  # at once: answered by the restarted model process
        last = page.locator(FINAL).last
        assert last.locator(".notice").count() == 0, last.inner_html()
        assert "Rome" in last.inner_text() and last.locator("a.cite").count() > 0
        assert site.proc.poll() is None
        log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
        assert "died in the middle of an answer" in log and "SIGKILL" in log
        assert "starting the model process again" in log
    finally:
        site.stop()


def test_a_model_that_cannot_run_gives_a_banner_and_quoted_answers(
    browser: Browser, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"<b>not a model</b>" * 8)  # a header, then garbage
    site = served(tmp_path, ASSISTANT_LLM__MODEL=str(broken))
    try:
        page = open_chat(browser, site)
        banner = page.locator("#model-banner")
        expect(banner).to_be_visible()
        text = banner.inner_text()
        assert "cannot run on this machine" in text and "python -m assistant doctor" in text
        assert "could not load the model" in text and "valid GGUF" in text
        assert banner.locator("b").count() == 0
        ask(page, QUESTION)
        answer = page.locator(FINAL).last
        assert "Rome" in answer.inner_text() and "quoted" in str(answer.get_attribute("class"))
        page.screenshot(path=ARTIFACTS / "model-banner.png")
        assert site.proc is not None and site.proc.poll() is None
        log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
        assert "the answer model cannot run" in log
    finally:
        site.stop()
