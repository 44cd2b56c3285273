"""The Milvus implementations of the store interfaces (``index.stores``).

Reading: ``MilvusVectorStore`` and ``MilvusLexical`` see one generation of the
index's collection (``index.milvus``) and translate Milvus's chunk ids into
rows of the generation's chunk table. Lexical ranking is Milvus's full-text
BM25 over the terms seedqa analysed at build time, so both stores score the
same terms with the same formula; the document frequencies the answerer
needs come from ``terms.json`` in the generation directory (``TermStats``).

Writing: ``update_collection`` applies one build to the collection: only the
chunks that are new in this generation are written, and the removed ones
closed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedqa.index.errors import IndexCorrupt, SeedqaError
from seedqa.index.milvus import MilvusCollection
from seedqa.index.records import Chunk
from seedqa.index.stores import LexicalCandidates
from seedqa.index.terms import TermStats, analyze

#: The document frequencies of a Milvus-backed generation, in its directory.
TERMS_FILE = "terms.json"


class GenerationGone(SeedqaError):
    """The generation a reader holds is no longer kept in the store."""


@dataclass
class GenerationGuard:
    """Checks, cheaply, that a reader's generation is still the live or the previous one.

    A build deletes the rows of older generations, so a reader that held one
    would see half an index; instead it gets a one-line error asking it to
    reload. ``read_live`` returns ``(live, previous)`` generation numbers and is
    called only when the pointer file changes.
    """

    pointer: Path
    generation: int
    read_live: Callable[[], tuple[int, int]]
    _stamp: int = -1
    _ok: bool = True

    def check(self) -> None:
        """Raise ``GenerationGone`` when the reader's generation has been superseded twice."""
        try:
            stamp = os.stat(self.pointer).st_mtime_ns
        except OSError:
            return
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._ok = self.generation in self.read_live()
            except SeedqaError:
                self._ok = True  # a broken pointer is for the next load to report
        if not self._ok:
            raise GenerationGone(
                f"the index at {self.pointer.parent} was rebuilt twice since this reader loaded "
                f"generation {self.generation}; load the index again"
            )


