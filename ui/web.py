"""The web chat (``seedqa chat``): a Gradio app over one ``SeedqaService``, fully offline.

Layout: a *Chat* tab (past chats on the left; the conversation, filling the
window, with cited answers and collapsible source cards; question box;
examples and settings on the right) and a *Documents* tab (upload, the
indexed documents, remove after confirmation). A source viewer slides in
over the page when an answer's "Open source" is clicked.

This module is layout and wiring only: the callbacks are in ``ui.handlers``,
the HTML in ``ui.render``/``ui.viewer``, the page script and styles in
``ui/assets``. Conversations are kept in the browser (``gr.BrowserState``),
so they survive a reload; ratings go to ``<index-dir>/feedback.jsonl``.

API: ``/ask`` answers a question and returns the ``Answer`` JSON::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict(
        "How much will Xiaomi invest in 5G, AI and IoT?", 5, "hybrid", api_name="/ask"
    )

Mounting: ``build_app(service)`` returns the ``gr.Blocks``, which carries its
own styles and page script; pass ``page_options()`` (the theme) to ``launch``
or ``gr.mount_gradio_app``.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from seedqa.qa.errors import InvalidSetting
from seedqa.qa.service import DEFAULT_K, DEFAULT_MODE, MAX_K, MODES, SeedqaService
from seedqa.qa.uploads import megabytes
from seedqa.ui import render
from seedqa.ui.handlers import Handlers

#: Questions answered at the same time (the rest wait in Gradio's queue).
CONCURRENCY = 6
#: Largest ``k`` offered by the settings slider: the largest any request may ask for.
MAX_K_SLIDER = MAX_K
#: Example questions about the seed corpus.
EXAMPLES = (
    "How much will Xiaomi invest in 5G, AI and IoT?",
    "How much had Xiaomi committed before, and over what period?",
    "What share of Xiaomi's revenue comes from overseas?",
    "What is the Xiaomi strategy focused on?",
    "Which products does Xiaomi sell?",
)
ASSETS = Path(__file__).resolve().parent / "assets"
CSS = (ASSETS / "chat.css").read_text(encoding="utf-8")
PAGE_SCRIPT = (ASSETS / "chat.js").read_text(encoding="utf-8")
_PRIVATE = {"api_visibility": "private"}


def parse_auth(text: str | None) -> tuple[str, str] | None:
    """Parse ``--auth USER:PASSWORD`` into ``(user, password)``; None when not given.

    Raises ``InvalidSetting`` when either part is missing.
    """
    if text is None:
        return None
    user, colon, password = text.partition(":")
    if not colon or not user.strip() or not password:
        raise InvalidSetting("--auth must be USER:PASSWORD with both parts, e.g. alice:s3cret")
    return user.strip(), password


@dataclass
class ChatTab:
    """The components of the Chat tab that handlers read or write."""

    chatbot: gr.Chatbot
    question: gr.Textbox
    send: gr.Button
    examples: list[gr.Button]
    clear: gr.Button
    k: gr.Slider
    mode: gr.Radio
    chat_list: gr.Radio
    new_chat: gr.Button
    delete_chat: gr.Button
    confirm_delete_row: gr.Row
    confirm_delete: gr.Button
    keep_chat: gr.Button
    note_row: gr.Row
    note: gr.Textbox
    save_note: gr.Button


@dataclass
class DocumentsTab:
    """The components of the Documents tab that handlers read or write."""

    files: gr.File
    status: gr.HTML
    table: gr.HTML
    to_remove: gr.Dropdown
    remove: gr.Button
    confirm_row: gr.Row
    confirm_text: gr.HTML
    confirm: gr.Button
    cancel: gr.Button


def _chat_column() -> tuple:
    """The conversation (as tall as the window), the question box and the note box."""
    chatbot = gr.Chatbot(
        value=[], elem_id="seedqa-chat", show_label=False, height="calc(100dvh - 240px)",
        min_height=360, render_markdown=False, sanitize_html=True, latex_delimiters=[],
        allow_tags=False, feedback_options=None, buttons=[],
        placeholder="Ask a question about your documents. Answers quote their "
        "sentences, each with its source [n]: click it to see the passage.",
    )  # fmt: skip
    with gr.Row(visible=False, elem_id="seedqa-note-row") as note_row:
        note = gr.Textbox(show_label=True, label="Add a note", scale=6, elem_id="seedqa-note")
        save_note = gr.Button("Save", scale=1, elem_id="seedqa-note-save")
    with gr.Row(equal_height=True):
        question = gr.Textbox(
            placeholder="Ask a question… (Enter to send)", show_label=False, scale=6,
            max_lines=4, elem_id="seedqa-question", autofocus=True,
        )  # fmt: skip
        send = gr.Button("Ask", variant="primary", scale=1, elem_id="seedqa-ask")
    return chatbot, note_row, note, save_note, question, send


def _chat_tab() -> ChatTab:
    """Lay out the Chat tab: past chats, conversation and question box, examples, settings."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=200):
            new_chat = gr.Button("+ New chat", size="sm", elem_id="seedqa-new-chat")
            chat_list = gr.Radio(
                choices=[], show_label=False, container=False, elem_id="seedqa-chats"
            )
            delete_chat = gr.Button("Delete this chat…", size="sm", elem_id="seedqa-delete-chat")
            with gr.Row(visible=False, elem_id="seedqa-confirm-delete") as confirm_delete_row:
                gr.HTML('<div class="seedqa-hint">Delete this conversation? This cannot be undone.'
                        "</div>")  # fmt: skip
                confirm_delete = gr.Button(
                    "Delete", size="sm", variant="stop", elem_id="seedqa-delete-yes"
                )
                keep_chat = gr.Button("Keep", size="sm", elem_id="seedqa-delete-no")
        with gr.Column(scale=4, min_width=360):
            chatbot, note_row, note, save_note, question, send = _chat_column()
        with gr.Column(scale=1, min_width=220):
            gr.HTML('<div class="seedqa-hint">Try an example:</div>')
            examples = [
                gr.Button(text, size="sm", elem_classes=["seedqa-example"]) for text in EXAMPLES
            ]
            clear = gr.Button("Clear conversation", size="sm", elem_id="seedqa-clear")
            with gr.Accordion("Settings", open=True):
                k = gr.Slider(
                    1, MAX_K_SLIDER, value=DEFAULT_K, step=1, label="Passages to retrieve (k)"
                )
                mode = gr.Radio(
                    list(MODES), value=DEFAULT_MODE, label="Retrieval mode",
                    info="hybrid = meaning + keywords",
                )  # fmt: skip
    return ChatTab(
        chatbot, question, send, examples, clear, k, mode, chat_list, new_chat, delete_chat,
        confirm_delete_row, confirm_delete, keep_chat, note_row, note, save_note,
    )  # fmt: skip


