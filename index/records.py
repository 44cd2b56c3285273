"""Records that cross module boundaries: documents, sentences and chunks.

Every offset is a character offset into ``Document.text`` so that
``doc.text[chunk.start:chunk.end] == chunk.text`` holds exactly.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from functools import cached_property


def text_hash(text: str) -> str:
    """Return the hex SHA-256 of ``text`` encoded as UTF-8 (a stable content id)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def page_at(page_starts: tuple[int, ...], offset: int) -> int | None:
    """Return the 1-based page whose text holds ``offset``, or None without pages.

    ``page_starts[i]`` is the offset where page ``i + 1`` begins.
    """
    if not page_starts:
        return None
    return max(1, bisect.bisect_right(page_starts, offset))


@dataclass(frozen=True)
class Document:
    """One loaded source document.

    ``doc_id`` is the document's path relative to its corpus root (POSIX
    separators); ``source`` is the absolute path it was read from;
    ``page_starts`` holds, for PDFs, the offset in ``text`` where each page
    begins (page ``i + 1`` starts at ``page_starts[i]``), and is empty for
    other formats.
    """

    doc_id: str
    title: str
    text: str
    source: str
    kind: str
    page_starts: tuple[int, ...] = ()

    @property
    def content_hash(self) -> str:
        """Hash of the document text; unchanged text means an unchanged document."""
        return text_hash(self.text)

    def page_at(self, offset: int) -> int | None:
        """Return the 1-based page holding character ``offset``, or None if not paged."""
        return page_at(self.page_starts, offset)


@dataclass(frozen=True)
class Span:
    """A half-open character span ``[start, end)`` of a document's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A token-bounded passage of a document with its sentence spans.

    ``sentences`` are document offsets of the sentences inside the chunk, in
    order; the chunk text is ``doc.text[start:end]``.
    """

    doc_id: str
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...] = field(default_factory=tuple)
    page: int | None = None

    @cached_property
    def chunk_id(self) -> str:
        """Content-derived id: a hash of doc id, offsets and text (computed once per chunk)."""
        key = f"{self.doc_id}\x00{self.start}\x00{self.end}\x00{self.text}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def sentence_texts(self) -> list[str]:
        """Return the text of each sentence span, sliced from the chunk text."""
        return [self.text[s.start - self.start : s.end - self.start] for s in self.sentences]
