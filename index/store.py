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
from dataclasses import dataclass
from pathlib import Path

import faiss

from seedqa.index.errors import IndexCorrupt, SeedqaError
from seedqa.index.lexical import LexicalIndex
from seedqa.index.manifest import Manifest
from seedqa.index.records import Chunk, Span
from seedqa.index.state import CURRENT, IndexState
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


def _read_chunks(path: Path) -> list[Chunk]:
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
    index directory (whose state is then read here, once).
    """
    state = source if isinstance(source, IndexState) else IndexState.read(source)
    manifest = state.require()
    generation = state.generation_dir
    try:
        chunks = _read_chunks(generation / "chunks.jsonl")
        vectors = load_vector_index(generation / "vectors.faiss")
        lexical = LexicalIndex.load(generation / "bm25", size=len(chunks))
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise IndexCorrupt(
            f"cannot read the index in {generation} ({type(error).__name__}); "
            "rebuild it with `seedqa index --rebuild`"
        ) from error
    if vectors.ntotal != len(chunks) or vectors.d != manifest.dimension:
        raise IndexCorrupt(
            f"index in {generation} is inconsistent ({vectors.ntotal} vectors of "
            f"{vectors.d} dimensions, {len(chunks)} chunks, manifest dimension "
            f"{manifest.dimension}); rebuild it with `seedqa index --rebuild`"
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

    ``state`` is the index's state read at the start of the build; its live
    generation is kept one build longer (a reader may have just opened it).
    """
    index_dir = state.directory
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{time.time_ns():x}"
    staging = index_dir / f"{name}.tmp"
    staging.mkdir()
    try:
        (staging / "manifest.json").write_text(manifest.to_json(), encoding="utf-8")
        _write_chunks(staging / "chunks.jsonl", chunks)
        save_vector_index(vectors, staging / "vectors.faiss")
        lexical.save(staging / "bm25")
        for path in (staging / "manifest.json", staging / "chunks.jsonl"):
            _fsync_file(path)
        final = index_dir / name
        os.replace(staging, final)
        pointer = index_dir / f"{CURRENT}.tmp"
        pointer.write_text(name + "\n", encoding="utf-8")
        _fsync_file(pointer)
        os.replace(pointer, index_dir / CURRENT)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    remove_stale_generations(index_dir, keep={name, state.generation or ""})
    return final


def remove_stale_generations(index_dir: Path, keep: set[str]) -> None:
    """Delete generations and unfinished ``.tmp`` builds not named in ``keep``."""
    for path in Path(index_dir).glob("gen-*"):
        if path.name not in keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``index_dir`` so that two builds never interleave."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
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