def _documents_tab(service: SeedqaService) -> DocumentsTab:
    """Lay out the Documents tab: upload, status line, document table, remove."""
    gr.HTML(
        render.render_upload_hint(service.supported_suffixes, megabytes(service.max_upload_bytes))
    )
    files = gr.File(
        label="Upload documents", file_count="multiple", type="filepath",
        elem_id="seedqa-upload", height=140,
    )  # fmt: skip
    status = gr.HTML(elem_id="seedqa-status")
    table = gr.HTML(elem_id="seedqa-docs")
    gr.HTML('<div class="seedqa-section">Remove a document</div>')
    with gr.Row(equal_height=True):
        to_remove = gr.Dropdown(
            choices=[], show_label=False, container=False, scale=4, elem_id="seedqa-remove-doc"
        )
        remove = gr.Button(
            "Remove…", variant="stop", scale=1, min_width=120, elem_id="seedqa-remove"
        )
    with gr.Row(visible=False, elem_id="seedqa-confirm", equal_height=True) as confirm_row:
        confirm_text = gr.HTML(elem_id="seedqa-confirm-text")
        confirm = gr.Button("Yes, remove", variant="stop", scale=0, elem_id="seedqa-confirm-yes")
        cancel = gr.Button("Cancel", scale=0, elem_id="seedqa-confirm-no")
    return DocumentsTab(
        files, status, table, to_remove, remove, confirm_row, confirm_text, confirm, cancel
    )


