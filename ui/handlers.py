"""The web chat's callbacks: each calls the service once and renders the result.

Conversations live in the browser (``gr.BrowserState``, see ``ui.chats``);
every handler takes the store and returns the new one. Clicks on an answer's
own buttons (retry, thumbs, open source) arrive as one ``action`` event with
``{"kind", "turn", ...}`` from the page script (``assets/chat.js``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr

from seedqa.qa.errors import SeedqaError
from seedqa.qa.feedback import Feedback
from seedqa.qa.service import DEFAULT_K, DEFAULT_MODE, SeedqaService
from seedqa.ui import chats, render
from seedqa.ui.viewer import render_viewer

_STEPS = {"Reading": 0.1, "Chunking": 0.3, "Embedding": 0.5, "Writing": 0.8, "Loading": 0.95}
#: Outputs of ``act``: chatbot, chat list, store, viewer, viewer body, note row, note, target.
ACT_OUTPUTS = 8


def _progress_reporter(progress: gr.Progress) -> Callable[[str], None]:
    """Turn the service's status lines into progress-bar updates."""

    def report(message: str) -> None:
        fraction = next((v for k, v in _STEPS.items() if message.startswith(k)), None)
        progress(fraction if fraction is not None else 0.5, desc=message)

    return report


def _uploaded_name(file: Any) -> str:
    """The original file name of a Gradio upload (its temp file keeps the name)."""
    return Path(str(getattr(file, "orig_name", None) or file)).name


def _span(n: int, item: Any, text: str = "") -> dict[str, Any]:
    return {"n": n, "doc_id": item.doc_id, "start": item.start, "end": item.end, "text": text}


