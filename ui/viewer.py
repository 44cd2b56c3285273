"""The source viewer: a whole document as safe HTML with every cited span highlighted.

Markdown is rendered as Markdown, HTML documents show the clean text their
reader extracted, PDFs show their text page by page under "Page N" headings,
and plain text keeps its line breaks. The span to scroll to carries the
``seedqa-hl-focus`` class (the page script scrolls it into view).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from seedqa.qa.wording import plural
from seedqa.ui.markup import render_text

#: Longest text shown at once; a longer document shows a window around the focused span.
MAX_VIEW_CHARS = 300_000
_KIND_NAMES = {"markdown": "Markdown", "html": "HTML (text)", "pdf": "PDF", "text": "text"}


def _window(length: int, spans: Sequence[tuple[int, int]], focus: int) -> tuple[int, int]:
    """The part of a long document to show: all of it, or a window around the focus."""
    if length <= MAX_VIEW_CHARS:
        return 0, length
    centre = spans[focus][0] if 0 <= focus < len(spans) else 0
    start = max(0, min(centre - MAX_VIEW_CHARS // 2, length - MAX_VIEW_CHARS))
    return start, start + MAX_VIEW_CHARS


def _pages(source: Any, start: int, end: int) -> list[tuple[int | None, int, int]]:
    """``(page number, start, end)`` pieces of ``[start, end)``; one piece when not paged."""
    starts = list(source.page_starts)
    if not starts:
        return [(None, start, end)]
    bounds = [*starts, len(source.text)]
    pieces = []
    for number, (first, last) in enumerate(zip(bounds, bounds[1:], strict=False), start=1):
        lo, hi = max(first, start), min(last, end)
        if lo < hi:
            pieces.append((number, lo, hi))
    return pieces


def _body(source: Any, spans: Sequence[tuple[int, int]], focus: int) -> str:
    start, end = _window(len(source.text), spans, focus)
    css = "seedqa-doc-md" if source.kind == "markdown" else "seedqa-doc-plain"
    parts = []
    for page, lo, hi in _pages(source, start, end):
        local = [(s - lo, e - lo) for s, e in spans]
        html = render_text(source.text[lo:hi], source.kind, local, focus=[focus])
        heading = f'<div class="seedqa-page">Page {page}</div>' if page else ""
        parts.append(f'{heading}<div class="{css}">{html}</div>')
    cut = ""
    if (start, end) != (0, len(source.text)):
        cut = (
            f'<div class="seedqa-viewer-note">Showing characters {start:,}–{end:,} of '
            f"{len(source.text):,} around the cited passage.</div>"
        )
    return cut + "".join(parts)


def render_viewer(source: Any, spans: Sequence[tuple[int, int]], focus: int = 0) -> str:
    """Return the viewer for ``source`` (a ``SourceText``) with ``spans`` highlighted.

    ``focus`` is the index in ``spans`` of the passage to scroll to.
    """
    kind = _KIND_NAMES.get(source.kind, source.kind)
    count = len({tuple(span) for span in spans})
    meta = f"{escape(source.doc_id)} · {escape(kind)} · {plural(count, 'highlighted passage')}"
    note = (
        ""
        if source.exact
        else '<div class="seedqa-viewer-note">The file changed or is gone since it was '
        "indexed: this is the indexed text. Re-index it to see the new version.</div>"
    )
    return (
        f'<div class="seedqa-viewer-head"><div class="seedqa-viewer-title">'
        f'{escape(source.title)}</div><div class="seedqa-viewer-meta">{meta}</div></div>'
        f'{note}<div class="seedqa-viewer-doc">{_body(source, spans, focus)}</div>'
    )