def _keep(value: Any) -> Any:
    """Pass a value through (copies the session's chats into the browser's storage)."""
    return value


def _wire_chat(chat: ChatTab, handlers: Handlers, store: gr.State, saved: gr.BrowserState):
    """Connect the Chat tab: ask (Enter, button, examples), past chats, clear.

    Handlers read and write ``store``, the session's chats on the server (never
    stale between two events); each change is then copied to ``saved``, the
    browser's storage, which brings them back after a reload.
    """
    pending = gr.State("")

    def saving(event: Any) -> None:
        event.then(_keep, [store], [saved], queue=False, **_PRIVATE)

    ask_inputs = [pending, store, saved, chat.k, chat.mode]
    ask_outputs = [chat.chatbot, store, chat.chat_list, pending]
    pushed = [chat.question, chat.chatbot, pending]
    for trigger in (chat.question.submit, chat.send.click):
        saving(
            trigger(handlers.push_question, pushed, pushed, queue=False, **_PRIVATE).then(
                handlers.answer_pending, ask_inputs, ask_outputs, **_PRIVATE
            )
        )
    for button, text in zip(chat.examples, EXAMPLES, strict=True):
        saving(
            button.click(
                lambda messages, waiting, text=text: handlers.push_question(
                    text, messages, waiting
                ),
                [chat.chatbot, pending], pushed, queue=False, **_PRIVATE,
            ).then(handlers.answer_pending, ask_inputs, ask_outputs, **_PRIVATE)
        )  # fmt: skip
    shown = [chat.chatbot, chat.chat_list, store]
    saving(chat.new_chat.click(handlers.new_chat, [store, saved], shown, **_PRIVATE))
    saving(
        chat.chat_list.input(
            handlers.select_chat, [chat.chat_list, store, saved], shown, **_PRIVATE
        )
    )
    asking = [chat.confirm_delete_row]
    chat.delete_chat.click(lambda: gr.update(visible=True), None, asking, queue=False, **_PRIVATE)
    chat.keep_chat.click(lambda: gr.update(visible=False), None, asking, queue=False, **_PRIVATE)
    deleted = [*shown, *asking]
    saving(chat.confirm_delete.click(handlers.delete_chat, [store, saved], deleted, **_PRIVATE))
    cleared = [*shown, pending, chat.question]
    saving(chat.clear.click(handlers.clear, [store, saved], cleared, **_PRIVATE))
    saving(chat.chatbot.clear(handlers.clear, [store, saved], cleared, **_PRIVATE))


def _wire_documents(docs: DocumentsTab, handlers: Handlers) -> None:
    """Connect the Documents tab: upload, and remove after a confirmation, one at a time."""
    listing = [docs.table, docs.to_remove]
    docs.files.upload(
        handlers.upload, [docs.files], [docs.status, *listing, docs.files],
        concurrency_limit=1, show_progress_on=[docs.status], **_PRIVATE,
    )  # fmt: skip
    docs.remove.click(
        handlers.ask_remove, [docs.to_remove], [docs.status, docs.confirm_row, docs.confirm_text],
        queue=False, **_PRIVATE,
    )  # fmt: skip
    docs.cancel.click(
        handlers.cancel_remove, None, [docs.status, docs.confirm_row], queue=False, **_PRIVATE
    )
    docs.confirm.click(
        handlers.remove, [docs.to_remove], [docs.status, *listing, docs.confirm_row],
        concurrency_limit=1, show_progress_on=[docs.status], **_PRIVATE,
    )  # fmt: skip


