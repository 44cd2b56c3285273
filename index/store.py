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
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss

from seedqa.index.errors import IndexCorrupt, IndexMismatch, IndexNotFound, SeedqaError
from seedqa.index.lexical import LexicalIndex
from seedqa.index.paths import INDEX_DIR_ENV
from seedqa.index.records import Chunk, Span
from seedqa.index.vectors import load_vector_index, save_vector_index

FORMAT_VERSION = 1
_CURRENT = "CURRENT"


@dataclass(frozen=True)
class DocumentEntry:
    """What the manifest records of one indexed document."""

    doc_id: str
    title: str
    source: str
    kind: str
    content_hash: str
    n_chars: int
    n_chunks: int
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """The self-description of an index generation."""

    embedder: str
    dimension: int
    precision: str
    chunk_tokens: int
    overlap_tokens: int
    vector_index: str
    sources: tuple[str, ...]
    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION
    built_at: str = ""
    tokenizer: str = "cl100k_base"

    @property
    def n_chunks(self) -> int:
        """Total number of chunks over all documents."""
        return sum(entry.n_chunks for entry in self.documents.values())

    def to_json(self) -> str:
        """Serialise to indented JSON."""
        data = asdict(self)
        data["documents"] = {k: asdict(v) for k, v in sorted(self.documents.items())}
        return json.dumps(data, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest written by ``to_json``."""
        data = json.loads(text)
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatch(
                f"index format version {version} is not supported (this seedqa reads "
                f"{FORMAT_VERSION}); rebuild it with `seedqa index --rebuild`"
            )
        docs = {
            k: DocumentEntry(**{**v, "page_starts": tuple(v.get("page_starts", ()))})
            for k, v in data.pop("documents", {}).items()
        }
        for key in ("sources", "include", "exclude"):
            data[key] = tuple(data.get(key, ()))
        return cls(documents=docs, **data)


@dataclass
class StoredIndex:
    """A loaded index generation: manifest, chunk table, FAISS and BM25 indexes."""

    directory: Path
    manifest: Manifest
    chunks: list[Chunk]
    vectors: faiss.Index
    lexical: LexicalIndex
    generation: str = ""


def _current_generation(index_dir: Path) -> Path:
    pointer = index_dir / _CURRENT
    if not pointer.exists():
        raise IndexNotFound(
            f"no index at {index_dir}; build one with `seedqa index PATHS` "
            f"(or pass --index-dir / set {INDEX_DIR_ENV})"
        )
    generation = index_dir / pointer.read_text(encoding="utf-8").strip()
    if not generation.is_dir():
        raise IndexCorrupt(
            f"index at {index_dir} points at a missing {generation.name}; "
            "rebuild it with `seedqa index --rebuild`"
        )
    return generation


def index_exists(index_dir: Path) -> bool:
    """Return True when ``index_dir`` holds a live index generation."""
    try:
        _current_generation(Path(index_dir))
    except SeedqaError:
        return False
    return True


def index_started(index_dir: Path) -> bool:
    """Return True when ``index_dir`` has ever had an index (even a now broken one)."""
    return (Path(index_dir) / _CURRENT).exists()


def read_manifest(index_dir: Path) -> Manifest:
    """Read only the live manifest (cheap: used to decide whether anything changed)."""
    generation = _current_generation(Path(index_dir))
    try:
        text = (generation / "manifest.json").read_text(encoding="utf-8")
        return Manifest.from_json(text)
    except (OSError, ValueError, TypeError) as error:
        raise IndexCorrupt(
            f"cannot read the manifest in {generation} ({error}); "
            "rebuild it with `seedqa index --rebuild`"
        ) from error


def check_embedder(manifest: Manifest, name: str, dimension: int | None = None) -> None:
    """Raise ``IndexMismatch`` when the index was built with another embedder."""
    if manifest.embedder != name or (dimension is not None and manifest.dimension != dimension):
        raise IndexMismatch(
            f"the index was built with embedder {manifest.embedder!r} "
            f"({manifest.dimension}-d), not {name!r}; rebuild it with "
            f"`seedqa index --rebuild --model {name}` or drop --model"
        )


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


def load_index(index_dir: Path) -> StoredIndex:
    """Load the live generation of ``index_dir``, checking its manifest and files."""
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    generation = _current_generation(index_dir)
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
    return StoredIndex(index_dir, manifest, chunks, vectors, lexical, generation.name)


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
    index_dir: Path,
    manifest: Manifest,
    chunks: Sequence[Chunk],
    vectors: faiss.Index,
    lexical: LexicalIndex,
) -> Path:
    """Write a new generation and make it live atomically; return its directory."""
    index_dir = Path(index_dir)
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
        pointer = index_dir / f"{_CURRENT}.tmp"
        pointer.write_text(name + "\n", encoding="utf-8")
        _fsync_file(pointer)
        live = index_dir / _CURRENT
        previous = live.read_text(encoding="utf-8").strip() if live.exists() else ""
        os.replace(pointer, index_dir / _CURRENT)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    remove_stale_generations(index_dir, keep={name, previous})
    return final


def live_generations(index_dir: Path) -> set[str]:
    """Return the name of the live generation (empty when there is no index yet)."""
    pointer = Path(index_dir) / _CURRENT
    return {pointer.read_text(encoding="utf-8").strip()} if pointer.exists() else set()


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
