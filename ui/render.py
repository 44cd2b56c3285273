"""HTML for the web chat: answers with their source cards, declines, the document list.

Pure functions from library objects to HTML strings. Document text goes
through ``ui.markup`` (Markdown rendered without raw HTML, everything else
escaped, then sanitized by nh3); every other piece of user or document text
(questions, titles, file names, error messages) goes through ``html.escape``.
The only markup is the one built here, and the chat's sanitizer runs on top.

An answer bubble carries ``id="seedqa-turn-<id>"`` so that its buttons
(copy, retry, thumbs, open source) can name it; the page script
(``assets/chat.js``) turns clicks on them into events for the server.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from seedqa.ui.markup import render_text
from seedqa.ui.plain import answer_text

#: Characters of passage shown on each side of a cited sentence.
CONTEXT_CHARS = 280
#: Characters of a closest passage shown under a decline.
CLOSEST_CHARS = 360
#: Closest passages shown under a decline.
CLOSEST_PASSAGES = 3

ABSTAIN_HEADLINE = "The documents don't say"
NOT_AN_ANSWER = "Closest passages (not an answer)"
REPHRASE_HINT = (
    "Try rephrasing with the words your documents use, ask about one thing at a time, "
    "or add a document that covers it in the Documents tab."
)


def _e(text: object) -> str:
    """Escape ``text`` for use in element content and quoted attribute values."""
    return escape(str(text), quote=True)


def _ms(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.0f} ms" if value >= 1 else f"{value:.1f} ms"


def _kind(kinds: Mapping[str, str] | None, doc_id: str) -> str:
    return (kinds or {}).get(doc_id, "text")


def render_question(question: str) -> str:
    """Return the user's question as escaped HTML for a chat bubble."""
    return f'<div class="seedqa-question">{_e(question)}</div>'


def _marker(n: int, title: str) -> str:
    return (
        f'<sup class="seedqa-ref seedqa-ref-{n}" role="button" tabindex="0" '
        f'title="Show source {n}: {_e(title)}">[{n}]</sup>'
    )


def render_answer_text(answer: Any, kinds: Mapping[str, str] | None = None) -> str:
    """Return the answer sentences with clickable ``[n]`` markers.

    Each cited sentence is found in ``answer.answer`` as ``"<text> [n]"`` and
    rendered as its document's kind (Markdown as Markdown); whatever lies
    between (or an answer in another shape) is shown escaped as is.
    """
    text: str = answer.answer
    parts: list[str] = []
    cursor = 0
    for citation in answer.citations:
        piece = f"{citation.text} [{citation.n}]"
        found = text.find(piece, cursor)
        if found < 0:
            continue
        sentence = render_text(citation.text, _kind(kinds, citation.doc_id), inline=True)
        parts.append(_e(text[cursor:found]))
        parts.append(
            f'<span class="seedqa-sentence">{sentence}</span>{_marker(citation.n, citation.title)}'
        )
        cursor = found + len(piece)
    parts.append(_e(text[cursor:]))
    return "".join(parts).strip()


def _cut_before(text: str, limit: int) -> int:
    """Where to start a context of at most ``limit`` characters ending at ``len(text)``."""
    if len(text) <= limit:
        return 0
    start = len(text) - limit
    space = text.find(" ", start)
    return space + 1 if 0 <= space < start + 40 else start


def _cut_after(text: str, limit: int) -> int:
    """Where to end a context of at most ``limit`` characters starting at 0."""
    if len(text) <= limit:
        return len(text)
    space = text.rfind(" ", 0, limit)
    return space if space > limit - 40 else limit


def highlight_passage(citation: Any, kind: str = "text", context: int = CONTEXT_CHARS) -> str:
    """Return the passage around the cited sentence as safe HTML, the sentence in ``<mark>``.

    The sentence sits at ``passage[start - passage_start : end - passage_start]``;
    when the passage does not hold it there, only the sentence is shown.
    """
    passage: str = citation.passage or ""
    start = citation.start - citation.passage_start
    end = citation.end - citation.passage_start
    if not (0 <= start <= end <= len(passage)) or passage[start:end] != citation.text:
        return render_text(citation.text, kind, [(0, len(citation.text))], inline=True)
    left = _cut_before(passage[:start], context)
    right = end + _cut_after(passage[end:], context)
    snippet = passage[left:right]
    html = render_text(snippet, kind, [(start - left, end - left)], inline=True)
    return ("…" if left > 0 else "") + html + ("…" if right < len(passage) else "")


