"""The web chat (``seedqa chat``): a Gradio app over one ``SeedqaService``, fully offline.

Layout: a *Chat* tab (conversation with cited answers and their sources,
question box, example questions, clear button, settings for ``k`` and the
retrieval mode) and a *Documents* tab (upload, the indexed documents, remove).

This module is layout and wiring only. Each handler calls one service method
(``ask``, ``add_uploads``, ``remove``, ``documents``) and formats the result
with ``ui.render``, which escapes every piece of user and document text. The
chatbot renders that HTML without Markdown and with Gradio's sanitiser on.

API: ``/ask`` answers a question and returns the ``Answer`` JSON::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict(
        "How much will Xiaomi invest in 5G, AI and IoT?", 5, "hybrid", api_name="/ask"
    )
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from seedqa.qa.errors import InvalidSetting, SeedqaError
from seedqa.qa.service import DEFAULT_K, DEFAULT_MODE, MAX_K, MODES, SeedqaService
from seedqa.qa.uploads import megabytes
from seedqa.ui import render

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
_STEPS = {"Reading": 0.1, "Chunking": 0.3, "Embedding": 0.5, "Writing": 0.8, "Loading": 0.95}
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


def _progress_reporter(progress: gr.Progress) -> Callable[[str], None]:
    """Turn the service's status lines into progress-bar updates."""

    def report(message: str) -> None:
        fraction = next((v for k, v in _STEPS.items() if message.startswith(k)), None)
        progress(fraction if fraction is not None else 0.5, desc=message)

    return report


def _uploaded_name(file: Any) -> str:
    """The original file name of a Gradio upload (its temp file keeps the name)."""
    return Path(str(getattr(file, "orig_name", None) or file)).name


