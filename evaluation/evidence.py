"""Where a QA set's evidence is: verbatim evidence strings located in the indexed documents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedqa.evaluation.datasets.records import Question
from seedqa.evaluation.errors import QASetError
from seedqa.evaluation.metrics import find_spans, overlaps
from seedqa.index.store import StoredIndex

#: Evidence spans per document id.
Spans = dict[str, list[tuple[int, int]]]


def document_texts(stored: StoredIndex) -> dict[str, str]:
    """Rebuild each indexed document's text from its chunks (gaps become spaces).

    Offsets match the original document, so spans found here are document spans.
    """
    by_doc: dict[str, list] = {}
    for chunk in stored.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    texts = {}
    for doc_id, entry in stored.manifest.documents.items():
        pieces, position = [], 0
        for chunk in sorted(by_doc.get(doc_id, []), key=lambda c: (c.start, c.end)):
            if chunk.start > position:
                pieces.append(" " * (chunk.start - position))
                position = chunk.start
            if chunk.end > position:
                pieces.append(chunk.text[position - chunk.start :])
                position = chunk.end
        if entry.n_chars > position:
            pieces.append(" " * (entry.n_chars - position))
        texts[doc_id] = "".join(pieces)
    return texts


def _resolve_source(source: str, doc_ids: Sequence[str], where: str) -> str:
    if source in doc_ids:
        return source
    matches = [d for d in doc_ids if d.endswith("/" + source.lstrip("/"))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise QASetError(f"{where}: source {source!r} is ambiguous ({', '.join(matches[:3])})")
    raise QASetError(f"{where}: source {source!r} is not an indexed document")


def evidence_spans(
    items: Sequence[Question], stored: StoredIndex, path: str | Path
) -> list[Spans]:
    """Locate each item's evidence in the indexed documents; raise ``QASetError`` if absent."""
    texts = document_texts(stored)
    doc_ids = sorted(texts)
    located = []
    for item in items:
        where = f"{path} line {item.line}"
        docs = [_resolve_source(item.source, doc_ids, where)] if item.source else doc_ids
        spans: Spans = {}
        for evidence in item.evidence:
            found = False
            for doc_id in docs:
                places = find_spans(texts[doc_id], evidence)
                if places:
                    spans.setdefault(doc_id, []).extend(places)
                    found = True
            if not found:
                place = f"source {docs[0]}" if item.source else "any indexed document"
                raise QASetError(f"{where}: evidence {evidence[:60]!r} does not occur in {place}")
        located.append(spans)
    return located


def span_hits(spans: Spans, doc_id: str, start: int, end: int) -> bool:
    """True when ``[start, end)`` of ``doc_id`` overlaps one of the evidence ``spans``."""
    return any(overlaps(start, end, s, e) for s, e in spans.get(doc_id, ()))
