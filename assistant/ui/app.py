"""The Gradio page: a chat with clickable citations, a source viewer, and the article library.

This is the web UI boundary: errors become messages on the page, never a traceback. Every
fragment of HTML shown comes from ``render`` (escaped and sanitised there).
"""

from __future__ import annotations

import html
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.answer.llm import Message
from assistant.config import Settings
from assistant.errors import AssistantError, ConfigError
from assistant.ingest.loaders import SUPPORTED_SUFFIXES
from assistant.retrieve.hybrid import Filters
from assistant.types import Answer
from assistant.ui import render
from assistant.ui.history import ConversationStore, new_session_id, valid_session_id
from assistant.ui.library import (
    ArticleFilter,
    check_deletable,
    delete_article,
    discard_temporary,
    save_uploads,
)
from assistant.ui.service import DEFAULT_PROFILE, AssistantService

log = logging.getLogger(__name__)
ALL = "(all outlets)"
HISTORY_TURNS = 3  # earlier turns given to the chain to resolve follow-ups
VIEWER_JS = Path(__file__).with_name("viewer.js")
VIEWER_EMPTY = render.notice_html("Click a citation such as [1] to see the passage in its article.")
COLUMNS = ["id", "date", "outlet", "title"]


def build_app(
    service: AssistantService, conversations: ConversationStore, secret: str
) -> gr.Blocks:
    """The page's layout and its event handlers."""
    settings = service.settings
    chat = _Chat(service, conversations)
    library = _Library(service, settings)

    def open_citation(href: str) -> str:
        """Called by the viewer's script (a plain function: Gradio tags it, not a method)."""
        return chat.open_citation(href)

    demo = gr.Blocks(title="News assistant", analytics_enabled=False)
    with demo:
        session = gr.BrowserState(None, storage_key="news-assistant-session", secret=secret)
        gr.Markdown("## News assistant\nAnswers from the articles, with every citation checked.")
        if service.model_problem:
            gr.Markdown(_model_banner(service.model_problem), elem_id="model-banner")
        with gr.Tab("Chat", id="chat-tab"), gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="chat", height=560, show_label=False, feedback_options=None,
                    buttons=["copy"], placeholder="Ask a question about the articles.",
                    latex_delimiters=[],  # "$5 billion ... $3" is money, not LaTeX
                )  # fmt: skip
                with gr.Row():
                    question = gr.Textbox(
                        placeholder="Ask about the articles…", show_label=False, scale=6,
                        elem_id="question", max_length=settings.answer.max_question_chars,
                        interactive=False,  # until the page's session is known
                    )  # fmt: skip
                    ask = gr.Button(
                        "Ask", variant="primary", elem_id="ask", scale=1, interactive=False
                    )
                clear = gr.Button("New conversation", size="sm", elem_id="new-conversation")
                with gr.Accordion("Answer settings", open=False, elem_id="answer-settings"):
                    profiles = service.profiles()
                    model = gr.Dropdown(
                        [(f"{name}: {desc}", name) for name, desc in profiles.items()],
                        value=DEFAULT_PROFILE, label="Answer model", elem_id="model",
                    )  # fmt: skip
                    top_k = gr.Slider(
                        1, 30, value=settings.answer.retrieve_k, step=1,
                        label="Passages retrieved (top-k)", elem_id="top-k",
                    )  # fmt: skip
                    outlets = gr.Dropdown(
                        library.outlets(), multiselect=True, label="Only these outlets",
                        elem_id="outlets",
                    )  # fmt: skip
                    with gr.Row():
                        since = gr.Textbox(label="Published from", placeholder="YYYY-MM-DD")
                        until = gr.Textbox(label="Published until", placeholder="YYYY-MM-DD")
            with gr.Column(scale=2):
                gr.Markdown("### Source")
                viewer = gr.HTML(
                    VIEWER_EMPTY, elem_id="viewer", max_height=640, server_functions=[open_citation],
                    js_on_load=VIEWER_JS.read_text(encoding="utf-8"),
                )  # fmt: skip
        with gr.Tab("Library", id="library-tab"):
            with gr.Row():
                words = gr.Textbox(label="Search", elem_id="library-search", scale=3)
                outlet = gr.Dropdown([ALL, *library.outlets()], value=ALL, label="Outlet")
                lib_since = gr.Textbox(label="From", placeholder="YYYY-MM-DD")
                lib_until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD")
            count = gr.Markdown(elem_id="library-count")
            table = gr.Dataframe(
                headers=COLUMNS, datatype="str", interactive=False, elem_id="library-table",
                max_height=360, wrap=True,
            )  # fmt: skip
            with gr.Row():
                with gr.Column():
                    upload = gr.File(
                        label=f"Add articles ({' '.join(sorted(SUPPORTED_SUFFIXES))}; "
                        f"at most {settings.ui.max_upload_mb:g} MB each)",
                        file_count="multiple", file_types=sorted(SUPPORTED_SUFFIXES),
                        elem_id="upload",
                    )  # fmt: skip
                    upload_status = gr.Markdown(elem_id="upload-status")
                with gr.Column():
                    selected = gr.Textbox(label="Selected article", elem_id="selected-id")
                    delete = gr.Button("Delete this article", variant="stop", elem_id="delete")
                    delete_status = gr.Markdown(elem_id="delete-status")
            article_view = gr.HTML(elem_id="library-viewer", max_height=640)

        listing = [words, outlet, lib_since, lib_until]
        demo.load(chat.start, [session], [session, chatbot, question, ask]).then(
            library.refresh, listing, [table, count, outlet, outlets]
        )
        ask_inputs = [question, chatbot, session, top_k, model, outlets, since, until]
        for trigger in (ask.click, question.submit):
            trigger(
                chat.respond, ask_inputs, [question, chatbot, session], concurrency_id="answers"
            )
        clear.click(chat.clear, [session], [chatbot]).then(lambda: VIEWER_EMPTY, None, [viewer])
        gr.on(
            [words.change, outlet.change, lib_since.change, lib_until.change],
            library.refresh, listing, [table, count, outlet, outlets],
        )  # fmt: skip
        table.select(library.select, None, [selected, article_view])
        upload.upload(
            library.add, [upload, *listing], [upload_status, table, count, outlet, outlets]
        )
        delete.click(
            library.delete, [selected, *listing],
            [delete_status, table, count, outlet, outlets, article_view],
        )  # fmt: skip
    return demo


