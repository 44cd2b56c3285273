"""Rank documents for one query: candidate pools, fusion over them, a chunk for each.

A document scores as its best chunk, per signal. The pools gather the
documents a mode ranks, with no Python object per chunk or per candidate:

* ``dense_pool``: the top documents by their best chunk's cosine, from a
  FAISS pool of chunks that grows (doubling) until it holds enough distinct
  documents, or the whole index;
* ``lexical_pool``: the top documents by their best chunk's BM25 score (BM25
  scores every chunk anyway, and ``ChunkDocuments.best`` takes the maxima);
* ``hybrid_pool``: the union of the top ``size`` documents of each signal,
  every one with both signals (the cosine of a document that only BM25
  found is computed exactly from its chunks' stored vectors).

``rank_documents`` ranks a pool with the mode's ranking (hybrid: the fusion,
which scales each signal over the pool) and picks the chunk that stands for
each of the top ``k`` documents. ``Retriever.search_documents`` wraps it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from seedqa.index.stores import VectorStore
from seedqa.qa.documents import ChunkDocuments
from seedqa.qa.modes import Fuse, RetrievalMode

#: The first FAISS pool holds this many times the chunks that ``size`` documents
#: have on average; it doubles until it holds ``size`` distinct documents.
POOL_GROWTH = 1.5


@dataclass(frozen=True)
class QuerySignals:
    """What one query computes once: its vector and every chunk's BM25 score.

    Either is None when the mode does not use that signal.
    """

    vector: np.ndarray | None
    lexical: np.ndarray | None


@dataclass(frozen=True)
class DocumentCandidates:
    """The candidate documents of one query with both signals of each.

    ``dense`` is a document's best chunk cosine and ``lexical`` its best
    chunk BM25 score (zeros for a signal the mode does not compute);
    ``dense_rows`` is the row of its best-cosine chunk (-1 without one).
    """

    docs: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    dense_rows: np.ndarray

    def __len__(self) -> int:
        """Number of candidate documents."""
        return len(self.docs)


@dataclass(frozen=True)
class DocumentRanking:
    """The top documents of one query, best first, as arrays.

    ``docs`` are document numbers (``ChunkDocuments.doc_ids`` names them),
    ``scores`` the mode's ranking scores, ``dense``/``lexical`` each
    document's best chunk cosine and BM25 score, ``rows`` the chunk that
    stands for each document.
    """

    docs: np.ndarray
    scores: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray
    rows: np.ndarray

    def __len__(self) -> int:
        """Number of documents."""
        return len(self.docs)


def dense_pool(
    index: VectorStore, vector: np.ndarray, documents: ChunkDocuments, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``size`` documents with the best chunk cosine: ``(docs, cosines, best rows)``.

    Best first; fewer only when the index has fewer documents.
    """
    total = len(index)
    wanted = min(size, len(documents))
    pool = min(total, max(size, math.ceil(size * documents.chunks_per_document * POOL_GROWTH)))
    while True:
        scores, ids = index.search(vector, pool)
        found = ids[0] >= 0
        scores, ids = scores[0][found], ids[0][found]
        docs, first = documents.first_distinct(ids, size)
        if len(docs) >= wanted or pool >= total:
            return docs, scores[first].astype(np.float64), ids[first]
        pool = min(total, 2 * pool)


def lexical_pool(best_lexical: np.ndarray, size: int) -> np.ndarray:
    """The (at most) ``size`` documents with the highest positive best BM25 score, any order."""
    docs = np.flatnonzero(best_lexical > 0)
    if len(docs) > size:
        docs = docs[np.argpartition(-best_lexical[docs], size - 1)[:size]]
    return docs


