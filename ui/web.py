"""The web chat (``seedqa chat``): a Gradio app over one index, fully offline.

Layout: a *Chat* tab (conversation with cited answers and their sources,
question box, example questions, clear button, settings for ``k`` and the
retrieval mode) and a *Documents* tab (upload, the indexed documents, remove).

The callbacks are thin: each calls one library function (``Assistant.ask``,
``add_files``, ``remove_document``) and formats the result with ``ui.render``,
which escapes every piece of user and document text. The chatbot renders
that HTML without Markdown and with Gradio's sanitiser still on.

API: ``/ask`` answers a question and returns the ``Answer`` JSON::

    from gradio_client import Client
    Client("http://127.0.0.1:7860/").predict(
        "How much will Xiaomi invest in 5G, AI and IoT?", 5, "hybrid", api_name="/ask"
    )
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from seedqa.index.build import UPLOADS_DIR, BuildReport, add_files, remove_document
from seedqa.index.errors import InvalidSetting, LoadError, SeedqaError
from seedqa.index.load import SUPPORTED_SUFFIXES, load_file
from seedqa.index.store import DocumentEntry
from seedqa.qa.answer import DEFAULT_K, Answer, Assistant
from seedqa.qa.retriever import DEFAULT_MODE, MODES
from seedqa.ui import render

#: Largest file accepted from the browser.
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Questions answered at the same time (the rest wait in Gradio's queue).
CONCURRENCY = 6
#: Largest ``k`` offered by the settings slider.
MAX_K_SLIDER = 20
#: Example questions about the seed corpus.
EXAMPLES = (
    "How much will Xiaomi invest in 5G, AI and IoT?",
    "How much had Xiaomi committed before, and over what period?",
    "What share of Xiaomi's revenue comes from overseas?",
    "What is the Xiaomi strategy focused on?",
    "Which products does Xiaomi sell?",
)
_SUFFIX_LIST = ", ".join(sorted(SUPPORTED_SUFFIXES))
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()+-]+")


class UploadRejected(SeedqaError):
    """An uploaded file is too large, of an unsupported type, or unreadable."""


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


def safe_filename(name: str) -> str:
    """Return the base name of ``name`` reduced to safe characters (never hidden or empty)."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._") or "document"
    suffix = "." + _UNSAFE_NAME.sub("", extension).lower() if dot else ""
    return f"{stem[:100]}{suffix}"


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def validate_upload(path: str | Path, name: str | None = None) -> str:
    """Check one uploaded file; return its safe file name or raise ``UploadRejected``.

    The file must have a supported suffix, be at most ``MAX_UPLOAD_BYTES`` and
    load as a document (text found, decodable, not a broken PDF).
    """
    path = Path(path)
    safe = safe_filename(name or path.name)
    suffix = Path(safe).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        raise UploadRejected(f"{safe}: file type {shown} is not supported; upload {_SUFFIX_LIST}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UploadRejected(f"{safe}: the upload could not be read ({error.strerror})") from error
    if size > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"{safe} is {_megabytes(size)}; the limit is {_megabytes(MAX_UPLOAD_BYTES)} per file"
        )
    with tempfile.TemporaryDirectory(prefix="seedqa-upload-") as scratch:
        staged = Path(scratch) / safe
        shutil.copyfile(path, staged)
        try:
            load_file(staged, staged.parent)
        except LoadError as error:
            raise UploadRejected(f"{safe}: {error.reason}") from error
        except Exception as error:  # an odd file must give a message, not a traceback
            raise UploadRejected(f"{safe}: could not be read ({type(error).__name__})") from error
    return safe


