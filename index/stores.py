"""The store interfaces the retriever reads through, and the FAISS implementation.

A generation's chunk table (text, offsets, pages) lives in the index
directory; the stores hold only what ranks chunks:

- a ``VectorStore``: vectors and row ids (row ``i`` is chunk ``i`` of the
  chunk table), nothing else: it never sees text, questions or answers;
- a ``LexicalStore``: BM25 over the same rows, plus the term analysis and
  document frequencies the answerer weighs question terms by.

Two implementations exist, chosen by name (``STORES``): ``faiss`` (FAISS
file + bm25s in the generation directory, the default) and ``milvus``
(``index.milvus_store``: a Milvus collection, with Milvus's own full-text
BM25). ``tests/index/test_store_contract.py`` runs the same contract
against both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import faiss
import numpy as np

from seedqa.index.lexical import LexicalIndex
from seedqa.index.vectors import index_kind, search_vectors

STORES = ("faiss", "milvus")
DEFAULT_STORE = "faiss"


@runtime_checkable
class VectorStore(Protocol):
    """The vectors of one index generation, addressed by row (row i = chunk i)."""

    @property
    def kind(self) -> str:
        """The index type, e.g. ``flat``, ``hnsw`` or ``milvus-hnsw``."""

    @property
    def dimension(self) -> int:
        """Vector dimension."""

    def __len__(self) -> int:
        """Number of vectors."""

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, rows)`` of the ``k`` nearest rows per query row (inner product).

        Both arrays have shape ``(len(queries), k')`` with ``k' <= k``; missing
        results have row -1.
        """

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows``, in that order."""


@dataclass(frozen=True)
class LexicalCandidates:
    """BM25 candidates of one query: the best rows, and scores for rows asked about."""

    rows: np.ndarray
    scores: np.ndarray
    asked_scores: np.ndarray


@runtime_checkable
class LexicalStore(Protocol):
    """BM25 over the rows of one generation, and the analysis behind it."""

    def tokenize(self, text: str) -> list[str]:
        """The BM25 terms of ``text``."""

    def idf(self, terms: list[str]) -> np.ndarray:
        """Smoothed inverse document frequency of each term."""

    def candidates(self, query: str, depth: int, asked: np.ndarray) -> LexicalCandidates:
        """The ``depth`` best rows with a positive score, and the scores of ``asked`` rows."""


class FaissVectorStore:
    """A ``VectorStore`` over a FAISS index held in memory (row i has FAISS id i)."""

    def __init__(self, index: faiss.Index) -> None:
        self.index = index

    @property
    def kind(self) -> str:
        """``flat`` or ``hnsw``."""
        return index_kind(self.index)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self.index.d)

    def __len__(self) -> int:
        """Number of vectors."""
        return int(self.index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Nearest rows by inner product (one OpenMP thread for a single query)."""
        return search_vectors(self.index, queries, k)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """Reconstruct the stored vectors of ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self.index.reconstruct_batch(rows)


class Bm25Lexical:
    """A ``LexicalStore`` over a bm25s index (``index.lexical``), scored in this process."""

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index

    def tokenize(self, text: str) -> list[str]:
        """The BM25 terms of ``text``."""
        return self.index.tokenize(text)

    def idf(self, terms: list[str]) -> np.ndarray:
        """Smoothed inverse document frequency of each term."""
        return self.index.idf(terms)

    def candidates(self, query: str, depth: int, asked: np.ndarray) -> LexicalCandidates:
        """Score every row once; keep the ``depth`` best positive ones and the asked ones."""
        scores = self.index.scores(query)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > depth:
            positive = positive[np.argpartition(-scores[positive], depth - 1)[:depth]]
        asked = np.asarray(asked, dtype=np.int64)
        return LexicalCandidates(positive, scores[positive], scores[asked])
