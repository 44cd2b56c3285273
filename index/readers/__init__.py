"""One reader per file format, chosen by suffix: the only list of supported suffixes.

``READERS`` maps a lowercase suffix to its ``Reader`` (a document kind and a
function from the file's bytes to an ``Extracted`` record). Discovery, the
loader, the upload check and every message that lists the supported types
read this map. Supporting another format is one module and one entry here.
"""

from __future__ import annotations

from pathlib import Path

from seedqa.index.readers import docx, html, markdown, pdf, text
from seedqa.index.readers.base import Extracted, Reader

__all__ = ["READERS", "SUPPORTED_SUFFIXES", "Extracted", "Reader", "reader_for", "suffix_list"]

READERS: dict[str, Reader] = {
    ".txt": text.READER,
    ".md": markdown.READER,
    ".markdown": markdown.READER,
    ".html": html.READER,
    ".htm": html.READER,
    ".pdf": pdf.READER,
    ".docx": docx.READER,
}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(READERS)


def reader_for(path: str | Path) -> Reader | None:
    """Return the reader of ``path``'s suffix (any case), or None when unsupported."""
    return READERS.get(Path(path).suffix.lower())


def suffix_list(last: str = ", ") -> str:
    """The supported suffixes as text, e.g. ``".txt, .md, ... , .docx"``.

    ``last`` joins the final two (``" or "`` reads better in a sentence).
    """
    names = list(READERS)
    return ", ".join(names[:-1]) + last + names[-1]