def _free_target(folder: Path, name: str) -> Path:
    """Return ``folder/name``, or ``name-2``, ``name-3``... when that is taken."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target


class ChatService:
    """One server's state: the index directory and its loaded ``Assistant``.

    The assistant is loaded on first use and swapped for a fresh one after an
    upload or removal; questions keep being answered by the previous one while
    the index is rebuilt. Index changes run one at a time.
    """

    def __init__(self, index_dir: str | Path) -> None:
        self.index_dir = Path(index_dir)
        self._assistant: Assistant | None = None
        self._load_lock = threading.Lock()
        self._change_lock = threading.Lock()

    def assistant(self) -> Assistant:
        """Return the loaded assistant, loading the index the first time."""
        current = self._assistant
        if current is None:
            with self._load_lock:
                if self._assistant is None:
                    self._assistant = Assistant.load(self.index_dir)
                current = self._assistant
        return current

    def _reload(self) -> None:
        embedder = self.assistant().retriever.embedder
        fresh = Assistant.load(self.index_dir, embedder=embedder)
        with self._load_lock:
            self._assistant = fresh

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer ``question`` (``Assistant.ask``)."""
        return self.assistant().ask(question, history=history, k=k, mode=mode)

    def documents(self) -> list[DocumentEntry]:
        """Return the indexed documents, sorted by id."""
        documents = self.assistant().retriever.stored.manifest.documents
        return [documents[d] for d in sorted(documents)]

    def add_uploads(
        self,
        files: Sequence[tuple[str | Path, str]],
        on_status: Callable[[str], None] | None = None,
    ) -> tuple[BuildReport, list[str]]:
        """Validate ``(path, original name)`` uploads, copy them in and index them.

        Every file is checked before anything is copied: one rejected file
        rejects the upload and leaves the index and ``uploads/`` unchanged.
        Returns the build report and the stored file names.
        """
        names = [validate_upload(path, name) for path, name in files]
        with self._change_lock:
            folder = self.index_dir / UPLOADS_DIR
            created = not folder.exists()
            folder.mkdir(parents=True, exist_ok=True)
            targets: list[Path] = []
            try:
                for (path, _), name in zip(files, names, strict=True):
                    target = _free_target(folder, name)
                    shutil.copyfile(path, target)
                    targets.append(target)
                embedder = self.assistant().retriever.embedder
                report = add_files(targets, self.index_dir, embedder=embedder, on_status=on_status)
            except BaseException:
                for target in targets:
                    target.unlink(missing_ok=True)
                if created:
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            if on_status:
                on_status("Loading the updated index")
            self._reload()
        return report, [t.name for t in targets]

    def remove(self, doc_id: str, on_status: Callable[[str], None] | None = None) -> BuildReport:
        """Remove one document from the index (``remove_document``) and reload."""
        with self._change_lock:
            embedder = self.assistant().retriever.embedder
            report = remove_document(doc_id, self.index_dir, embedder=embedder, on_status=on_status)
            self._reload()
        return report


# --------------------------------------------------------------------------- callbacks

_STEPS = {"Reading": 0.1, "Chunking": 0.3, "Embedding": 0.5, "Writing": 0.8, "Loading": 0.95}


def _progress_reporter(progress: gr.Progress) -> Callable[[str], None]:
    """Turn library status lines into progress-bar updates."""

    def report(message: str) -> None:
        fraction = next((v for k, v in _STEPS.items() if message.startswith(k)), None)
        progress(fraction if fraction is not None else 0.5, desc=message)

    return report


def _doc_choices(service: ChatService) -> list[tuple[str, str]]:
    return [(f"{d.title} — {d.doc_id}", d.doc_id) for d in service.documents()]


def _uploaded_name(file: Any) -> str:
    """The original file name of a Gradio upload (its temp file keeps the name)."""
    return Path(str(getattr(file, "orig_name", None) or file)).name