class Handlers:
    """The app's callbacks over one ``SeedqaService``."""

    def __init__(self, service: SeedqaService) -> None:
        self.service = service

    # ------------------------------------------------------------------ chat

    def _kinds(self) -> dict[str, str]:
        try:
            return {d.doc_id: d.kind for d in self.service.documents()}
        except SeedqaError:
            return {}

    def _turn(self, question: str, store: chats.Store, k: Any, mode: str, turn_id: str) -> dict:
        """Ask ``question`` with the conversation before ``turn_id``; return the turn record."""
        try:
            answer = self.service.ask(
                question, history=chats.history(store, before=turn_id), k=k, mode=mode
            )
        except SeedqaError as error:
            html = render.render_error(str(error))
            return {"id": turn_id, "question": question, "html": html, "error": str(error)}
        html = render.render_answer(answer, k=k, mode=mode, turn=turn_id, kinds=self._kinds())
        return {
            "id": turn_id, "question": question, "html": html, "answer": answer.answer,
            "abstained": answer.abstained, "k": k, "mode": mode, "feedback": None,
            "sources": [_span(c.n, c, c.text) for c in answer.citations],
            "closest": [_span(i, h) for i, h in enumerate(answer.hits[: render.CLOSEST_PASSAGES])],
        }  # fmt: skip

    @staticmethod
    def _shown(store: chats.Store) -> tuple:
        """Chatbot messages and the chat list for ``store``."""
        listing = gr.update(choices=chats.choices(store), value=store["active"])
        return chats.messages(store, render.render_question), listing

    @staticmethod
    def push_question(question: str, messages: list, pending: str) -> tuple:
        """Show the user's question at once and remember it for ``answer_pending``."""
        text = (question or "").strip()
        if not text:
            return gr.update(), messages, ""
        return "", [*messages, {"role": "user", "content": render.render_question(text)}], text

    def answer_pending(self, pending: str, store: Any, saved: Any, k: float, mode: str) -> tuple:
        """Answer the remembered question in the active chat; returns chatbot, store, list."""
        store = chats.current(store, saved)
        if not pending:
            return *self._shown(store)[:1], store, gr.update(), ""
        store = chats.add_turn(store, self._turn(pending, store, k, mode, chats.new_id()))
        messages, listing = self._shown(store)
        return messages, store, listing, ""

    def restore(self, saved: Any, store: Any = None) -> tuple:
        """On page load: show the saved chats (or the session's, if a click came first)."""
        store = chats.current(store, saved)
        return *self._shown(store), store

    def new_chat(self, store: Any, saved: Any) -> tuple:
        """Start a new conversation (the old one stays in the list)."""
        store = chats.start_chat(chats.current(store, saved))
        return *self._shown(store), store

    def select_chat(self, chat_id: str, store: Any, saved: Any) -> tuple:
        """Show a past conversation."""
        store = chats.select(chats.current(store, saved), chat_id)
        return *self._shown(store), store

    def delete_chat(self, store: Any, saved: Any) -> tuple:
        """Delete the conversation shown (after the user confirmed); hide the confirmation."""
        store = chats.delete_active(chats.current(store, saved))
        return *self._shown(store), store, gr.update(visible=False)

    def clear(self, store: Any, saved: Any) -> tuple:
        """Empty the conversation shown."""
        store = chats.clear_active(chats.current(store, saved))
        return *self._shown(store), store, "", ""

    def act(self, store: Any, saved: Any, k: float, mode: str, evt: gr.EventData) -> tuple:
        """Retry, rate or open the source of an answer (an ``action`` from the page script)."""
        data = evt._data if isinstance(evt._data, dict) else {}
        store = chats.current(store, saved)
        turn = chats.find_turn(store, str(data.get("turn") or ""))
        keep = (gr.update(),) * ACT_OUTPUTS
        if turn is None:
            return keep
        kind = data.get("kind")
        if kind == "retry":
            fresh = self._turn(turn["question"], store, k, mode, turn["id"])
            store = chats.replace_turn(store, turn["id"], fresh)
            return *self._shown(store), store, *keep[3:]
        if kind in ("up", "down") and "error" not in turn:
            return self._rate(store, turn, kind, keep)
        if kind == "source":
            return self._open_source(turn, data, keep)
        return keep

    def _rate(self, store: chats.Store, turn: dict, rating: str, keep: tuple) -> tuple:
        self.service.record_feedback(self._feedback(turn, rating, ""))
        html = turn["html"].replace(
            render.render_actions(turn.get("feedback")), render.render_actions(rating)
        )
        store = chats.replace_turn(store, turn["id"], {**turn, "feedback": rating, "html": html})
        target = {"turn": turn["id"], "rating": rating}
        label = "Thanks, saved as good." if rating == "up" else "Saved as bad: what was wrong?"
        note = gr.update(value="", label=f"{label} Add a note (optional), then Save.")
        return (*self._shown(store), store, *keep[3:5], gr.update(visible=True), note, target)

    @staticmethod
    def _feedback(turn: dict, rating: str, note: str) -> Feedback:
        cited = tuple((s["doc_id"], s["start"], s["end"], s["text"]) for s in turn["sources"])
        return Feedback(
            id=turn["id"], rating=rating, question=turn["question"], answer=turn["answer"],
            abstained=bool(turn["abstained"]), citations=cited, note=note,
            k=turn.get("k"), mode=turn.get("mode"),
        )  # fmt: skip

    def save_note(self, note: str, target: Any, store: Any, saved: Any) -> tuple:
        """Store the note of the last rating; hide the note box."""
        turn = chats.find_turn(chats.current(store, saved), (target or {}).get("turn", ""))
        if turn and (note or "").strip():
            self.service.record_feedback(self._feedback(turn, target["rating"], note))
            gr.Info("Thanks: your note was saved with the rating.")
        return gr.update(visible=False), "", None

    def _open_source(self, turn: dict, data: dict, keep: tuple) -> tuple:
        spans_of = turn["sources"] if data.get("which") == "cite" else turn["closest"]
        chosen = next((s for s in spans_of if s["n"] == data.get("n")), None)
        if chosen is None:
            return keep
        same_doc = [s for s in spans_of if s["doc_id"] == chosen["doc_id"]]
        spans = [(s["start"], s["end"]) for s in same_doc]
        try:
            body = render_viewer(
                self.service.source(chosen["doc_id"]), spans, same_doc.index(chosen)
            )
        except SeedqaError as error:
            body = render.render_status(f"Cannot open {chosen['doc_id']}: {error}", False)
        return (*keep[:3], gr.update(visible=True), body, *keep[5:])

    @staticmethod
    def close_viewer() -> tuple:
        """Hide the source viewer."""
        return gr.update(visible=False), ""

    # ------------------------------------------------------------------ documents

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

    @staticmethod
    def ask_remove(doc_id: str | None) -> tuple:
        """Ask for confirmation before removing ``doc_id``: status, confirm row, its text."""
        if not doc_id:
            status = render.render_status("Choose a document to remove.", False)
            return status, gr.update(visible=False), ""
        question = (
            f"Remove <code>{render._e(doc_id)}</code> from the index? Its chunks are dropped "
            "and, if it was uploaded here, its file is deleted. This cannot be undone."
        )
        return gr.update(), gr.update(visible=True), question

    @staticmethod
    def cancel_remove() -> tuple:
        """Hide the confirmation; nothing is removed."""
        return render.render_status("Nothing was removed."), gr.update(visible=False)

    def remove(self, doc_id: str | None, progress=gr.Progress()):  # noqa: B008 (Gradio's idiom)
        """Remove the chosen document from the index (after confirmation)."""
        hidden = gr.update(visible=False)
        if not doc_id:
            status = render.render_status("Choose a document to remove.", False)
            return status, *self.documents_view(), hidden
        try:
            report = self.service.remove(doc_id, on_status=_progress_reporter(progress))
        except SeedqaError as error:
            status = render.render_status(f"Not removed: {error}", False)
            return status, *self.documents_view(), hidden
        status = render.render_status(f"Removed {doc_id}. {report.summary}")
        return status, *self.documents_view(), hidden

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
