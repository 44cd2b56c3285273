"""The store stage: a self-describing, atomically written index directory.

Layout of an index directory (default ``.seedqa/``)::

    CURRENT                 name of the live generation (replaced atomically)
    gen-<id>/manifest.json  format version, embedder, chunker settings, store, documents
    gen-<id>/chunks.jsonl   the chunk table; row i is vector i and BM25 row i
    gen-<id>/vectors.faiss  the FAISS index            (FAISS store)
    gen-<id>/bm25/          the bm25s index            (FAISS store)
    gen-<id>/terms.json     BM25 document frequencies  (Milvus store)
    milvus.db/              the Milvus Lite database   (Milvus store, default URI)
    cache/                  the embedding cache (see ``index.embed``)

The vectors and BM25 index are written and read by the store the manifest
names (``STORE_BACKENDS``, see ``index.stores``).

A build writes a new ``gen-<id>.tmp`` directory, renames it, then swaps
``CURRENT``: a crash or Ctrl-C at any point leaves the previous generation
live and loadable. The previous generation is kept one build longer so that
a reader that has just read ``CURRENT`` can still open it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seedqa.index.errors import InvalidSetting, SeedqaError, not_writable
from seedqa.index.integrity import damaged, record_files, verify_files
from seedqa.index.manifest import Manifest, StoreSettings
from seedqa.index.milvus_store import MILVUS_BACKEND, milvus_settings
from seedqa.index.records import Chunk, Span, text_hash
from seedqa.index.state import CURRENT, GENERATION_PREFIX, MANIFEST, IndexState
from seedqa.index.stores import (
    FAISS_BACKEND,
    LexicalStore,
    StoreBackend,
    StoreUpdate,
    VectorStore,
)

if TYPE_CHECKING:
    from seedqa.index.embed import EmbeddingCache

#: The store implementations, by the name the manifest records.
STORE_BACKENDS: dict[str, StoreBackend] = {"faiss": FAISS_BACKEND, "milvus": MILVUS_BACKEND}


def store_backend(kind: str) -> StoreBackend:
    """The store called ``kind``; raise ``InvalidSetting`` naming the valid ones."""
    backend = STORE_BACKENDS.get(kind)
    if backend is None:
        raise InvalidSetting(f"store {kind!r} is not valid; use one of {', '.join(STORE_BACKENDS)}")
    return backend


@dataclass(frozen=True)
class StoreRequest:
    """The store a build is asked to use (``seedqa index --store ...``).

    ``uri`` or ``collection`` alone mean Milvus. Each field left out keeps the
    index's value when it already uses that store, else takes the default (for
    Milvus: ``milvus.db`` in the index directory, a collection named after it).
    ``token`` authenticates to a Milvus server for this build and is never
    written (default ``$SEEDQA_MILVUS_TOKEN``).
    """

    kind: str | None = None
    uri: str | None = None
    collection: str | None = None
    token: str = field(default="", repr=False)

    def resolve(self, index_dir: Path, current: StoreSettings | None) -> StoreSettings:
        """The settings to build with, given the index's ``current`` store (None: new)."""
        if self.kind is None and self.uri is None and self.collection is None:
            return current or StoreSettings()
        kind = self.kind or "milvus"
        store_backend(kind)
        if kind == "faiss":
            if self.uri or self.collection:
                raise InvalidSetting("--milvus-uri and --milvus-collection need --store milvus")
            return StoreSettings("faiss")
        uri, collection = self.uri, self.collection
        if current is not None and current.kind == "milvus":
            uri, collection = uri or current.uri, collection or current.collection
        return milvus_settings(index_dir, uri, collection)


@dataclass
class StoredIndex:
    """A loaded index generation: manifest, chunk table, vector and BM25 stores."""

    directory: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: VectorStore
    lexical: LexicalStore
    generation: str = ""


def read_chunks(path: Path) -> list[Chunk]:
    """Read a chunk table (``chunks.jsonl``); raises ``ValueError``/``KeyError`` when malformed."""
    chunks = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            chunks.append(
                Chunk(
                    doc_id=row["doc_id"],
                    start=row["start"],
                    end=row["end"],
                    text=row["text"],
                    sentences=tuple(Span(s, e) for s, e in row["sentences"]),
                    page=row["page"],
                )
            )
    return chunks


def load_index(source: IndexState | str | Path, *, token: str = "") -> StoredIndex:
    """Load the live generation of an index, checking its manifest and files.

    ``source`` is the ``IndexState`` already read for this operation, or an
    index directory (whose state is then read here, once). Every file's size
    and checksum is compared with the manifest's record first (see
    ``index.integrity``), so a damaged file raises ``IndexCorrupt`` naming it.
    The manifest names the store (FAISS files or a Milvus collection);
    ``token`` authenticates to a Milvus server (default ``$SEEDQA_MILVUS_TOKEN``).
    """
    state = source if isinstance(source, IndexState) else IndexState.read(source)
    manifest = state.require()
    generation = state.generation_dir
    verify_files(generation, manifest.files)
    backend = store_backend(manifest.store.kind)
    part = "chunks.jsonl"
    try:
        chunks = read_chunks(generation / part)
        part = "vectors.faiss or bm25" if manifest.store.kind == "faiss" else "terms.json"
        stores = backend.load(state.directory, generation, manifest, chunks, token)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        detail = " ".join(str(error).split())[:80] or type(error).__name__
        problem = f"{generation.name}/{part}: unreadable ({detail})"
        raise damaged(state.directory, problem) from error
    return StoredIndex(
        state.directory, manifest, chunks, stores.vectors, stores.lexical, generation.name
    )


