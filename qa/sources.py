"""The whole text of an indexed document, for the source viewer.

The index keeps chunks, not whole documents, so the text is read again from
the document's file with the same reader that indexed it. When the file has
changed or gone since it was indexed, the text is put back together from the
indexed chunks instead (at the same offsets), so cited spans still point at
the words they cited; ``exact`` is then False and the viewer says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seedqa.index.errors import SeedqaError
from seedqa.index.load import load_file
from seedqa.index.manifest import DocumentEntry
from seedqa.index.records import Chunk


@dataclass(frozen=True)
class SourceText:
    """An indexed document's text as it was indexed: the offsets citations carry index it."""

    doc_id: str
    title: str
    kind: str
    text: str
    page_starts: tuple[int, ...]
    exact: bool


def _from_chunks(entry: DocumentEntry, chunks: Sequence[Chunk]) -> str:
    """Rebuild the document text from its chunks; gaps between chunks become line breaks."""
    buffer = ["\n"] * entry.n_chars
    for chunk in chunks:
        buffer[chunk.start : chunk.end] = list(chunk.text)
    return "".join(buffer[: max(entry.n_chars, max((c.end for c in chunks), default=0))])


def read_source(entry: DocumentEntry, chunks: Sequence[Chunk]) -> SourceText:
    """Return the text of ``entry``: read from its file, or from ``chunks`` when it changed."""
    path = Path(entry.source)
    try:
        document = load_file(path, path.parent)
    except (SeedqaError, OSError):
        document = None
    if document is not None and document.content_hash == entry.content_hash:
        return SourceText(
            entry.doc_id, entry.title, entry.kind, document.text, document.page_starts, True
        )
    own = [c for c in chunks if c.doc_id == entry.doc_id]
    return SourceText(
        entry.doc_id, entry.title, entry.kind, _from_chunks(entry, own), entry.page_starts, False
    )
