"""HTML for the web chat: answers, sources, the document list and status lines.

Pure functions from library objects to HTML strings. Every piece of text that
comes from a user or a document (questions, answers, titles, file names,
passages, error messages) goes through ``html.escape`` before it is placed in
markup, so a document holding ``<script>`` or ``<img onerror=...>`` shows as
text and never runs. The only markup is the one built here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

#: Characters of passage shown on each side of a cited sentence.
CONTEXT_CHARS = 280

ABSTAIN_HEADLINE = "No answer in your documents"


def _e(text: object) -> str:
    """Escape ``text`` for use in element content and quoted attribute values."""
    return escape(str(text), quote=True)


def _ms(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.0f} ms" if value >= 1 else f"{value:.1f} ms"


def render_question(question: str) -> str:
    """Return the user's question as escaped HTML for a chat bubble."""
    return f'<div class="seedqa-question">{_e(question)}</div>'


def _marker(n: int, title: str) -> str:
    return f'<sup class="seedqa-ref" title="Source {n}: {_e(title)}">[{n}]</sup>'


def render_answer_text(answer: Any) -> str:
    """Return the answer sentences with their ``[n]`` markers as styled badges.

    Each cited sentence is found in ``answer.answer`` as ``"<text> [n]"``;
    whatever lies between (or an answer in another shape) is shown escaped as is.
    """
    text: str = answer.answer
    parts: list[str] = []
    cursor = 0
    for citation in answer.citations:
        piece = f"{citation.text} [{citation.n}]"
        found = text.find(piece, cursor)
        if found < 0:
            continue
        parts.append(_e(text[cursor:found]))
        parts.append(
            f'<span class="seedqa-sentence">{_e(citation.text)}</span>'
            f"{_marker(citation.n, citation.title)}"
        )
        cursor = found + len(piece)
    parts.append(_e(text[cursor:]))
    return "".join(parts).strip()


