"""The store interfaces the retriever reads through, and the FAISS implementation.

A generation's chunk table (text, offsets, pages) lives in the index
directory; the stores hold only what ranks chunks:

- a ``VectorStore``: vectors and row ids (row ``i`` is chunk ``i`` of the
  chunk table), nothing else: it never sees text, questions or answers;
- a ``LexicalStore``: BM25 over the same rows, plus the term analysis and
  document frequencies the answerer weighs question terms by.

Two implementations exist, chosen by name (``StoreSettings.kind``; the map
is ``index.store.STORE_BACKENDS``): ``faiss`` (a FAISS file and a bm25s
index in the generation directory, the default) and ``milvus``
(``index.milvus_store``: a Milvus collection, ranked lexically by Milvus's
own full-text BM25). Each is a ``StoreBackend``: a function that writes a
generation from a ``StoreUpdate`` and one that loads it.
``tests/index/test_store_contract.py`` runs the same contract against both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

import faiss
import numpy as np

from seedqa.index.errors import IndexCorrupt
from seedqa.index.lexical import LexicalIndex
from seedqa.index.manifest import Manifest, StoreSettings
from seedqa.index.records import Chunk
from seedqa.index.vectors import (
    build_vector_index,
    index_kind,
    load_vector_index,
    save_vector_index,
    search_vectors,
)

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


@runtime_checkable
class LexicalStore(Protocol):
    """BM25 over the rows of one generation, and the analysis behind it."""

    def tokenize(self, text: str) -> list[str]:
        """The BM25 terms of ``text``."""

    def idf(self, terms: list[str]) -> np.ndarray:
        """Smoothed inverse document frequency of each term."""

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every row for ``query`` (0 where it shares no term)."""


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

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every row (bm25s, in this process)."""
        return self.index.scores(query)


@dataclass(frozen=True)
class StoreUpdate:
    """What a build hands a store to write one generation.

    ``chunks`` is the new generation's chunk table and ``vectors`` its vectors,
    row for row. ``live`` is the manifest of the generation being replaced
    (None for a new index), ``live_chunks`` its chunk table and ``live_dir``
    its directory; ``rewrite`` asks for every chunk to be written again
    (``--rebuild``). ``token`` authenticates to a Milvus server.
    """

    index_dir: Path
    settings: StoreSettings
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    live: Manifest | None = None
    live_chunks: Sequence[Chunk] = ()
    live_dir: Path | None = None
    rewrite: bool = False
    token: str = ""


@dataclass(frozen=True)
class LoadedStores:
    """The two stores of a loaded generation."""

    vectors: VectorStore
    lexical: LexicalStore


@dataclass(frozen=True)
class StoreBackend:
    """One store implementation: how it writes a generation and how it loads one.

    ``write(update, manifest, staging)`` fills the staging directory (and the
    engine) and returns the manifest with ``store`` and ``vector_index`` set;
    ``load(index_dir, generation_dir, manifest, chunks, token)`` opens it.
    """

    write: Callable[[StoreUpdate, Manifest, Path], Manifest]
    load: Callable[[Path, Path, Manifest, list[Chunk], str], LoadedStores]


_FAISS_FILE = "vectors.faiss"
_BM25_DIR = "bm25"


def write_faiss(update: StoreUpdate, manifest: Manifest, staging: Path) -> Manifest:
    """Write ``vectors.faiss`` (flat or HNSW by size) and the bm25s index into ``staging``."""
    index = build_vector_index(np.asarray(update.vectors))
    save_vector_index(index, staging / _FAISS_FILE)
    LexicalIndex.build([c.text for c in update.chunks]).save(staging / _BM25_DIR)
    return replace(manifest, vector_index=index_kind(index), store=StoreSettings("faiss"))


def load_faiss(
    index_dir: Path, generation: Path, manifest: Manifest, chunks: list[Chunk], token: str
) -> LoadedStores:
    """Read the FAISS and bm25s files of a generation, checking they fit its chunk table."""
    index = load_vector_index(generation / _FAISS_FILE)
    lexical = LexicalIndex.load(generation / _BM25_DIR, size=len(chunks))
    if index.ntotal != len(chunks) or index.d != manifest.dimension:
        raise IndexCorrupt(
            f"index in {generation} is inconsistent ({index.ntotal} vectors of "
            f"{index.d} dimensions, {len(chunks)} chunks, manifest dimension "
            f"{manifest.dimension}); rebuild it with `seedqa index --rebuild`"
        )
    return LoadedStores(FaissVectorStore(index), Bm25Lexical(lexical))


FAISS_BACKEND = StoreBackend(write=write_faiss, load=load_faiss)
