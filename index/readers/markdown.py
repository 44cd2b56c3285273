"""Markdown (``.md``, ``.markdown``): the decoded file, unchanged; the title from its headings."""

from __future__ import annotations

import re
from pathlib import Path

from seedqa.index.readers.base import (
    Extracted,
    Reader,
    clean_title,
    decode_text,
    require_text,
)

_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`+)")


def _md_inline(text: str) -> str:
    """Strip the common inline Markdown markup (links, emphasis, code) from a title."""
    return clean_title(_MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", text)))


def markdown_title(text: str) -> str:
    """Title of a Markdown document.

    Front-matter ``title:``, else the first ATX (``# Title``) or setext
    heading outside code fences, else the first non-blank line.
    """
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, min(len(lines), 200)):
            stripped = lines[i].strip()
            if stripped in ("---", "..."):
                start = i + 1
                for line in lines[1:i]:
                    key, _, value = line.partition(":")
                    if key.strip().lower() == "title" and value.strip().strip("'\""):
                        return clean_title(value.strip().strip("'\""))
                break
    fence = ""
    previous = ""
    for line in lines[start:]:
        fenced = _FENCE.match(line)
        if fence:
            if fenced and fenced.group(1)[0] == fence[0] and len(fenced.group(1)) >= len(fence):
                fence = ""
            previous = ""
            continue
        if fenced:
            fence = fenced.group(1)
            previous = ""
            continue
        atx = _ATX.match(line)
        if atx:
            if atx.group(1) and atx.group(1).strip():
                return _md_inline(atx.group(1))
            previous = ""
            continue
        if previous.strip() and _SETEXT.match(line) and not previous.startswith(("    ", "\t")):
            return _md_inline(previous)
        previous = line
    for line in lines[start:]:
        if line.strip():
            return _md_inline(line) or clean_title(line)
    return ""



def read_markdown(path: Path, data: bytes) -> Extracted:
    """Decode a Markdown file; its title is the front-matter title or first heading."""
    text = require_text(path, decode_text(path, data), "no text (only whitespace)")
    return Extracted(text, markdown_title(text))


READER = Reader("markdown", read_markdown)
