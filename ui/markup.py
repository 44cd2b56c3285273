"""Document text as safe HTML, with character spans highlighted.

Markdown documents are rendered as Markdown (markdown-it-py with raw HTML
turned off, so ``<script>`` in a document is shown as text, and links other
than http(s)/mailto dropped); every other kind is escaped text. The result
then goes through nh3 (the Ammonia sanitizer) with a short allowlist, so no
document can put live markup on the page whatever the renderer lets through.

Highlights are placed by character offsets into the *raw* text (the offsets
citations carry): a private-use sentinel character is inserted at each span
boundary before rendering, and after rendering each run of text between two
sentinels is wrapped in ``<mark>``, never across a tag, so the HTML stays
well formed even when a cited sentence spans ``**bold**`` words.

Example:
    >>> render_text("A starter called **Gerald**.", "markdown", [(0, 28)], inline=True)
    '<mark class="seedqa-hl seedqa-hl-n0">A starter called </mark><strong><mark ...'

"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import nh3
from markdown_it import MarkdownIt

#: Marks the end of a highlighted segment; ``chr(_OPEN + i)`` opens segment ``i``.
_CLOSE = "\ue000"
_OPEN = 0xE100
_MAX_SEGMENTS = 0x700
_SENTINELS = re.compile("[\ue000-\ue7ff]")
_TAG = re.compile(r"(<[^>]*>)")
#: Block markers at the start of a line (headings, quotes, list items).
_BLOCK_PREFIX = re.compile(
    r"^[ \t]{0,3}(?:#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+|\d{1,9}[.)][ \t]+)+", re.MULTILINE
)
_HEADING_TAIL = re.compile(r"[ \t]+#+[ \t]*$", re.MULTILINE)

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
    "mark", "span", "div",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "mark": {"class"},
    "span": {"class"},
    "div": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])

    def image_as_text(renderer, tokens, idx, options, env) -> str:  # no remote loads
        alt = "".join(child.content for child in tokens[idx].children or [])
        return escape(f"[image: {alt}]" if alt else "[image]")

    md.add_render_rule("image", image_as_text)
    return md


_MD = _markdown()


@dataclass(frozen=True)
class Segment:
    """A highlighted run of text: ``[start, end)`` and the span numbers it belongs to."""

    start: int
    end: int
    labels: tuple[int, ...]


def segments(spans: Sequence[tuple[int, int]], length: int) -> list[Segment]:
    """Merge ``spans`` (clipped to ``[0, length)``) into ordered, non-overlapping segments.

    Each segment carries the indexes of the spans that cover it, so a
    segment shared by two citations scrolls into view for either.
    """
    cuts = sorted({0, length, *(min(max(p, 0), length) for s, e in spans if e > s for p in (s, e))})
    result: list[Segment] = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        labels = tuple(i for i, (s, e) in enumerate(spans) if s <= start and end <= e and e > s)
        if not labels:
            continue
        if result and result[-1].end == start and result[-1].labels == labels:
            result[-1] = Segment(result[-1].start, end, labels)
        else:
            result.append(Segment(start, end, labels))
    return result[:_MAX_SEGMENTS]


def _open_at(text: str, position: int) -> int:
    """Move an opening sentinel past whitespace and block markers (``## ``, ``- ``)."""
    while position < len(text) and text[position] in " \t\n":
        position += 1
    prefix = _BLOCK_PREFIX.match(text, text.rfind("\n", 0, position) + 1)
    return prefix.end() if prefix and position < prefix.end() else position


def _close_at(text: str, position: int, floor: int) -> int:
    """Move a closing sentinel back over trailing whitespace (never before ``floor``)."""
    while position > floor and text[position - 1] in " \t\n":
        position -= 1
    return position


def _with_sentinels(text: str, parts: Sequence[Segment]) -> str:
    """Insert an opening and a closing sentinel around every segment."""
    inserts: list[tuple[int, int, str]] = []
    for index, part in enumerate(parts):
        start = _open_at(text, part.start)
        end = _close_at(text, part.end, start)
        if end <= start:
            continue
        inserts.append((start, 1, chr(_OPEN + index)))
        inserts.append((end, 0, _CLOSE))
    pieces, cursor = [], 0
    for position, _, mark in sorted(inserts):
        pieces.append(text[cursor:position])
        pieces.append(mark)
        cursor = position
    pieces.append(text[cursor:])
    return "".join(pieces)


def _mark_open(part: Segment, focus: set[int]) -> str:
    classes = "seedqa-hl" + (" seedqa-hl-focus" if focus.intersection(part.labels) else "")
    labels = " ".join(f"seedqa-hl-n{label}" for label in part.labels)
    return f'<mark class="{classes} {labels}">'


def _marks_from_sentinels(html: str, parts: Sequence[Segment], focus: set[int]) -> str:
    """Wrap every text run between sentinels in ``<mark>``, closing it before each tag."""
    out: list[str] = []
    active: int | None = None
    for token in _TAG.split(html):
        if token.startswith("<"):
            out.append(_SENTINELS.sub("", token))
            continue
        for piece in re.split("([\ue000-\ue7ff])", token):
            if not piece:
                continue
            if _SENTINELS.fullmatch(piece):
                active = None if piece == _CLOSE else ord(piece) - _OPEN
                continue
            if active is None or active >= len(parts):
                out.append(piece)
                continue
            out.append(f"{_mark_open(parts[active], focus)}{piece}</mark>")
    return "".join(out)


def strip_block_markers(text: str) -> str:
    """Drop heading, quote and list markers at line starts (for inline rendering)."""
    lines = [_BLOCK_PREFIX.sub("", line) for line in _HEADING_TAIL.sub("", text).split("\n")]
    return re.sub(r"\n[ \t]*\n+", "\n", "\n".join(lines))


def clean(html: str) -> str:
    """Sanitize rendered HTML with the allowlist (links keep only http, https and mailto)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def render_text(
    text: str,
    kind: str,
    spans: Sequence[tuple[int, int]] = (),
    *,
    inline: bool = False,
    focus: Sequence[int] = (),
) -> str:
    """Return ``text`` of a document of ``kind`` as safe HTML with ``spans`` highlighted.

    ``inline`` renders a snippet inside a line (an answer sentence, a card
    passage): Markdown block markers are dropped and no paragraphs are
    made. ``focus`` lists indexes into ``spans`` whose marks get the
    ``seedqa-hl-focus`` class; every mark has the class ``seedqa-hl`` and
    ``seedqa-hl-n<i>`` for each span ``i`` it belongs to.
    """
    text = _SENTINELS.sub("", text)
    parts = segments(spans, len(text))
    marked = _with_sentinels(text, parts)
    if kind == "markdown":
        if inline:
            rendered = _MD.renderInline(strip_block_markers(marked))
        else:
            rendered = _MD.render(marked)
    else:
        rendered = escape(marked, quote=False)
    return clean(_marks_from_sentinels(rendered, parts, set(focus)))