def _browser_store(service: SeedqaService) -> gr.BrowserState:
    """The conversations in the browser's storage, one store per index directory.

    The key is derived from the index directory, so it stays the same across
    restarts (Gradio's own random default would lose every chat on restart).
    It only scrambles the stored text: anyone with the page can read it.
    """
    digest = hashlib.sha256(str(service.index_dir.resolve()).encode("utf-8")).hexdigest()
    return gr.BrowserState(
        None, storage_key=f"seedqa-chats-{digest[:12]}", secret=f"seedqa-{digest[12:40]}"
    )


def _viewer() -> tuple:
    """The source viewer panel (hidden until a source is opened)."""
    with gr.Column(visible=False, elem_id="seedqa-viewer") as viewer:
        close = gr.Button("Close ✕", size="sm", elem_id="seedqa-viewer-close")
        body = gr.HTML(elem_id="seedqa-viewer-body")
    return viewer, body, close


def build_app(service: SeedqaService) -> gr.Blocks:
    """Return the Gradio app over ``service`` (nothing is loaded until it is used)."""
    handlers = Handlers(service)
    with gr.Blocks(title="seedqa", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        saved = _browser_store(service)
        store = gr.State(None)
        note_target = gr.State(None)
        bridge = gr.HTML(
            "", visible="hidden", elem_id="seedqa-bridge", js_on_load=PAGE_SCRIPT,
            head=f"<style>{CSS}</style>",
        )  # fmt: skip
        gr.HTML(render.HEADER)
        viewer, viewer_body, close = _viewer()
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = _chat_tab()
            with gr.Tab("Documents", id="documents"):
                docs = _documents_tab(service)
        _wire_chat(chat, handlers, store, saved)
        _wire_documents(docs, handlers)
        acted = [chat.chatbot, chat.chat_list, store, viewer, viewer_body, chat.note_row]
        acting = bridge.action(
            handlers.act, [store, saved, chat.k, chat.mode], [*acted, chat.note, note_target],
            **_PRIVATE,
        )  # fmt: skip
        acting.then(None, None, None, js="() => window.__seedqaFocusViewer()")
        acting.then(_keep, [store], [saved], queue=False, **_PRIVATE)
        close.click(handlers.close_viewer, None, [viewer, viewer_body], queue=False, **_PRIVATE)
        chat.save_note.click(
            handlers.save_note, [chat.note, note_target, store, saved],
            [chat.note_row, chat.note, note_target], **_PRIVATE,
        )  # fmt: skip
        restored = [chat.chatbot, chat.chat_list, store]
        app.load(handlers.restore, [saved, store], restored, **_PRIVATE)
        app.load(handlers.documents_view, None, [docs.table, docs.to_remove], **_PRIVATE)
        gr.api(handlers.api_ask, api_name="ask")
    app.queue(default_concurrency_limit=CONCURRENCY)
    return app


THEME = gr.themes.Default(primary_hue="indigo", secondary_hue="amber", neutral_hue="slate")


def page_options() -> dict[str, Any]:
    """The theme for ``launch`` or ``gr.mount_gradio_app`` (styles and script come with the app)."""
    return {"theme": THEME}


def launch_options(
    host: str, port: int, credentials: tuple[str, str] | None, max_file_bytes: int
) -> dict[str, Any]:
    """Return the ``Blocks.launch`` arguments of ``serve``: local, private, offline."""
    return {
        "server_name": host,
        "server_port": port,
        "auth": credentials,
        "share": False,
        "quiet": True,
        "inbrowser": False,
        "prevent_thread_lock": True,
        "max_file_size": max_file_bytes,
        "ssr_mode": False,
        "mcp_server": False,
        "enable_monitoring": False,
        **page_options(),
    }
