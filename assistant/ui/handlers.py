"""The web page's event handlers: the chat tab (answer, clear, open a citation) and the library
tab (list, filter, open, upload, delete). Errors become messages on the page, never a traceback.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answer.llm import Message
from assistant.answer.question import turn
from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError
from assistant.index.indexer import IngestReport
from assistant.retrieve.hybrid import Filters
from assistant.types import Answer
from assistant.ui import render
from assistant.ui.history import ConversationStore, new_session_id, valid_session_id
from assistant.ui.library import (
    ArticleFilter,
    Saved,
    check_deletable,
    delete_article,
    discard_temporary,
    save_uploads,
)
from assistant.ui.service import DEFAULT_PROFILE, AssistantService

log = logging.getLogger(__name__)
ALL = "(all outlets)"
HISTORY_TURNS = 3  # earlier turns given to the chain to resolve follow-ups


class ChatTab:
    """The chat tab's handlers: start or resume a session, answer, clear, open a citation."""

    def __init__(self, service: AssistantService, conversations: ConversationStore) -> None:
        self.service = service
        self.conversations = conversations

    def start(self, session: object) -> tuple[Any, ...]:
        """Resume the browser's session (or make one), show its history, enable asking."""
        sid = session if valid_session_id(session) else new_session_id()
        assert isinstance(sid, str)
        shown = _messages(self.conversations.answers(sid))
        return sid, shown, gr.Textbox(interactive=True), gr.Button(interactive=True)

    def clear(self, session: object) -> list[dict[str, str]]:
        if valid_session_id(session):
            assert isinstance(session, str)
            self.conversations.clear(session)
        return []

    def respond(
        self, question: str, shown: list[dict[str, Any]], session: object, k: float,
        profile: str, outlets: list[str] | None, since: str | None, until: str | None,
    ) -> Iterator[tuple[str, list[dict[str, str]], str]]:  # fmt: skip
        """Show the checked quote at once, then each checked update of the answer.

        Yields (question box, messages, session id): a session is made here when the page's
        load has not set one yet (a fast first click) or the caller is an API client."""
        sid = session if valid_session_id(session) else new_session_id()
        assert isinstance(sid, str)
        if not question or not question.strip():
            # Yield what is shown as it is: a handler that yields nothing makes Gradio reset
            # its outputs, which emptied the chat and dropped the browser's session.
            yield "", shown, sid
            return
        answers = self.conversations.answers(sid)
        messages = [*_messages(answers), {"role": "user", "content": _escape(question)}]
        messages.append({"role": "assistant", "content": render.draft_html("…")})
        yield "", messages, sid
        try:
            filters = _filters(outlets, since, until)
            for event in self.service.stream(
                question, _history(answers), filters, int(k), profile or DEFAULT_PROFILE
            ):  # checked answers only: the quote first, then what the model adds
                if not event.partial:
                    self.conversations.append(sid, event)
                messages[-1]["content"] = render.answer_html(event)
                yield "", messages, sid
        except AssistantError as exc:
            messages[-1]["content"] = render.error_html(str(exc))
            yield question, messages, sid
        except Exception:  # the UI boundary: say so on the page, keep the details in the log
            log.exception("answering %r failed", question)
            messages[-1]["content"] = render.error_html("Answering failed; see the server log.")
            yield question, messages, sid

    def open_citation(self, href: str) -> str:
        """The viewer's HTML for a clicked citation link (called from the page's script)."""
        ref = render.CitationRef.parse(str(href))
        if ref is None:
            return render.notice_html("That is not a citation link.")
        return render.citation_html(self.service.article(ref.article_id), ref)