class _Chat:
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
        if not question or not question.strip():
            return
        sid = session if valid_session_id(session) else new_session_id()
        assert isinstance(sid, str)
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


class _Library:
    """The library tab's handlers: list and filter, open, upload, delete."""

    def __init__(self, service: AssistantService, settings: Settings) -> None:
        self.service = service
        self.settings = settings

    def outlets(self) -> list[str]:
        return sorted({a.meta.source for a in self.service.articles() if a.meta.source})

    def refresh(self, words: str, outlet: str, since: str, until: str) -> tuple[Any, ...]:
        chosen = "" if outlet in (None, ALL) else outlet
        keep = ArticleFilter(words or "", chosen, (since or "").strip(), (until or "").strip())
        articles = self.service.articles()
        rows = [
            [a.id, a.meta.published or "", a.meta.source or "", a.meta.title]
            for a in articles
            if keep.keeps(a)
        ]
        names = sorted({a.meta.source for a in articles if a.meta.source})
        return (
            rows or [["", "", "", "no matching article"]],
            f"{len(rows)} of {len(articles)} article(s)",
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
        *listing: str,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (how Gradio injects a progress bar)
    ) -> tuple[Any, ...]:
        """Save the uploads into the corpus and ingest them one by one, showing progress."""
        if not files:
            return ("", *self.refresh(*listing))
        try:
            saved = save_uploads([Path(f) for f in files], self.settings)
        except AssistantError as exc:
            return (f"**Not added:** {_md(str(exc))}", *self.refresh(*listing))
        finally:
            discard_temporary([Path(f) for f in files])
        lines = []
        for i, path in enumerate(saved):
            progress((i, len(saved)), desc=f"ingesting {path.name}", unit="files")
            try:
                report = self.service.ingest([path])
            except AssistantError as exc:
                lines.append(f"- {_md(path.name)}: failed: {_md(str(exc))}")
                continue
            problems = "; ".join(str(p) for p in report.problems)
            lines.append(
                f"- {_md(path.name)}: {report.added} added, {report.updated} updated, "
                f"{report.unchanged} unchanged, {report.chunks} chunks"
                + (f"; skipped: {_md(problems)}" if problems else "")
            )
        return ("**Ingested**\n" + "\n".join(lines), *self.refresh(*listing))

    def delete(self, article_id: str, *listing: str) -> tuple[Any, ...]:
        try:
            article = self.service.article(article_id.strip())
            if article is None:
                raise ConfigError(f"no article {article_id!r}; select one in the list")
            check_deletable(article, self.service.articles())
            # The file moves first: if that fails the index keeps the article (see library).
            moved = delete_article(article, self.settings, self.service.delete)
        except AssistantError as exc:
            return (f"**Not deleted:** {_md(str(exc))}", *self.refresh(*listing), "")
        where = f" Its file was moved to {_md(str(moved))}." if moved else ""
        message = f"Deleted “{_md(article.meta.title)}”.{where}"
        return (message, *self.refresh(*listing), "")


def _md(text: str) -> str:
    """Untrusted text (titles, file names, messages quoting them) for a Markdown status line."""
    return render.markdown_text(text)


def _model_banner(reason: str) -> str:
    return (
        f"**The answer model cannot run on this machine** ({_md(reason)}); answers quote the "
        "sources. Run `python -m assistant doctor`."
    )


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
        history.append({"role": "user", "content": answer.question})
        history.append({"role": "assistant", "content": answer.text})
    return history


def _filters(outlets: list[str] | None, since: str | None, until: str | None) -> Filters:
    filters = Filters(
        sources=tuple(outlets or ()),
        since=(since or "").strip() or None,
        until=(until or "").strip() or None,
    )
    try:
        filters.day_range()
    except ValueError as exc:
        raise ConfigError(f"the date filter: {exc}; use a date such as 2025-05-27") from exc
    return filters


def secret_key(settings: Settings) -> str:
    """The key that encrypts the browser's session id; kept so sessions survive a restart."""
    path = settings.data_dir / "ui-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # created private: the key is never readable by others, not even for a moment
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker made it first
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(secrets.token_urlsafe(32))
    return path.read_text(encoding="utf-8").strip()