class MilvusVectorStore:
    """A ``VectorStore`` over one generation of a Milvus collection."""

    def __init__(
        self,
        collection: MilvusCollection,
        generation: int,
        chunk_ids: Sequence[str],
        dimension: int,
        guard: GenerationGuard | None = None,
    ) -> None:
        self.collection = collection
        self.generation = generation
        self.chunk_ids = list(chunk_ids)
        self.rows = {chunk_id: row for row, chunk_id in enumerate(self.chunk_ids)}
        self._dimension = dimension
        self.guard = guard

    @property
    def kind(self) -> str:
        """``milvus-hnsw``."""
        return "milvus-hnsw"

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return self._dimension

    def __len__(self) -> int:
        """Number of vectors in this generation."""
        return len(self.chunk_ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Nearest rows by inner product, through Milvus (HNSW)."""
        queries = np.atleast_2d(queries)
        if self.guard:
            self.guard.check()
        if not self.chunk_ids:
            return np.zeros((len(queries), 1), np.float32), np.full((len(queries), 1), -1)
        found = self.collection.search_vectors(self.generation, queries, min(k, len(self)))
        width = max(1, max(len(hits.chunk_ids) for hits in found))
        scores = np.zeros((len(queries), width), dtype=np.float32)
        rows = np.full((len(queries), width), -1, dtype=np.int64)
        for i, hits in enumerate(found):
            rows[i, : len(hits.chunk_ids)] = [self.rows[c] for c in hits.chunk_ids]
            scores[i, : len(hits.chunk_ids)] = hits.scores
        return scores, rows

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows``, read back from Milvus."""
        if self.guard:
            self.guard.check()
        ids = [self.chunk_ids[int(r)] for r in rows]
        found = self.collection.vectors(self.generation, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise IndexCorrupt(
                f"{len(missing)} chunks of generation {self.generation} are missing from "
                f"collection {self.collection.name} at {self.collection.uri}; rebuild the index "
                "with `seedqa index --rebuild`"
            )
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([found[i] for i in ids])


class MilvusLexical:
    """A ``LexicalStore``: Milvus full-text BM25 over one generation's analysed terms."""

    def __init__(self, vectors: MilvusVectorStore, stats: TermStats) -> None:
        self.store = vectors
        self.stats = stats

    def tokenize(self, text: str) -> list[str]:
        """The BM25 terms of ``text`` (the analysis the collection was built with)."""
        return self.stats.tokenize(text)

    def idf(self, terms: list[str]) -> np.ndarray:
        """Smoothed inverse document frequency from the generation's ``terms.json``."""
        return self.stats.idf(terms)

    def candidates(self, query: str, depth: int, asked: np.ndarray) -> LexicalCandidates:
        """The ``depth`` best rows by Milvus BM25; the asked rows are scored by a second search."""
        store = self.store
        if store.guard:
            store.guard.check()
        asked = np.asarray(asked, dtype=np.int64)
        terms = " ".join(t for t in self.tokenize(query) if t in self.stats.frequencies)
        top = store.collection.search_terms(store.generation, terms, depth) if terms else {}
        rest = [store.chunk_ids[int(r)] for r in asked if store.chunk_ids[int(r)] not in top]
        if rest and terms:
            top_rest = store.collection.search_terms(store.generation, terms, len(rest), rest)
        else:
            top_rest = {}
        scores = {**top_rest, **top}
        rows = np.array([store.rows[c] for c in top], dtype=np.int64)
        return LexicalCandidates(
            rows,
            np.array(list(top.values()), dtype=np.float32),
            np.array([scores.get(store.chunk_ids[int(r)], 0.0) for r in asked], np.float32),
        )


def chunk_terms(chunks: Sequence[Chunk]) -> list[str]:
    """The analysed BM25 terms of each chunk, as the text Milvus indexes."""
    return [" ".join(tokens) for tokens in analyze([c.text for c in chunks])]


def update_collection(
    collection: MilvusCollection,
    live: int | None,
    previous: int | None,
    old_chunks: Sequence[Chunk],
    new_chunks: Sequence[Chunk],
    vectors: np.ndarray,
) -> int:
    """Write one build into ``collection``; return the new generation number.

    ``vectors`` are aligned with ``new_chunks``; only the rows of chunks that are
    not in ``old_chunks`` (the live generation) are sent, and chunks missing from
    ``new_chunks`` are closed. Nothing is visible to readers before the manifest
    naming the returned generation is made live.
    """
    generation = collection.begin(live, previous)
    old_ids = {c.chunk_id for c in old_chunks}
    new_ids = {c.chunk_id for c in new_chunks}
    collection.remove(generation, sorted(old_ids - new_ids))
    fresh = [i for i, c in enumerate(new_chunks) if c.chunk_id not in old_ids]
    fresh_chunks = [new_chunks[i] for i in fresh]
    collection.add(
        generation,
        [c.chunk_id for c in fresh_chunks],
        np.asarray(vectors)[fresh] if fresh else np.zeros((0, 1), np.float32),
        chunk_terms(fresh_chunks),
    )
    collection.finish()
    return generation


def update_term_stats(
    previous: TermStats | None, old_chunks: Sequence[Chunk], new_chunks: Sequence[Chunk]
) -> TermStats:
    """Document frequencies for ``new_chunks``, updated from ``previous`` when given."""
    if previous is None:
        return TermStats.build([c.text for c in new_chunks])
    old_ids = {c.chunk_id for c in old_chunks}
    new_ids = {c.chunk_id for c in new_chunks}
    stats = TermStats(dict(previous.frequencies), previous.n_texts)
    stats.remove([c.text for c in old_chunks if c.chunk_id not in new_ids])
    stats.add([c.text for c in new_chunks if c.chunk_id not in old_ids])
    return stats