class LibraryTab:
    """The library tab's handlers: list and filter, open, upload, delete."""

    def __init__(self, service: AssistantService, settings: Settings) -> None:
        self.service = service
        self.settings = settings
        self._handled: set[str] = set()  # Gradio's copies of uploads saved or refused

    def outlets(self) -> list[str]:
        return sorted({a.meta.source for a in self.service.articles() if a.meta.source})

    def refresh(self, words: str, outlet: str, since: str, until: str) -> tuple[Any, ...]:
        chosen = "" if outlet in (None, ALL) else outlet
        articles = self.service.articles()
        names = sorted({a.meta.source for a in articles if a.meta.source})
        try:
            lo, hi = _filters(None, since, until).day_range()  # the chat's date rules
            keep = ArticleFilter(words or "", chosen, _iso(lo), _iso(hi))
            rows = [
                [a.id, a.meta.published or "", a.meta.source or "", a.meta.title]
                for a in articles
                if keep.keeps(a)
            ]
            count = f"{len(rows)} of {len(articles)} article(s)"
        except ConfigError as exc:
            rows, count = [], f"**Not filtered:** {md(str(exc))}"
        return (
            rows or [["", "", "", "no matching article"]],
            count,
            gr.Dropdown(choices=[ALL, *names]),
            gr.Dropdown(choices=names),
        )

    def select(self, event: gr.SelectData) -> tuple[str, str]:
        row = event.row_value if isinstance(event.row_value, list) else []
        article = self.service.article(str(row[0])) if row and row[0] else None
        if article is None:
            return "", render.notice_html("Choose an article in the list.")
        return article.id, render.article_html(article)

    def add(
        self,
        files: list[str] | None,
        replace: bool,
        *listing: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (how Gradio injects a progress bar)
    ) -> tuple[Any, ...]:
        """Save the uploads into the corpus and ingest them one by one, showing progress; with
        ``replace``, an upload named as an earlier one is its new version."""
        # A file dropped while another is ingested arrives with that one again (the box still
        # held it); that one was handled already and its copy is gone.
        files = [f for f in files or [] if f not in self._handled or Path(f).exists()]
        if not files:
            return ("", *self.refresh(*listing))
        self._handled.update(files)  # before their copies go, saved or refused
        try:
            saved = save_uploads([Path(f) for f in files], self.settings, replace=replace)
        except AssistantError as exc:
            return (f"**Not added:** {md(str(exc))}", *self.refresh(*listing))
        finally:
            discard_temporary([Path(f) for f in files])
        lines = []
        for i, item in enumerate(saved):
            name = item.path.name
            progress((i, len(saved)), desc=f"ingesting {name}", unit="files")
            try:
                # A replaced file's articles that its new version lacks go too.
                report = self.service.ingest([item.path], prune=item.replaced is not None)
            except AssistantError as exc:
                lines.append(f"- {md(name)}: failed: {md(str(exc))}")
                continue
            lines.append(f"- {md(name)}: {self._outcome(item, report)}")
        return ("**Ingested**\n" + "\n".join(lines), *self.refresh(*listing))

    def _outcome(self, item: Saved, report: IngestReport) -> str:
        """What ingesting one upload did, for its status line."""
        name = item.path.name
        problems = "; ".join(str(p) for p in report.problems)
        parts = [
            f"{report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
            f"{report.chunks} chunks" + (f", {report.removed} removed" if report.removed else "")
        ]
        if problems:
            parts.append(f"skipped: {md(problems)}")
        if item.replaced:
            parts.append(f"it replaced the earlier {md(name)}, kept as {md(str(item.replaced))}")
        for _, earlier in report.near_duplicates:
            other = self.service.article(earlier)
            if other is not None:  # answers cite one of the two: the user should know which
                parts.append(
                    f"nearly the same text as “{md(other.meta.title)}” ({md(other.origin)}); "
                    "answers quote one of the two, so delete the one that is out of date"
                )
        return "; ".join(parts)

    def delete(self, article_id: str, *listing: str) -> tuple[Any, ...]:
        try:
            article = self.service.article(article_id.strip())
            if article is None:
                raise ConfigError(f"no article {article_id!r}; select one in the list")
            check_deletable(article, self.service.articles())
            # The file moves first: if that fails the index keeps the article (see library).
            moved = delete_article(article, self.settings, self.service.delete)
        except AssistantError as exc:
            return (f"**Not deleted:** {md(str(exc))}", *self.refresh(*listing), "", article_id)
        where = f" Its file was moved to {md(str(moved))}." if moved else ""
        message = f"Deleted “{md(article.meta.title)}”.{where}"
        return (message, *self.refresh(*listing), "", "")  # nothing is selected any more


def md(text: str) -> str:
    """Untrusted text (titles, file names, messages quoting them) for a Markdown status line."""
    return render.markdown_text(text)


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _messages(answers: list[Answer]) -> list[dict[str, str]]:
    shown = []
    for answer in answers:
        shown.append({"role": "user", "content": _escape(answer.question)})
        shown.append({"role": "assistant", "content": render.answer_html(answer)})
    return shown


def _history(answers: list[Answer]) -> list[Message]:
    history: list[Message] = []
    for answer in answers[-HISTORY_TURNS:]:
        history += turn(answer)
    return history


def _iso(day: int | None) -> str:
    """``20250527`` as ``2025-05-27`` (empty for no bound)."""
    return "" if day is None else f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def _filters(outlets: list[str] | None, since: str | None, until: str | None) -> Filters:
    filters = Filters(
        sources=tuple(outlets or ()),
        since=(since or "").strip() or None,
        until=(until or "").strip() or None,
    )
    try:
        filters.day_range()
    except ValueError as exc:
        raise ConfigError(f"the date filter: {exc}") from exc
    return filters
