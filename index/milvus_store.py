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
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from seedqa.index.errors import IndexCorrupt, SeedqaError
from seedqa.index.manifest import Manifest, StoreSettings
from seedqa.index.milvus import MilvusCollection
from seedqa.index.milvus_client import (
    LITE_FILE,
    MILVUS_TOKEN_ENV,
    MILVUS_URI_ENV,
    check_uri,
    default_collection,
    resolve_uri,
)
from seedqa.index.records import Chunk
from seedqa.index.state import CURRENT, IndexState
from seedqa.index.stores import LoadedStores, StoreBackend, StoreUpdate
from seedqa.index.terms import TermStats, analyze

#: The document frequencies of a Milvus-backed generation, in its directory.
TERMS_FILE = "terms.json"
#: Vectors a reader keeps after reading them back (about 100 MB at 384 dimensions).
VECTOR_CACHE_ROWS = 65_536


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
        self._cache: dict[str, np.ndarray] = {}  # chunk id -> vector; fixed within a generation
        self._cache_lock = threading.Lock()

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
        """The stored vectors of ``rows``, read back from Milvus.

        A generation's vectors never change, so the ones read are kept (up to
        ``VECTOR_CACHE_ROWS``, oldest dropped first): every query scores its
        candidates, and candidates recur from query to query.
        """
        if self.guard:
            self.guard.check()
        ids = [self.chunk_ids[int(r)] for r in rows]
        if not ids:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._cache_lock:
            known = {i: self._cache[i] for i in ids if i in self._cache}
        wanted = [i for i in dict.fromkeys(ids) if i not in known]
        found = self.collection.vectors(self.generation, wanted) if wanted else {}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise IndexCorrupt(
                f"{len(missing)} chunks of generation {self.generation} are missing from "
                f"collection {self.collection.name} at {self.collection.uri}; rebuild the index "
                "with `seedqa index --rebuild`"
            )
        self._remember(found)
        known.update(found)
        return np.stack([known[i] for i in ids])

    def _remember(self, found: dict[str, np.ndarray]) -> None:
        with self._cache_lock:
            self._cache.update(found)
            while len(self._cache) > VECTOR_CACHE_ROWS:
                del self._cache[next(iter(self._cache))]


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

    def scores(self, query: str) -> np.ndarray:
        """BM25 scores of every row by one Milvus full-text search.

        Milvus returns at most ``MAX_LIMIT`` (16,384) hits per search: on bigger
        generations only the best that many chunks get their score, the rest 0.
        """
        store = self.store
        if store.guard:
            store.guard.check()
        scores = np.zeros(len(store), dtype=np.float32)
        terms = " ".join(t for t in self.tokenize(query) if t in self.stats.frequencies)
        if terms:
            found = store.collection.search_terms(store.generation, terms, len(store))
            for chunk_id, score in found.items():
                scores[store.rows[chunk_id]] = score
        return scores


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
    close: Sequence[Chunk] = (),
) -> int:
    """Write one build into ``collection``; return the new generation number.

    ``vectors`` are aligned with ``new_chunks``; only the rows of chunks that are
    not in ``old_chunks`` (the live generation) are sent, and chunks missing from
    ``new_chunks`` are closed, as are all of ``close`` (a rebuild closes every
    live chunk and writes every chunk again). Nothing is visible to readers
    before the manifest naming the returned generation is made live.
    """
    generation = collection.begin(live, previous)
    old_ids = {c.chunk_id for c in old_chunks}
    new_ids = {c.chunk_id for c in new_chunks}
    closing = (old_ids - new_ids) | {c.chunk_id for c in close}
    collection.remove(generation, sorted(closing))
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


def milvus_settings(index_dir: Path, uri: str | None, collection: str | None) -> StoreSettings:
    """The Milvus store asked for: ``uri`` defaults to ``milvus.db`` in the index directory."""
    uri = uri or LITE_FILE
    check_uri(uri)
    return StoreSettings("milvus", uri, collection or default_collection(index_dir))


def _live_term_stats(update: StoreUpdate, same_store: bool) -> TermStats | None:
    """The live generation's term statistics, when this build can update them."""
    if not same_store or update.rewrite or update.live_dir is None:
        return None
    try:
        return TermStats.load(update.live_dir / TERMS_FILE)
    except (OSError, ValueError, KeyError):
        return None  # recount from the chunks


def write_milvus(update: StoreUpdate, manifest: Manifest, staging: Path) -> Manifest:
    """Write the changed chunks into the collection and ``terms.json`` into ``staging``."""
    settings = update.settings
    live = update.live.store if update.live else None
    same_store = settings.same_place(live) and bool(live and live.generation)
    collection = MilvusCollection.open(
        resolve_uri(settings.uri, update.index_dir),
        settings.collection,
        token=update.token or os.environ.get(MILVUS_TOKEN_ENV, ""),
        dimension=manifest.dimension,
        create=True,
    )
    live_chunks = update.live_chunks if same_store else ()
    generation = update_collection(
        collection,
        live.generation if same_store and live else None,
        live.previous if same_store and live else None,
        () if update.rewrite else live_chunks,
        update.chunks,
        update.vectors,
        close=live_chunks if update.rewrite else (),
    )
    stats = update_term_stats(_live_term_stats(update, same_store), live_chunks, update.chunks)
    stats.save(staging / TERMS_FILE)
    previous = live.generation if same_store and live else 0
    recorded = replace(settings, generation=generation, previous=previous)
    return replace(manifest, vector_index="milvus-hnsw", store=recorded)


def _live_generations(index_dir: Path) -> tuple[int, int]:
    """``(live, previous)`` collection generations named by the live manifest."""
    store = IndexState.read(index_dir).require().store
    return store.generation, store.previous


def load_milvus(
    index_dir: Path, generation: Path, manifest: Manifest, chunks: list[Chunk], token: str
) -> LoadedStores:
    """Open a generation's collection; ``$SEEDQA_MILVUS_URI`` overrides the recorded URI."""
    settings = manifest.store
    uri = os.environ.get(MILVUS_URI_ENV) or resolve_uri(settings.uri, index_dir)
    collection = MilvusCollection.open(
        uri,
        settings.collection,
        token=token or os.environ.get(MILVUS_TOKEN_ENV, ""),
        dimension=manifest.dimension,
    )
    try:
        stats = TermStats.load(generation / TERMS_FILE)
    except (OSError, ValueError, KeyError) as error:
        raise IndexCorrupt(
            f"cannot read {generation / TERMS_FILE} ({type(error).__name__}); rebuild the "
            "index with `seedqa index --rebuild`"
        ) from error
    found = collection.count(settings.generation)
    if found != len(chunks) or stats.n_texts != len(chunks):
        raise IndexCorrupt(
            f"collection {settings.collection} at {uri} holds {found} chunks of generation "
            f"{settings.generation}, the index {len(chunks)}; rebuild it with "
            "`seedqa index --rebuild`"
        )
    guard = GenerationGuard(
        Path(index_dir) / CURRENT, settings.generation, lambda: _live_generations(index_dir)
    )
    store = MilvusVectorStore(
        collection, settings.generation, [c.chunk_id for c in chunks], manifest.dimension, guard
    )
    return LoadedStores(store, MilvusLexical(store, stats))


MILVUS_BACKEND = StoreBackend(write=write_milvus, load=load_milvus)
