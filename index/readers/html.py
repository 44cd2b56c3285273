"""HTML (``.html``, ``.htm``): the visible text only, and the page title.

Scripts, styles, hidden elements and markup are dropped and entities
decoded; block elements become blank lines. Offsets index the extracted
text. BeautifulSoup is imported when an HTML file is read.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from seedqa.index.errors import LoadError
from seedqa.index.readers.base import Extracted, Reader, clean_title, decode_text, first_line

_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "audio",
        "video",
        "select",
        "datalist",
    }
)
_PARAGRAPH_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_LINE_TAGS = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


class _TextBuilder:
    """Assemble visible text: collapse inline whitespace, turn blocks into breaks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending_break = 0  # newlines owed before the next text (0, 1 or 2)
        self.pending_space = False
        self.started = False

    def block(self, newlines: int) -> None:
        if self.started:
            self.pending_break = max(self.pending_break, newlines)

    def line_break(self) -> None:
        if self.started:
            self.pending_break = min(2, self.pending_break + 1)

    def _flush(self) -> None:
        if self.pending_break:
            self.parts.append("\n" * self.pending_break)
        elif self.pending_space:
            self.parts.append(" ")
        self.pending_break = 0
        self.pending_space = False

    def text(self, value: str) -> None:
        words = value.split()
        if not words:
            if value and self.started:
                self.pending_space = True
            return
        if value[0].isspace() and self.started:
            self.pending_space = True
        self._flush()
        self.parts.append(" ".join(words))
        self.started = True
        self.pending_space = value[-1].isspace()

    def raw(self, value: str) -> None:
        if not self.started and not value.strip():
            return
        self._flush()
        self.parts.append(value)
        self.started = True

    def result(self) -> str:
        text = "".join(self.parts)
        text = re.sub(r"[ \t\r\f\v]+\n", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip()


def _is_hidden(tag: object) -> bool:
    attrs = getattr(tag, "attrs", None) or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(str(style)))


def _html_text_and_title(source: str) -> tuple[str, str]:
    """Extract the visible text and the title of an HTML document."""
    from bs4 import BeautifulSoup, NavigableString, Tag

    source = source.replace("\r\n", "\n").replace("\r", "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MarkupResemblesLocator, XMLParsedAsHTML, ...
        soup = BeautifulSoup(source, "html.parser")

    builder = _TextBuilder()
    pre_depth = 0
    pre_fresh = False
    stack: list[tuple[object, bool]] = [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, Tag):
            name = (node.name or "").lower()
            if closing:
                if name == "pre":
                    pre_depth -= 1
                if name in _PARAGRAPH_TAGS:
                    builder.block(2)
                elif name in _LINE_TAGS:
                    builder.block(1)
                continue
            if name in _DROP_TAGS or _is_hidden(node):
                continue
            if name == "br":
                builder.line_break()
                continue
            if name in _PARAGRAPH_TAGS:
                builder.block(2)
            elif name in _LINE_TAGS:
                builder.block(1)
            if name == "pre":
                pre_depth += 1
                pre_fresh = True
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) is NavigableString:  # not comments, CDATA, doctypes, PIs
            value = str(node)
            if pre_depth:
                if pre_fresh and value.startswith("\n"):
                    value = value[1:]
                pre_fresh = False
                builder.raw(value)
            else:
                builder.text(value)
    text = builder.result()

    title = ""
    for candidate in soup.find_all("title"):
        if candidate.find_parent(["svg", "math"]) is None:
            title = clean_title(candidate.get_text(" "))
            if title:
                break
    if not title:
        h1 = soup.find("h1")
        if h1 is not None:
            title = clean_title(h1.get_text(" "))
    return text, title or first_line(text)



def read_html(path: Path, data: bytes) -> Extracted:
    """Extract the visible text and title of an HTML file."""
    text, title = _html_text_and_title(decode_text(path, data, html=True))
    if not text:
        raise LoadError(str(path), "no visible text (only markup, scripts or styles)")
    return Extracted(text, title)


READER = Reader("html", read_html)