def _trim_before(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[-limit:]
    space = cut.find(" ")
    return "…" + (cut[space + 1 :] if 0 <= space < 40 else cut)


def _trim_after(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit - 40 else cut) + "…"


def highlight_passage(citation: Any, context: int = CONTEXT_CHARS) -> str:
    """Return the escaped passage around the cited sentence with the sentence in ``<mark>``.

    The sentence sits at ``passage[start - passage_start : end - passage_start]``;
    when the passage does not hold it there, only the sentence is shown.
    """
    passage: str = citation.passage or ""
    start = citation.start - citation.passage_start
    end = citation.end - citation.passage_start
    if not (0 <= start <= end <= len(passage)) or passage[start:end] != citation.text:
        return f'<mark class="seedqa-mark">{_e(citation.text)}</mark>'
    before = _trim_before(passage[:start], context)
    after = _trim_after(passage[end:], context)
    return f'{_e(before)}<mark class="seedqa-mark">{_e(passage[start:end])}</mark>{_e(after)}'


def location(citation: Any) -> str:
    """Return where a citation is: the page for PDFs, else the character span."""
    span = f"characters {citation.start}–{citation.end}"
    return f"page {citation.page} · {span}" if citation.page else span


def render_source(citation: Any) -> str:
    """Return one numbered source: title, file, location and the highlighted passage."""
    return (
        f'<div class="seedqa-source">'
        f'<div class="seedqa-source-head"><span class="seedqa-n">{citation.n}</span>'
        f'<span class="seedqa-title">{_e(citation.title)}</span></div>'
        f'<div class="seedqa-source-meta"><span class="seedqa-file">{_e(citation.doc_id)}</span>'
        f' · <span class="seedqa-loc">{_e(location(citation))}</span></div>'
        f'<blockquote class="seedqa-passage">{highlight_passage(citation)}</blockquote>'
        f"</div>"
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


def render_answer(answer: Any, k: int | None = None, mode: str | None = None) -> str:
    """Return an ``Answer`` as HTML: text with ``[n]`` markers, its sources, its latency.

    An abstention gets the ``seedqa-abstain`` class, its own headline and the
    reason instead of sources.
    """
    meta = render_meta(answer, k=k, mode=mode)
    if answer.abstained:
        return (
            f'<div class="seedqa-answer seedqa-abstain">'
            f'<div class="seedqa-abstain-head"><span class="seedqa-abstain-icon">∅</span>'
            f"{_e(ABSTAIN_HEADLINE)}</div>"
            f'<div class="seedqa-abstain-reason">{_e(answer.answer)}</div>'
            f'<div class="seedqa-abstain-hint">Rephrase the question, or add a document that '
            f"covers it in the Documents tab.</div>"
            f"{meta}</div>"
        )
    sources = "".join(render_source(c) for c in answer.citations)
    count = len(answer.citations)
    heading = f"Source{'s' if count != 1 else ''} ({count})"
    sources_html = (
        f'<div class="seedqa-sources"><div class="seedqa-sources-title">{heading}</div>'
        f"{sources}</div>"
        if sources
        else ""
    )
    return (
        f'<div class="seedqa-answer">'
        f'<div class="seedqa-text">{render_answer_text(answer)}</div>'
        f"{sources_html}{meta}</div>"
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

CSS = """
.seedqa-header { display:flex; align-items:baseline; gap:16px; padding:4px 2px 2px;
  flex-wrap:wrap; }
.seedqa-logo { font-size:1.6rem; font-weight:600; letter-spacing:-0.02em;
  color: var(--color-accent); }
.seedqa-tagline { color: var(--body-text-color-subdued); font-size:0.95rem; }
.seedqa-question { white-space: pre-wrap; }
.seedqa-answer { line-height:1.55; }
.seedqa-text { font-size:1rem; }
.seedqa-ref { font-size:0.72em; font-weight:600; color: var(--color-accent);
  margin-left:2px; cursor:default; }
.seedqa-sources { margin-top:12px; border-top:1px solid var(--border-color-primary);
  padding-top:8px; }
.seedqa-sources-title { font-size:0.78rem; font-weight:600; text-transform:uppercase;
  letter-spacing:0.05em; color: var(--body-text-color-subdued); margin-bottom:6px; }
.seedqa-source { margin:8px 0 12px; }
.seedqa-source-head { display:flex; align-items:center; gap:8px; font-weight:600; }
.seedqa-n { display:inline-flex; align-items:center; justify-content:center; min-width:1.5em;
  height:1.5em; border-radius:999px; font-size:0.75rem; background: var(--color-accent);
  color:#fff; padding:0 4px; }
.seedqa-source-meta { font-size:0.8rem; color: var(--body-text-color-subdued); margin:2px 0 4px;
  word-break: break-all; }
.seedqa-file { font-family: var(--font-mono); }
blockquote.seedqa-passage { margin:4px 0 0; padding:8px 12px; font-size:0.88rem;
  border-left:3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius:0 6px 6px 0; white-space: pre-wrap; color: var(--body-text-color); }
mark.seedqa-mark { background:#fde68a; color:#1f2937; padding:0 2px; border-radius:3px; }
.seedqa-meta { margin-top:8px; font-size:0.78rem; color: var(--body-text-color-subdued); }
.seedqa-latency { font-weight:600; }
.seedqa-abstain { border:1px dashed #d97706; background: rgba(217,119,6,0.08);
  border-radius:8px; padding:10px 12px; }
.seedqa-abstain-head { font-weight:600; color:#b45309; display:flex; gap:8px;
  align-items:center; }
.seedqa-abstain-icon { font-size:1.1rem; }
.seedqa-abstain-reason { margin-top:4px; }
.seedqa-abstain-hint { margin-top:4px; font-size:0.85rem; color: var(--body-text-color-subdued); }
.seedqa-error { border:1px solid #dc2626; background: rgba(220,38,38,0.08); border-radius:8px;
  padding:10px 12px; }
.seedqa-status { padding:8px 12px; border-radius:8px; font-size:0.9rem; white-space: pre-wrap; }
.seedqa-status-ok { background: rgba(22,163,74,0.10); border:1px solid rgba(22,163,74,0.4); }
.seedqa-status-error { background: rgba(220,38,38,0.08); border:1px solid rgba(220,38,38,0.5); }
.seedqa-docs-count { font-size:0.85rem; color: var(--body-text-color-subdued); margin:4px 0; }
table.seedqa-docs { width:100%; border-collapse:collapse; font-size:0.9rem; border:none; }
table.seedqa-docs th { text-align:left; font-size:0.75rem; text-transform:uppercase;
  letter-spacing:0.04em; color: var(--body-text-color-subdued);
  border-bottom:1px solid var(--border-color-primary); padding:6px 8px; }
table.seedqa-docs tr { border:none; }
table.seedqa-docs th, table.seedqa-docs td { border-left:none; border-right:none;
  border-top:none; background:none; }
table.seedqa-docs td { border-bottom:1px solid var(--border-color-primary); padding:6px 8px;
  vertical-align:top; word-break: break-word; }
table.seedqa-docs code { font-size:0.85em; background:none; padding:0; }
table.seedqa-docs td.seedqa-num { text-align:right; }
.seedqa-docs-empty { color: var(--body-text-color-subdued); }
.seedqa-hint { font-size:0.85rem; color: var(--body-text-color-subdued); }
.seedqa-section { font-weight:600; margin-top:8px; }
"""
