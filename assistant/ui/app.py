"""The Gradio page: a chat with clickable citations, a source viewer, and the article library.

This is the web UI boundary: errors become messages on the page, never a traceback (the
handlers are in ``handlers.py``). Every fragment of HTML shown comes from ``render`` (escaped
and sanitised there).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import gradio as gr

from assistant.config import Settings
from assistant.ingest.loaders import SUPPORTED_SUFFIXES
from assistant.ui import render
from assistant.ui.handlers import ALL, ChatTab, LibraryTab, md
from assistant.ui.history import ConversationStore
from assistant.ui.service import DEFAULT_PROFILE, AssistantService

VIEWER_JS = Path(__file__).with_name("viewer.js")
VIEWER_EMPTY = render.notice_html("Click a citation such as [1] to see the passage in its article.")
COLUMNS = ["id", "date", "outlet", "title"]


def build_app(
    service: AssistantService, conversations: ConversationStore, secret: str
) -> gr.Blocks:
    """The page's layout and its event handlers."""
    settings = service.settings
    chat = ChatTab(service, conversations)
    library = LibraryTab(service, settings)

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
                        # No max_length: the browser would cut a long paste without a word;
                        # the chain refuses it with the limit in the message instead.
                        elem_id="question",
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
                    replace = gr.Checkbox(
                        value=settings.ui.replace_uploads, elem_id="replace-uploads",
                        label="A file named as an earlier upload replaces it (the earlier one "
                        "is kept in data/deleted)",
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
        # A file dropped while another is ingested is a second event, queued behind the first
        # (one at a time: saving and naming files is not safe to run twice at once).
        upload.upload(
            library.add, [upload, replace, *listing], [upload_status, table, count, outlet, outlets],
            trigger_mode="multiple", concurrency_limit=1,
        )  # fmt: skip
        # Then the box is emptied in the browser (its files' copies are gone once saved). A
        # server step for it left a moment when a file dropped meanwhile was lost.
        upload.upload(None, None, [upload], js="() => null")
        delete.click(
            library.delete, [selected, *listing],
            [delete_status, table, count, outlet, outlets, article_view, selected],
        )  # fmt: skip
    return demo


def _model_banner(reason: str) -> str:
    return (
        f"**The answer model cannot run on this machine** ({md(reason)}); answers quote the "
        "sources. Run `python -m assistant doctor`."
    )


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
