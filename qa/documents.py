"""Chunk → document aggregation in numpy: a document scores as its best chunk.

``ChunkDocuments`` numbers the documents of an index once, when a
``Retriever`` is built, and keeps the chunk rows grouped by document, so
that per-document maxima are one ``np.maximum.reduceat`` and no Python
object is made per chunk (``qa.document_ranking`` uses it).

Example:
    >>> documents = ChunkDocuments.from_chunk_doc_ids(["a", "a", "b"])
    >>> documents.best(np.array([0.1, 0.7, 0.3]))
    array([0.7, 0.3])

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChunkDocuments:
    """The chunk → document map of one index.

    ``doc_ids[d]`` is document number ``d``'s id (numbered in order of first
    chunk); ``chunk_doc[row]`` the document number of chunk ``row``;
    ``grouped`` the chunk rows sorted by document (rows ascending within a
    document) and ``starts`` the offset of each document's rows in it, with
    the total number of chunks appended.
    """

    doc_ids: tuple[str, ...]
    chunk_doc: np.ndarray
    grouped: np.ndarray
    starts: np.ndarray

    @classmethod
    def from_chunk_doc_ids(cls, chunk_doc_ids: Sequence[str]) -> ChunkDocuments:
        """Build the map from the document id of every chunk row."""
        numbers: dict[str, int] = {}
        chunk_doc = np.fromiter(
            (numbers.setdefault(doc_id, len(numbers)) for doc_id in chunk_doc_ids),
            dtype=np.int64,
            count=len(chunk_doc_ids),
        )
        grouped = np.argsort(chunk_doc, kind="stable")
        counts = np.bincount(chunk_doc, minlength=len(numbers))
        starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        return cls(tuple(numbers), chunk_doc, grouped, starts)

    def __len__(self) -> int:
        """Number of documents (each has at least one chunk)."""
        return len(self.doc_ids)

    @property
    def chunks_per_document(self) -> float:
        """Mean number of chunks per document."""
        return len(self.chunk_doc) / max(1, len(self.doc_ids))

    def best(self, scores: np.ndarray) -> np.ndarray:
        """Every document's best score, from ``scores`` over all chunk rows."""
        if not len(self.doc_ids):
            return np.zeros(0, dtype=scores.dtype)
        return np.maximum.reduceat(scores[self.grouped], self.starts[:-1])

    def rows_of(self, docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every chunk row of ``docs``, and for each row its document's position in ``docs``."""
        counts = self.starts[docs + 1] - self.starts[docs]
        segment = np.repeat(np.arange(len(docs)), counts)
        within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.grouped[np.repeat(self.starts[docs], counts) + within], segment

    @staticmethod
    def best_of(
        values: np.ndarray, rows: np.ndarray, segment: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per segment (as ``rows_of`` returns it): the best value and its row (lowest on ties)."""
        order = np.lexsort((rows, -values, segment))
        sorted_segment = segment[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = sorted_segment[1:] != sorted_segment[:-1]
        picked = order[first]
        return values[picked], rows[picked]

    def first_distinct(self, rows: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
        """The documents of ``rows`` in order of first appearance (at most ``limit``).

        Returns the document numbers and the position in ``rows`` where each
        first appears: for rows sorted best first, each document's best row.
        """
        unique, first = np.unique(self.chunk_doc[rows], return_index=True)
        order = np.argsort(first, kind="stable")[:limit]
        return unique[order], first[order]
