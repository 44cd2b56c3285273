"""What every reader shares: the ``Extracted`` record, text decoding and titles.

A reader turns one file's bytes into an ``Extracted`` record (text, title,
page starts) or raises ``LoadError`` with a one-line reason that names the
fix. ``index.readers`` maps each file suffix to its reader.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from seedqa.index.errors import LoadError

_TITLE_MAX = 120
_BINARY_SNIFF = 8192


@dataclass(frozen=True)
class Extracted:
    """The text of one file as a reader extracted it.

    ``title`` may be empty (the loader then uses the file name);
    ``page_starts`` holds, for paged formats, the offset where each page
    begins in ``text``.
    """

    text: str
    title: str = ""
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Reader:
    """A file format: its document kind and the function that reads it."""

    kind: str
    read: Callable[[Path, bytes], Extracted]


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def decode_text(path: Path, data: bytes, *, html: bool = False) -> str:
    """Decode a text file: UTF-8 (BOM stripped), or UTF-16/32 when it has a BOM.

    HTML that is not valid UTF-8 is decoded with the charset its ``<meta>``
    tag declares, when it declares one.
    """
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(encoding)
            except UnicodeDecodeError as error:
                offset = error.start + len(bom)
                raise LoadError(
                    str(path),
                    f"not valid {label} text (byte 0x{data[offset]:02x} at offset {offset}); "
                    "save it as UTF-8",
                ) from error
    sample = data[:_BINARY_SNIFF]
    if b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if len(sample) >= 4 and (odd.count(0) > 0.9 * len(odd) or even.count(0) > 0.9 * len(even)):
            raise LoadError(
                str(path), "binary file, not text (UTF-16 without a BOM?); save it as UTF-8"
            )
        raise LoadError(str(path), "binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if html:
            declared = _META_CHARSET.search(data[:4096])
            if declared:
                with contextlib.suppress(LookupError, UnicodeDecodeError):
                    return data.decode(declared.group(1).decode("ascii"))
        raise LoadError(
            str(path),
            f"not valid UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8",
        ) from error



def clean_title(text: str) -> str:
    """Collapse whitespace and shorten to about ``_TITLE_MAX`` characters."""
    title = " ".join(text.split())
    if len(title) <= _TITLE_MAX:
        return title
    cut = title[:_TITLE_MAX]
    space = cut.rfind(" ")
    if space > _TITLE_MAX // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def first_line(text: str) -> str:
    """Return the first non-blank line of ``text``, cleaned as a title."""
    for line in text.splitlines():
        if line.strip():
            return clean_title(line)
    return ""



def require_text(path: Path, text: str, reason: str) -> str:
    """Return ``text``, or raise ``LoadError(reason)`` when it holds only whitespace."""
    if not text.strip():
        raise LoadError(str(path), reason)
    return text