def location(item: Any) -> str:
    """Return where a citation or passage is: the page for PDFs, and the character span."""
    span = f"characters {item.start}–{item.end}"
    return f"page {item.page} · {span}" if item.page else span


def _open_button(css: str, label: str = "Open source") -> str:
    return f'<button type="button" class="seedqa-open-source {css}">{_e(label)}</button>'


def render_source(citation: Any, kind: str = "text", open_: bool = False) -> str:
    """Return one collapsible source card: title, file and location; passage; open source."""
    n = citation.n
    return (
        f'<details class="seedqa-source seedqa-card-{n}"{" open" if open_ else ""}>'
        f'<summary class="seedqa-source-head"><span class="seedqa-n">{n}</span>'
        f'<span class="seedqa-title">{_e(citation.title)}</span>'
        f'<span class="seedqa-source-meta"><span class="seedqa-file">{_e(citation.doc_id)}</span>'
        f' · <span class="seedqa-loc">{_e(location(citation))}</span></span></summary>'
        f'<blockquote class="seedqa-passage">{highlight_passage(citation, kind)}</blockquote>'
        f"{_open_button(f'seedqa-src-{n}')}</details>"
    )


def render_closest(hit: Any, index: int, kind: str = "text") -> str:
    """Return one closest passage under a decline, marked as not an answer."""
    end = _cut_after(hit.text, CLOSEST_CHARS)
    snippet = render_text(hit.text[:end], kind, inline=True) + ("…" if end < len(hit.text) else "")
    return (
        f'<div class="seedqa-closest-item seedqa-hit-{index}">'
        f'<div class="seedqa-source-head"><span class="seedqa-n seedqa-n-muted">{index + 1}</span>'
        f'<span class="seedqa-title">{_e(hit.title)}</span>'
        f'<span class="seedqa-source-meta"><span class="seedqa-file">{_e(hit.doc_id)}</span>'
        f' · <span class="seedqa-loc">{_e(location(hit))}</span></span></div>'
        f'<blockquote class="seedqa-passage seedqa-passage-muted">{snippet}</blockquote>'
        f"{_open_button(f'seedqa-hitsrc-{index}')}</div>"
    )


def render_meta(answer: Any, k: int | None = None, mode: str | None = None) -> str:
    """Return the latency line: total time, its split, and the settings used."""
    timings: Mapping[str, float] = answer.timings_ms or {}
    bits = [f'<span class="seedqa-latency">answered in {_ms(timings.get("total"))}</span>']
    if "retrieve" in timings and "answer" in timings:
        bits.append(f"retrieve {_ms(timings['retrieve'])} + answer {_ms(timings['answer'])}")
    if mode:
        bits.append(_e(mode))
    if k:
        bits.append(f"k = {int(k)}")
    return f'<div class="seedqa-meta">{" · ".join(bits)}</div>'


def render_actions(feedback: str | None = None) -> str:
    """Return the answer's buttons: copy, retry, thumbs up and down (the chosen one pressed)."""

    def button(css: str, label: str, title: str, pressed: bool = False) -> str:
        on = " seedqa-act-on" if pressed else ""
        return (
            f'<button type="button" class="seedqa-act seedqa-act-{css}{on}" '
            f'title="{_e(title)}">{label}</button>'
        )

    return (
        '<div class="seedqa-actions">'
        + button("copy", "Copy", "Copy the answer and its sources")
        + button("retry", "Retry", "Ask this question again with the current settings")
        + button("up", "▲ Good", "A good answer (saved to the feedback file)", feedback == "up")
        + button("down", "▼ Bad", "A bad answer (saved to the feedback file)", feedback == "down")
        + "</div>"
    )