class Handlers:
    """The app's callbacks: each calls one service method and renders its result."""

    def __init__(self, service: SeedqaService) -> None:
        self.service = service

    @staticmethod
    def push_question(question: str, messages: list, pending: str) -> tuple:
        """Show the user's question at once and remember it for ``answer_pending``."""
        text = (question or "").strip()
        if not text:
            return gr.update(), messages, ""
        return "", [*messages, {"role": "user", "content": render.render_question(text)}], text

    def answer_pending(self, pending: str, messages: list, turns: list, k: float, mode: str):
        """Answer the remembered question and append the answer bubble."""
        if not pending:
            return messages, turns, ""
        try:
            answer = self.service.ask(pending, history=turns, k=k, mode=mode)
        except SeedqaError as error:
            bubble = render.render_error(str(error))
        else:
            bubble = render.render_answer(answer, k=int(k), mode=mode)
            turns = [*turns, {"question": pending, "answer": answer.answer}]
        return [*messages, {"role": "assistant", "content": bubble}], turns, ""

    @staticmethod
    def clear() -> tuple:
        """Empty the conversation."""
        return [], [], "", ""

    def documents_view(self) -> tuple:
        """The document table and the choices of the remove dropdown."""
        documents = self.service.documents()
        choices = [(f"{d.title} — {d.doc_id}", d.doc_id) for d in documents]
        return render.render_documents(documents), gr.update(choices=choices, value=None)

    def upload(self, files: list | None, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        """Index uploaded files; a rejected upload changes nothing and says why."""
        if not files:
            return gr.update(), gr.update(), gr.update(), None
        pairs = [(str(f), _uploaded_name(f)) for f in files]
        try:
            report = self.service.add_uploads(pairs, on_status=_progress_reporter(progress))
        except SeedqaError as error:
            status = render.render_status(f"Upload rejected, nothing was changed. {error}", False)
            return status, gr.update(), gr.update(), None
        message = f"Added {', '.join(report.stored_files)}. {report.summary}"
        if report.problems:
            message += " Problems: " + "; ".join(report.problems)
        return render.render_status(message), *self.documents_view(), None

    def remove(self, doc_id: str | None, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        """Remove the chosen document from the index."""
        if not doc_id:
            status = render.render_status("Choose a document to remove.", False)
            return status, *self.documents_view()
        try:
            report = self.service.remove(doc_id, on_status=_progress_reporter(progress))
        except SeedqaError as error:
            return render.render_status(f"Not removed: {error}", False), *self.documents_view()
        return render.render_status(f"Removed {doc_id}. {report.summary}"), *self.documents_view()

    def api_ask(self, question: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE) -> dict:
        """Answer a question from the indexed documents; returns the Answer JSON.

        Args:
            question: the question.
            k: passages to retrieve (a whole number from 1 to 100, default 5).
            mode: retrieval mode: hybrid, dense or lexical.

        """
        try:
            return self.service.ask(question, k=k, mode=mode).to_json()
        except SeedqaError as error:
            raise gr.Error(str(error), print_exception=False) from error  # a user error


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


@dataclass
class DocumentsTab:
    """The components of the Documents tab that handlers read or write."""

    files: gr.File
    status: gr.HTML
    table: gr.HTML
    to_remove: gr.Dropdown
    remove: gr.Button


def _chat_tab() -> ChatTab:
    """Lay out the Chat tab: conversation and question box, examples and settings."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            chatbot = gr.Chatbot(
                value=[], elem_id="seedqa-chat", show_label=False, height=560,
                render_markdown=False, sanitize_html=True, latex_delimiters=[],
                allow_tags=False, feedback_options=None, buttons=[],
                placeholder="Ask a question about your documents. Answers quote their "
                "sentences, each with its source [n].",
            )  # fmt: skip
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    placeholder="Ask a question… (Enter to send)", show_label=False, scale=6,
                    max_lines=4, elem_id="seedqa-question", autofocus=True,
                )  # fmt: skip
                send = gr.Button("Ask", variant="primary", scale=1, elem_id="seedqa-ask")
        with gr.Column(scale=1, min_width=240):
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
    return ChatTab(chatbot, question, send, examples, clear, k, mode)


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
            "Remove", variant="stop", scale=1, min_width=120, elem_id="seedqa-remove"
        )
    return DocumentsTab(files, status, table, to_remove, remove)


def _wire_chat(chat: ChatTab, handlers: Handlers, turns: gr.State, pending: gr.State) -> None:
    """Connect the Chat tab: ask (Enter, button, examples), clear."""
    ask_inputs = [pending, chat.chatbot, turns, chat.k, chat.mode]
    ask_outputs = [chat.chatbot, turns, pending]
    pushed = [chat.question, chat.chatbot, pending]
    for trigger in (chat.question.submit, chat.send.click):
        trigger(handlers.push_question, pushed, pushed, queue=False, **_PRIVATE).then(
            handlers.answer_pending, ask_inputs, ask_outputs, **_PRIVATE
        )
    for button, text in zip(chat.examples, EXAMPLES, strict=True):
        button.click(
            lambda messages, waiting, text=text: handlers.push_question(text, messages, waiting),
            [chat.chatbot, pending], pushed, queue=False, **_PRIVATE,
        ).then(handlers.answer_pending, ask_inputs, ask_outputs, **_PRIVATE)  # fmt: skip
    cleared = [chat.chatbot, turns, pending, chat.question]
    chat.clear.click(handlers.clear, None, cleared, **_PRIVATE)
    chat.chatbot.clear(handlers.clear, None, cleared, **_PRIVATE)


def _wire_documents(docs: DocumentsTab, handlers: Handlers) -> None:
    """Connect the Documents tab: upload and remove, one change at a time."""
    listing = [docs.table, docs.to_remove]
    docs.files.upload(
        handlers.upload, [docs.files], [docs.status, *listing, docs.files],
        concurrency_limit=1, show_progress_on=[docs.status], **_PRIVATE,
    )  # fmt: skip
    docs.remove.click(
        handlers.remove, [docs.to_remove], [docs.status, *listing],
        concurrency_limit=1, show_progress_on=[docs.status], **_PRIVATE,
    )  # fmt: skip


def build_app(service: SeedqaService) -> gr.Blocks:
    """Return the Gradio app over ``service`` (nothing is loaded until it is used)."""
    handlers = Handlers(service)
    with gr.Blocks(title="seedqa", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        turns = gr.State([])
        pending = gr.State("")
        gr.HTML(render.HEADER)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chat = _chat_tab()
            with gr.Tab("Documents", id="documents"):
                docs = _documents_tab(service)
        _wire_chat(chat, handlers, turns, pending)
        _wire_documents(docs, handlers)
        app.load(handlers.documents_view, None, [docs.table, docs.to_remove], **_PRIVATE)
        gr.api(handlers.api_ask, api_name="ask")
    app.queue(default_concurrency_limit=CONCURRENCY)
    return app


THEME = gr.themes.Default(primary_hue="indigo", secondary_hue="amber", neutral_hue="slate")


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
        "theme": THEME,
        "css": render.CSS,
    }