def build_app(index_dir: str | Path, service: ChatService | None = None) -> gr.Blocks:
    """Return the Gradio app for the index at ``index_dir`` (nothing is loaded yet)."""
    service = service or ChatService(index_dir)

    def push_question(question: str, messages: list, pending: str):
        text = (question or "").strip()
        if not text:
            return gr.update(), messages, ""
        return "", [*messages, {"role": "user", "content": render.render_question(text)}], text

    def answer_pending(pending: str, messages: list, turns: list, k: float, mode: str):
        if not pending:
            return messages, turns, ""
        try:
            answer = service.ask(pending, history=turns, k=int(k), mode=mode)
        except SeedqaError as error:
            bubble = render.render_error(str(error))
        else:
            bubble = render.render_answer(answer, k=int(k), mode=mode)
            turns = [*turns, {"question": pending, "answer": answer.answer}]
        return [*messages, {"role": "assistant", "content": bubble}], turns, ""

    def clear():
        return [], [], "", ""

    def documents_view():
        return render.render_documents(service.documents()), gr.update(
            choices=_doc_choices(service), value=None
        )

    def upload(files: list | None, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        if not files:
            return gr.update(), gr.update(), gr.update(), None
        try:
            pairs = [(str(f), _uploaded_name(f)) for f in files]
            report, names = service.add_uploads(pairs, on_status=_progress_reporter(progress))
        except SeedqaError as error:
            status = render.render_status(f"Upload rejected, nothing was changed. {error}", False)
            return status, gr.update(), gr.update(), None
        message = f"Added {', '.join(names)}. {report.summary()}"
        if report.problems:
            message += " Problems: " + "; ".join(str(p) for p in report.problems)
        table, choices = documents_view()
        return render.render_status(message), table, choices, None

    def remove(doc_id: str | None, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        if not doc_id:
            return render.render_status("Choose a document to remove.", False), *documents_view()
        try:
            report = service.remove(doc_id, on_status=_progress_reporter(progress))
        except SeedqaError as error:
            status = render.render_status(f"Not removed: {error}", False)
            return status, *documents_view()
        return render.render_status(f"Removed {doc_id}. {report.summary()}"), *documents_view()

    def api_ask(question: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE) -> dict:
        """Answer a question from the indexed documents; returns the Answer JSON.

        Args:
            question: the question.
            k: passages to retrieve (1-1000, default 5).
            mode: retrieval mode: hybrid, dense or lexical.

        """
        try:
            return service.ask(question, k=int(k), mode=mode).to_json()
        except SeedqaError as error:
            raise gr.Error(str(error)) from error

    with gr.Blocks(title="seedqa", analytics_enabled=False, delete_cache=(3600, 86400)) as app:
        turns = gr.State([])
        pending = gr.State("")
        gr.HTML(render.HEADER)
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(
                            value=[],
                            elem_id="seedqa-chat",
                            show_label=False,
                            height=560,
                            render_markdown=False,
                            sanitize_html=True,
                            latex_delimiters=[],
                            allow_tags=False,
                            feedback_options=None,
                            buttons=[],
                            placeholder=(
                                "Ask a question about your documents. Answers quote their "
                                "sentences, each with its source [n]."
                            ),
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                placeholder="Ask a question… (Enter to send)",
                                show_label=False,
                                scale=6,
                                max_lines=4,
                                elem_id="seedqa-question",
                                autofocus=True,
                            )
                            send = gr.Button(
                                "Ask", variant="primary", scale=1, elem_id="seedqa-ask"
                            )
                    with gr.Column(scale=1, min_width=240):
                        gr.HTML('<div class="seedqa-hint">Try an example:</div>')
                        example_buttons = [
                            gr.Button(text, size="sm", elem_classes=["seedqa-example"])
                            for text in EXAMPLES
                        ]
                        clear_button = gr.Button(
                            "Clear conversation", size="sm", elem_id="seedqa-clear"
                        )
                        with gr.Accordion("Settings", open=True):
                            k_slider = gr.Slider(
                                1, MAX_K_SLIDER, value=DEFAULT_K, step=1,
                                label="Passages to retrieve (k)",
                            )  # fmt: skip
                            mode_radio = gr.Radio(
                                list(MODES), value=DEFAULT_MODE, label="Retrieval mode",
                                info="hybrid = meaning + keywords",
                            )  # fmt: skip
            with gr.Tab("Documents", id="documents"):
                gr.HTML(
                    '<div class="seedqa-hint">Add .txt, .md, .html or .pdf files (at most '
                    f"{_megabytes(MAX_UPLOAD_BYTES)} each). They are indexed at once; nothing "
                    "already indexed is embedded again.</div>"
                )
                files = gr.File(
                    label="Upload documents",
                    file_count="multiple",
                    type="filepath",
                    elem_id="seedqa-upload",
                    height=140,
                )
                status = gr.HTML(elem_id="seedqa-status")
                table = gr.HTML(elem_id="seedqa-docs")
                gr.HTML('<div class="seedqa-section">Remove a document</div>')
                with gr.Row(equal_height=True):
                    to_remove = gr.Dropdown(
                        choices=[],
                        show_label=False,
                        container=False,
                        scale=4,
                        elem_id="seedqa-remove-doc",
                    )
                    remove_button = gr.Button(
                        "Remove", variant="stop", scale=1, min_width=120, elem_id="seedqa-remove"
                    )

        private = {"api_visibility": "private"}
        ask_inputs = [pending, chatbot, turns, k_slider, mode_radio]
        ask_outputs = [chatbot, turns, pending]
        for trigger in (question.submit, send.click):
            trigger(
                push_question, [question, chatbot, pending], [question, chatbot, pending],
                queue=False, **private,
            ).then(answer_pending, ask_inputs, ask_outputs, **private)  # fmt: skip
        for button, text in zip(example_buttons, EXAMPLES, strict=True):
            button.click(
                lambda messages, pending, text=text: push_question(text, messages, pending),
                [chatbot, pending], [question, chatbot, pending], queue=False, **private,
            ).then(answer_pending, ask_inputs, ask_outputs, **private)  # fmt: skip
        clear_button.click(clear, None, [chatbot, turns, pending, question], **private)
        chatbot.clear(clear, None, [chatbot, turns, pending, question], **private)
        files.upload(
            upload, [files], [status, table, to_remove, files],
            concurrency_limit=1, show_progress_on=[status], **private,
        )  # fmt: skip
        remove_button.click(
            remove, [to_remove], [status, table, to_remove],
            concurrency_limit=1, show_progress_on=[status], **private,
        )  # fmt: skip
        app.load(documents_view, None, [table, to_remove], **private)
        gr.api(api_ask, api_name="ask")
    app.queue(default_concurrency_limit=CONCURRENCY)
    return app


THEME = gr.themes.Default(primary_hue="indigo", secondary_hue="amber", neutral_hue="slate")


def launch_options(host: str, port: int, credentials: tuple[str, str] | None) -> dict[str, Any]:
    """Return the ``Blocks.launch`` arguments of ``serve``: local, private, offline."""
    return {
        "server_name": host,
        "server_port": port,
        "auth": credentials,
        "share": False,
        "quiet": True,
        "inbrowser": False,
        "prevent_thread_lock": True,
        "max_file_size": MAX_UPLOAD_BYTES,
        "ssr_mode": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "theme": THEME,
        "css": render.CSS,
    }


def serve(
    index_dir: str | Path,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
) -> None:
    """Serve the chat for ``index_dir`` on ``host:port`` until interrupted; print the URL.

    ``auth`` is ``"USER:PASSWORD"`` to require a login. Nothing is shared or
    fetched from outside: no public link, no analytics, local fonts only.
    """
    credentials = parse_auth(auth)
    service = ChatService(index_dir)
    print(f"Loading the index at {index_dir}…", file=sys.stderr, flush=True)
    documents = len(service.documents())
    app = build_app(index_dir, service=service)
    try:
        _, local_url, _ = app.launch(**launch_options(host, port, credentials))
    except OSError as error:
        raise InvalidSetting(
            f"cannot listen on {host}:{port} ({error}); choose another with --port"
        ) from error
    login = " (login required)" if credentials else ""
    indexed = f"{documents} document{'s' if documents != 1 else ''} indexed"
    print(f"seedqa chat: {indexed}; open {local_url}{login} (Ctrl+C to stop)", flush=True)
    app.block_thread()
