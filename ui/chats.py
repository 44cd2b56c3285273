"""Conversations as the browser keeps them: plain JSON in ``gr.BrowserState``.

The whole store is one dict, ``{"active": id, "chats": [chat, ...]}``,
newest chat first. A chat is ``{"id", "title", "updated", "turns"}`` and a
turn ``{"id", "question", "html", "answer", "abstained", "k", "mode",
"sources", "closest", "feedback"}``: ``html`` is the rendered bubble (shown
again after a reload), ``answer`` the text follow-ups use as history,
``sources`` and ``closest`` the ``{"n", "doc_id", "start", "end", "text"}``
spans that "open source" and feedback need. A turn that failed has an
``error`` instead and is left out of the history.

These are pure functions: each returns a new store and never mutates its input.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from typing import Any

#: Chats kept; the oldest beyond this are dropped (browser storage is small).
MAX_CHATS = 30
#: Turns kept per chat.
MAX_TURNS = 60
#: Largest store kept (characters of JSON): browsers give a site about 5 million.
MAX_STORE_CHARS = 2_000_000
#: Characters of the first question used as a chat's title.
TITLE_CHARS = 60

Store = dict[str, Any]


def new_id() -> str:
    """A short random id for a chat or a turn."""
    return uuid.uuid4().hex[:12]


def empty_store() -> Store:
    """A store with no chats."""
    return {"active": None, "chats": []}


def normalise(store: Any) -> Store:
    """Return a valid store from whatever the browser sent (None or damaged: empty)."""
    if not isinstance(store, dict) or not isinstance(store.get("chats"), list):
        return empty_store()
    chats = [
        c
        for c in store["chats"]
        if isinstance(c, dict) and isinstance(c.get("id"), str) and isinstance(c.get("turns"), list)
    ]
    active = store.get("active")
    if active not in {c["id"] for c in chats}:
        active = chats[0]["id"] if chats else None
    return {"active": active, "chats": chats[:MAX_CHATS]}


def current(session: Any, saved: Any) -> Store:
    """The session's store, or the browser's saved one while the session has none yet.

    A click can arrive before the page's load event has restored the saved
    chats into the session; starting from nothing then would forget them.
    """
    return normalise(session if session is not None else saved)


def active_chat(store: Store) -> dict[str, Any] | None:
    """The chat shown now, or None."""
    return next((c for c in store["chats"] if c["id"] == store["active"]), None)


def turns(store: Store) -> list[dict[str, Any]]:
    """The turns of the active chat."""
    chat = active_chat(store)
    return list(chat["turns"]) if chat else []


def history(store: Store, before: str | None = None) -> list[dict[str, str]]:
    """``(question, answer)`` pairs of the active chat for follow-ups, up to turn ``before``."""
    pairs = []
    for turn in turns(store):
        if turn["id"] == before:
            break
        if "error" not in turn:
            pairs.append({"question": turn["question"], "answer": turn.get("answer", "")})
    return pairs


def messages(store: Store, question_html: Any) -> list[dict[str, str]]:
    """The chatbot messages of the active chat (``question_html`` renders a question)."""
    shown: list[dict[str, str]] = []
    for turn in turns(store):
        shown.append({"role": "user", "content": question_html(turn["question"])})
        shown.append({"role": "assistant", "content": turn["html"]})
    return shown


def choices(store: Store) -> list[tuple[str, str]]:
    """``(title, id)`` of every chat, newest first, for the list of past chats."""
    return [(c.get("title") or "New chat", c["id"]) for c in store["chats"]]


def start_chat(store: Store) -> Store:
    """Make a new empty chat active (the active one is reused when it is still empty)."""
    store = copy.deepcopy(store)
    chat = active_chat(store)
    if chat is not None and not chat["turns"]:
        return store
    fresh = {"id": new_id(), "title": "", "updated": time.time(), "turns": []}
    store["chats"] = [fresh, *store["chats"]][:MAX_CHATS]
    store["active"] = fresh["id"]
    return store


def select(store: Store, chat_id: str | None) -> Store:
    """Make ``chat_id`` the active chat (an unknown id changes nothing)."""
    if chat_id not in {c["id"] for c in store["chats"]}:
        return store
    return {**store, "active": chat_id}


def delete_active(store: Store) -> Store:
    """Remove the active chat; the newest remaining one becomes active."""
    chats = [c for c in store["chats"] if c["id"] != store["active"]]
    return {"active": chats[0]["id"] if chats else None, "chats": chats}


def clear_active(store: Store) -> Store:
    """Empty the active chat."""
    return _edit(store, lambda chat: {**chat, "title": "", "turns": []})


def add_turn(store: Store, turn: dict[str, Any]) -> Store:
    """Append ``turn`` to the active chat (starting one if needed) and move it to the top."""
    store = store if active_chat(store) else start_chat(store)

    def append(chat: dict[str, Any]) -> dict[str, Any]:
        title = chat.get("title") or turn["question"][:TITLE_CHARS]
        return {**chat, "title": title, "turns": [*chat["turns"], turn][-MAX_TURNS:]}

    return _edit(store, append)


def replace_turn(store: Store, turn_id: str, turn: dict[str, Any]) -> Store:
    """Put ``turn`` in place of turn ``turn_id`` of the active chat."""
    return _edit(
        store,
        lambda chat: {**chat, "turns": [turn if t["id"] == turn_id else t for t in chat["turns"]]},
    )


def find_turn(store: Store, turn_id: str) -> dict[str, Any] | None:
    """Turn ``turn_id`` of the active chat, or None."""
    return next((t for t in turns(store) if t["id"] == turn_id), None)


def _edit(store: Store, change: Any) -> Store:
    """Apply ``change`` to the active chat, stamp it and move it to the top."""
    chat = active_chat(store)
    if chat is None:
        return store
    edited = {**change(chat), "updated": time.time()}
    others = [c for c in store["chats"] if c["id"] != chat["id"]]
    return _fit({"active": edited["id"], "chats": [edited, *others]})


def _fit(store: Store) -> Store:
    """Drop the oldest chats until the store fits the browser's storage."""
    chats = list(store["chats"])
    while len(chats) > 1 and len(json.dumps(chats)) > MAX_STORE_CHARS:
        chats.pop()
    return {**store, "chats": chats}
