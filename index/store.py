"""The store stage: a self-describing, atomically written index directory.

Layout of an index directory (default ``.seedqa/``)::

    CURRENT                 name of the live generation (replaced atomically)
    gen-<id>/manifest.json  format version, embedder, chunker settings, documents
    gen-<id>/chunks.jsonl   the chunk table; row i is FAISS id i and BM25 row i
    gen-<id>/vectors.faiss  the FAISS index
    gen-<id>/bm25/          the bm25s index
    cache/                  the embedding cache (see ``index.embed``)

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
from dataclasses import dataclass, replace
from pathlib import Path

import faiss

from seedqa.index.errors import SeedqaError, not_writable
from seedqa.index.integrity import damaged, record_files, verify_files
from seedqa.index.lexical import LexicalIndex
from seedqa.index.manifest import Manifest
from seedqa.index.records import Chunk, Span
from seedqa.index.state import CURRENT, GENERATION_PREFIX, MANIFEST, IndexState
from seedqa.index.vectors import load_vector_index, save_vector_index


@dataclass
class StoredIndex:
    """A loaded index generation: manifest, chunk table, FAISS and BM25 indexes."""

    directory: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: faiss.Index
    lexical: LexicalIndex
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


def load_index(source: IndexState | str | Path) -> StoredIndex:
    """Load the live generation of an index, checking its manifest and files.

    ``source`` is the ``IndexState`` already read for this operation, or an
    index directory (whose state is then read here, once). Every file's size
    and checksum is compared with the manifest's record first (see
    ``index.integrity``), so a damaged file raises ``IndexCorrupt`` naming it.
    """
    state = source if isinstance(source, IndexState) else IndexState.read(source)
    manifest = state.require()
    generation = state.generation_dir
    verify_files(generation, manifest.files)
    part = "chunks.jsonl"
    try:
        chunks = read_chunks(generation / part)
        part = "vectors.faiss"
        vectors = load_vector_index(generation / part)
        part = "bm25"
        lexical = LexicalIndex.load(generation / part, size=len(chunks))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        detail = " ".join(str(error).split())[:80] or type(error).__name__
        problem = f"{generation.name}/{part}: unreadable ({detail})"
        raise damaged(state.directory, problem) from error
    if vectors.ntotal != len(chunks) or vectors.d != manifest.dimension:
        raise damaged(
            state.directory,
            f"{generation.name} is inconsistent ({vectors.ntotal} vectors of {vectors.d} "
            f"dimensions, {len(chunks)} chunks, manifest dimension {manifest.dimension})",
        )
    return StoredIndex(state.directory, manifest, chunks, vectors, lexical, generation.name)


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
    vectors: faiss.Index,
    lexical: LexicalIndex,
) -> Path:
    """Write a new generation and make it live atomically; return its directory.

    The data files are written first, then the manifest with their sizes
    and checksums, then the pointer. ``state`` is the index's state read at
    the start of the build: only once the new generation is live are older
    ones deleted, and the one that was live (a reader may have just opened
    it) is kept one build longer.
    """
    index_dir = state.directory
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"{GENERATION_PREFIX}{time.time_ns():x}"
    staging = index_dir / f"{name}.tmp"
    staging.mkdir()
    try:
        _write_chunks(staging / "chunks.jsonl", chunks)
        save_vector_index(vectors, staging / "vectors.faiss")
        lexical.save(staging / "bm25")
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