def _decline_body(answer: Any, kinds: Mapping[str, str] | None) -> str:
    reason = getattr(answer, "reason", "") or ""
    closest = "".join(
        render_closest(hit, i, _kind(kinds, hit.doc_id))
        for i, hit in enumerate(answer.hits[:CLOSEST_PASSAGES])
    )
    return (
        f'<div class="seedqa-abstain-head"><span class="seedqa-abstain-icon">∅</span>'
        f"{_e(ABSTAIN_HEADLINE)}</div>"
        + (f'<div class="seedqa-abstain-reason">{_e(reason.capitalize())}.</div>' if reason else "")
        + (
            f'<div class="seedqa-closest"><div class="seedqa-sources-title">{NOT_AN_ANSWER}</div>'
            f"{closest}</div>"
            if closest
            else ""
        )
        + f'<div class="seedqa-abstain-hint">{_e(REPHRASE_HINT)}</div>'
    )


def _answer_body(answer: Any, kinds: Mapping[str, str] | None) -> str:
    cards = "".join(render_source(c, _kind(kinds, c.doc_id)) for c in answer.citations)
    count = len(answer.citations)
    heading = f"Source{'s' if count != 1 else ''} ({count})"
    sources = (
        f'<div class="seedqa-sources"><div class="seedqa-sources-title">{heading}</div>'
        f"{cards}</div>"
        if cards
        else ""
    )
    return f'<div class="seedqa-text">{render_answer_text(answer, kinds)}</div>{sources}'


def render_answer(
    answer: Any,
    k: int | None = None,
    mode: str | None = None,
    *,
    turn: str = "",
    kinds: Mapping[str, str] | None = None,
    feedback: str | None = None,
) -> str:
    """Return an ``Answer`` as a chat bubble: text with ``[n]`` markers and its source cards.

    A decline (``answer.abstained``) says "The documents don't say" and shows
    the closest passages from ``answer.hits``, marked as not an answer, with a
    suggestion to rephrase. ``turn`` is the bubble's id for its buttons,
    ``kinds`` maps document ids to their kind (``markdown`` is rendered),
    ``feedback`` is the thumb already given.
    """
    body = _decline_body(answer, kinds) if answer.abstained else _answer_body(answer, kinds)
    css = "seedqa-answer seedqa-abstain" if answer.abstained else "seedqa-answer"
    ident = f' id="seedqa-turn-{_e(turn)}"' if turn else ""
    return (
        f'<div class="{css}"{ident}>{body}{render_meta(answer, k=k, mode=mode)}'
        f"{render_actions(feedback)}"
        f'<pre class="seedqa-copytext">{_e(answer_text(answer))}</pre></div>'
    )


def render_error(message: str) -> str:
    """Return an error (a ``SeedqaError`` message) as an escaped chat bubble."""
    return (
        f'<div class="seedqa-answer seedqa-error"><strong>Could not answer:</strong> '
        f"{_e(message)}</div>"
    )


def render_status(message: str, ok: bool = True) -> str:
    """Return a one-line status for the Documents tab (escaped)."""
    kind = "seedqa-status-ok" if ok else "seedqa-status-error"
    return f'<div class="seedqa-status {kind}">{_e(message)}</div>'


def render_upload_hint(suffixes: Iterable[str], limit: str) -> str:
    """Return the Documents tab's hint: which file types, how large, what happens."""
    kinds = ", ".join(suffixes)
    return (
        f'<div class="seedqa-hint">Add {_e(kinds)} files (at most {_e(limit)} each). They are '
        "indexed at once; nothing already indexed is embedded again.</div>"
    )


def render_documents(entries: Iterable[Any]) -> str:
    """Return the indexed documents as a table: title, file, type, chunks."""
    rows = [
        f"<tr><td>{_e(entry.title)}</td><td><code>{_e(entry.doc_id)}</code></td>"
        f"<td>{_e(entry.kind)}</td><td class='seedqa-num'>{int(entry.n_chunks)}</td></tr>"
        for entry in sorted(entries, key=lambda e: e.doc_id)
    ]
    if not rows:
        return '<div class="seedqa-docs-empty">No documents are indexed.</div>'
    count = len(rows)
    return (
        f'<div class="seedqa-docs-count">{count} document{"s" if count != 1 else ""} indexed'
        f"</div>"
        '<table class="seedqa-docs"><thead><tr><th>Title</th><th>File</th><th>Type</th>'
        "<th>Chunks</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


HEADER = (
    '<div class="seedqa-header"><div class="seedqa-logo">seedqa</div>'
    '<div class="seedqa-tagline">Ask questions about your documents. Every answer quotes '
    "its sentences and cites where they come from; nothing leaves this machine.</div></div>"
)