def load_live(
    state: IndexState, previous: Manifest | None, store: StoreSettings, token: str
) -> tuple[StoredIndex | None, list[Chunk]]:
    """The live generation as a build needs it: loaded (same store), and its chunks.

    When the store changes, the old one is not opened (it may be gone): only the
    chunk table is read, and vectors missing from the cache are embedded again.
    """
    if previous and store.same_place(previous.store):
        stored = load_index(state, token=token)
        return stored, stored.chunks
    if state.exists:
        try:
            return None, read_chunks(state.generation_dir / "chunks.jsonl")
        except (OSError, ValueError, KeyError, TypeError):
            return None, []
    return None, []


def seed_cache(cache: EmbeddingCache, stored: StoredIndex, keep: set[str]) -> None:
    """Put the vectors of kept documents' chunks that ``cache`` lacks into it, from the store."""
    chunks = stored.chunks
    rows = [i for i, c in enumerate(chunks) if c.doc_id in keep and text_hash(c.text) not in cache]
    if rows:
        vectors = stored.vectors.vectors(np.array(rows, dtype=np.int64))
        cache.add({text_hash(chunks[i].text): v for i, v in zip(rows, vectors, strict=True)})


def _write_chunks(path: Path, chunks: Sequence[Chunk]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for chunk in chunks:
            row = {
                "chunk_id": chunk.chunk_id,
                "doc_id": chunk.doc_id,
                "start": chunk.start,
                "end": chunk.end,
                "page": chunk.page,
                "sentences": [[s.start, s.end] for s in chunk.sentences],
                "text": chunk.text,
            }
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_index(
    state: IndexState,
    manifest: Manifest,
    chunks: Sequence[Chunk],
    update: StoreUpdate,
) -> Path:
    """Write a new generation and make it live atomically; return its directory.

    The data files are written first, then the manifest with their sizes
    and checksums, then the pointer. ``state`` is the index's state read at
    the start of the build: only once the new generation is live are older
    ones deleted, and the one that was live (a reader may have just opened
    it) is kept one build longer. The store ``update`` names writes the
    vectors and BM25 index (files into the staging directory, or rows into an
    engine, invisible to readers until the pointer moves) and completes
    ``manifest`` with what it wrote.
    """
    index_dir = state.directory
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"{GENERATION_PREFIX}{time.time_ns():x}"
    staging = index_dir / f"{name}.tmp"
    staging.mkdir()
    try:
        _write_chunks(staging / "chunks.jsonl", chunks)
        manifest = store_backend(update.settings.kind).write(update, manifest, staging)
        files = record_files(staging)
        (staging / MANIFEST).write_text(replace(manifest, files=files).to_json(), "utf-8")
        for path in _all_files(staging):
            _fsync_file(path)
        final = index_dir / name
        os.replace(staging, final)
        point_at(index_dir, name)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(error, OSError):  # disk full, permissions: the live index is untouched
            raise not_writable(index_dir, error) from error
        raise
    remove_stale_generations(index_dir, keep={name, state.generation or ""})
    return final


def point_at(index_dir: Path, name: str) -> None:
    """Make generation ``name`` live: write ``CURRENT.tmp``, fsync it, rename it atomically."""
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(name + "\n", encoding="utf-8")
    _fsync_file(pointer)
    os.replace(pointer, index_dir / CURRENT)
    _fsync_directory(index_dir)


def _all_files(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()]


def _fsync_directory(directory: Path) -> None:
    """Make a rename inside ``directory`` durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete generations and unfinished ``.tmp`` builds not named in ``keep``.

    Only called once a new generation is live, so nothing that could still
    be answered from is lost before its replacement is in place.
    """
    for path in Path(index_dir).glob(f"{GENERATION_PREFIX}*"):
        if path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def remove_unfinished_builds(index_dir: Path) -> None:
    """Delete the ``gen-*.tmp`` folders of builds that died (call with the build lock held)."""
    for path in Path(index_dir).glob(f"{GENERATION_PREFIX}*.tmp"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``index_dir`` so that two builds never interleave."""
    index_dir = Path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        if not os.access(index_dir, os.W_OK | os.X_OK):
            raise PermissionError(index_dir)
        handle = open(index_dir / ".lock", "a")  # noqa: SIM115 - closed by the with below
    except OSError as error:
        raise not_writable(index_dir, error) from error
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise SeedqaError(
                f"another seedqa build is writing {index_dir}; wait for it to finish"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