def exact_dense(
    index: VectorStore, vector: np.ndarray, documents: ChunkDocuments, docs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The best chunk cosine of each of ``docs`` and its row, from the stored vectors."""
    if not len(docs):
        return np.zeros(0, dtype=np.float64), np.zeros(0, dtype=np.int64)
    rows, segment = documents.rows_of(docs)
    values = (index.vectors(rows) @ vector).astype(np.float64)
    return ChunkDocuments.best_of(values, rows, segment)


def hybrid_pool(
    index: VectorStore,
    vector: np.ndarray,
    lexical: np.ndarray,
    documents: ChunkDocuments,
    size: int,
) -> DocumentCandidates:
    """The top ``size`` documents of each signal, with both signals for every one."""
    dense_docs, dense, dense_rows = dense_pool(index, vector, documents, size)
    best_lexical = documents.best(lexical)
    extra = np.setdiff1d(lexical_pool(best_lexical, size), dense_docs, assume_unique=True)
    extra_dense, extra_rows = exact_dense(index, vector, documents, extra)
    docs = np.concatenate([dense_docs, extra])
    return DocumentCandidates(
        docs=docs,
        dense=np.concatenate([dense, extra_dense]),
        lexical=best_lexical[docs].astype(np.float64),
        dense_rows=np.concatenate([dense_rows, extra_rows]),
    )


def document_candidates(
    index: VectorStore,
    documents: ChunkDocuments,
    signals: QuerySignals,
    mode: RetrievalMode,
    size: int,
) -> DocumentCandidates:
    """The pool ``mode`` ranks: ``size`` documents per signal it uses."""
    if mode.dense and mode.lexical:
        return hybrid_pool(index, signals.vector, signals.lexical, documents, size)
    if mode.dense:
        docs, dense, rows = dense_pool(index, signals.vector, documents, size)
        return DocumentCandidates(docs, dense, np.zeros(len(docs)), rows)
    best = documents.best(signals.lexical)
    docs = lexical_pool(best, size)
    none = np.full(len(docs), -1, dtype=np.int64)
    return DocumentCandidates(docs, np.zeros(len(docs)), best[docs].astype(np.float64), none)


def rank_documents(
    index: VectorStore,
    documents: ChunkDocuments,
    signals: QuerySignals,
    k: int,
    mode: RetrievalMode,
    fuse: Fuse,
    fusion_pool: int,
) -> DocumentRanking:
    """The top ``k`` documents for ``signals`` in ``mode``, best first (ties: lower number).

    Hybrid fuses over the top ``max(fusion_pool, k)`` documents of each
    signal; dense and lexical rank their top ``k`` directly.
    """
    size = max(fusion_pool, k) if mode.dense and mode.lexical else k
    candidates = document_candidates(index, documents, signals, mode, size)
    ranking = mode.rank(candidates, fuse)
    top = np.lexsort((candidates.docs, -ranking))[:k]
    return DocumentRanking(
        docs=candidates.docs[top],
        scores=ranking[top],
        dense=candidates.dense[top],
        lexical=candidates.lexical[top],
        rows=best_rows(index, documents, candidates, top, signals, mode, fuse),
    )


def best_rows(
    index: VectorStore,
    documents: ChunkDocuments,
    candidates: DocumentCandidates,
    top: np.ndarray,
    signals: QuerySignals,
    mode: RetrievalMode,
    fuse: Fuse,
) -> np.ndarray:
    """The chunk that stands for each top document: its best by the mode's ranking.

    Dense and lexical take the document's best chunk of their signal. Hybrid
    takes its best-cosine or its best-BM25 chunk, whichever fuses higher
    alongside the candidates.
    """
    dense_rows = candidates.dense_rows[top]
    if not mode.lexical:
        return dense_rows
    rows, segment = documents.rows_of(candidates.docs[top])
    _, lexical_rows = ChunkDocuments.best_of(signals.lexical[rows], rows, segment)
    if not mode.dense or not len(top):
        return lexical_rows
    dense_of_lexical = index.vectors(lexical_rows) @ signals.vector
    fused = fuse(
        np.concatenate([candidates.dense, candidates.dense[top], dense_of_lexical]),
        np.concatenate([candidates.lexical, signals.lexical[dense_rows], candidates.lexical[top]]),
    )
    n, m = len(candidates), len(top)
    return np.where(fused[n + m :] > fused[n : n + m], lexical_rows, dense_rows)
