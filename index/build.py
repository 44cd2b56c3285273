"""Build and incrementally update an index: load → chunk → embed → store.

``build_index`` makes the index mirror the documents found under the given
paths: new and changed documents (by content hash) are chunked and embedded,
deleted ones are dropped, unchanged ones keep their chunks and vectors. A
file that exists but can no longer be loaded keeps its previous version.

Example:
    >>> report = build_index(["seeds/"], Path(".seedqa"))
    >>> report.summary()  # doctest: +SKIP
    'Indexed 1 document (4 chunks) into .seedqa: 1 added, ...'

"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from seedqa.index.chunk import ChunkSettings, chunk_document
from seedqa.index.embed import DEFAULT_PRECISION, Embedder, EmbeddingCache, resolve_model
from seedqa.index.errors import IndexMismatch, InvalidSetting, NothingToIndex, SeedqaError
from seedqa.index.lexical import LexicalIndex
from seedqa.index.load import LoadProblem, load_paths
from seedqa.index.paths import DEFAULT_CORPUS, UPLOADS_DIR
from seedqa.index.records import Chunk, Document, text_hash
from seedqa.index.store import (
    DocumentEntry,
    Manifest,
    StoredIndex,
    build_lock,
    check_embedder,
    index_exists,
    live_generations,
    load_index,
    read_manifest,
    remove_stale_generations,
    write_index,
)
from seedqa.index.vectors import build_vector_index, index_kind


@dataclass(frozen=True)
class BuildReport:
    """What a build did; ``summary()`` is the line the CLI prints."""

    index_dir: Path
    documents: int
    chunks: int
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: int = 0
    embedded: int = 0
    over_window: int = 0
    seconds: float = 0.0
    problems: tuple[LoadProblem, ...] = ()
    wrote: bool = False

    def summary(self) -> str:
        """One line: documents, chunks, added/updated/removed/unchanged, seconds."""
        docs = "document" if self.documents == 1 else "documents"
        return (
            f"Indexed {self.documents} {docs} ({self.chunks} chunks) into {self.index_dir}: "
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {self.embedded} chunks embedded in {self.seconds:.2f} s"
        )


@dataclass
class _Plan:
    """Documents sorted into what a build must do with them."""

    keep: dict[str, DocumentEntry] = field(default_factory=dict)
    fresh: dict[str, Document] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Setup:
    """What a build is asked to produce: model, chunking and the sources to mirror."""

    model: str
    chunking: ChunkSettings
    sources: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]


def _resolve_setup(
    paths: Sequence[str | Path] | None,
    model: str | None,
    chunking: tuple[int | None, int | None],
    include: Sequence[str],
    exclude: Sequence[str],
    defaults: Manifest | None,
    embedder: Embedder | None,
) -> _Setup:
    """Fill what the caller left out from ``defaults`` (the existing index) or the defaults.

    The model is the one named, else the index's, else the passed embedder's,
    else the default; each chunk size left out keeps the index's value.
    """
    if model:
        model_name = resolve_model(model)[0]
    elif defaults:
        model_name = defaults.embedder
    else:
        model_name = embedder.name if embedder else resolve_model(None)[0]
    base = ChunkSettings(defaults.chunk_tokens, defaults.overlap_tokens) if defaults else None
    base = base or ChunkSettings()
    chunk_tokens, overlap_tokens = chunking
    settings = ChunkSettings(
        base.chunk_tokens if chunk_tokens is None else chunk_tokens,
        base.overlap_tokens if overlap_tokens is None else overlap_tokens,
    )
    if paths:
        sources = tuple(str(Path(p).resolve()) for p in paths)
    else:
        sources = defaults.sources if defaults else (str(DEFAULT_CORPUS),)
        include = include or (defaults.include if defaults else ())
        exclude = exclude or (defaults.exclude if defaults else ())
    return _Setup(model_name, settings, sources, tuple(include), tuple(exclude))


def _plan(
    documents: Sequence[Document],
    problems: Sequence[LoadProblem],
    previous: Manifest | None,
    rechunk: bool,
) -> _Plan:
    plan = _Plan()
    old = dict(previous.documents) if previous else {}
    failed_sources = {str(Path(p.path).resolve()) for p in problems}
    for doc in documents:
        entry = old.pop(doc.doc_id, None)
        if entry is None:
            plan.added.append(doc.doc_id)
            plan.fresh[doc.doc_id] = doc
        elif entry.content_hash != doc.content_hash or rechunk:
            plan.updated.append(doc.doc_id)
            plan.fresh[doc.doc_id] = doc
        else:
            plan.keep[doc.doc_id] = entry
    for doc_id, entry in old.items():
        if entry.source in failed_sources and Path(entry.source).exists() and not rechunk:
            plan.keep[doc_id] = entry  # still there but unreadable now: keep the old version
        else:
            plan.removed.append(doc_id)
    return plan


def _seed_cache_from_index(cache: EmbeddingCache, stored: StoredIndex, keep: set[str]) -> None:
    """Put the vectors of chunks being kept into the cache so they are not re-embedded."""
    rows = [i for i, chunk in enumerate(stored.chunks) if chunk.doc_id in keep]
    if not rows:
        return
    vectors = stored.vectors.reconstruct_n(0, stored.vectors.ntotal)
    cache.add({text_hash(stored.chunks[i].text): vectors[i] for i in rows})


def build_index(
    paths: Sequence[str | Path] | None,
    index_dir: str | Path,
    *,
    model: str | None = None,
    chunk_tokens: int | None = None,
    overlap_tokens: int | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    rebuild: bool = False,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_status: Callable[[str], None] | None = None,
) -> BuildReport:
    """Make the index at ``index_dir`` mirror the documents under ``paths``.

    ``paths=None`` re-syncs the sources the index was built from (the seed
    corpus for a new index). ``model``, ``chunk_tokens`` and
    ``overlap_tokens`` default to those of the existing index (a new index
    takes the passed ``embedder``'s model, or the default one). Raises
    ``NothingToIndex`` (and writes nothing) when no document could be
    loaded, ``IndexMismatch`` when ``model`` differs from the index's
    embedder without ``rebuild``.
    """
    started = time.perf_counter()
    index_dir = Path(index_dir)
    status = on_status or (lambda message: None)
    with build_lock(index_dir):
        remove_stale_generations(index_dir, keep=live_generations(index_dir))
        previous = None if rebuild or not index_exists(index_dir) else read_manifest(index_dir)
        # A rebuild re-embeds everything but keeps the index's model, settings and sources.
        defaults = _readable_manifest(index_dir) if rebuild else previous
        if previous and model:
            check_embedder(previous, resolve_model(model)[0])
        chunking = (chunk_tokens, overlap_tokens)
        setup = _resolve_setup(paths, model, chunking, include, exclude, defaults, embedder)
        status(f"Reading {', '.join(setup.sources)}")
        loaded = load_paths(setup.sources, include=setup.include, exclude=setup.exclude)
        if not loaded.documents:
            raise NothingToIndex(
                "nothing could be indexed; fix the files named above or give other paths",
                tuple(loaded.problems),
            )
        rechunk = bool(previous) and (
            (previous.chunk_tokens, previous.overlap_tokens)
            != (setup.chunking.chunk_tokens, setup.chunking.overlap_tokens)
        )
        plan = _plan(loaded.documents, loaded.problems, previous, rechunk)
        changed = plan.added or plan.updated or plan.removed
        same_sources = previous and (previous.sources, previous.include, previous.exclude) == (
            setup.sources,
            setup.include,
            setup.exclude,
        )
        if previous and not changed and same_sources:
            return BuildReport(
                index_dir=index_dir,
                documents=len(previous.documents),
                chunks=previous.n_chunks,
                unchanged=len(plan.keep),
                seconds=time.perf_counter() - started,
                problems=tuple(loaded.problems),
            )
        written = _write(index_dir, plan, previous, setup, rebuild, progress, embedder, status)
    return BuildReport(
        index_dir=index_dir,
        documents=written.documents,
        chunks=written.chunks,
        added=tuple(plan.added),
        updated=tuple(plan.updated),
        removed=tuple(plan.removed),
        unchanged=len(plan.keep),
        embedded=written.embedded,
        over_window=written.over_window,
        seconds=time.perf_counter() - started,
        problems=tuple(loaded.problems),
        wrote=True,
    )


def _readable_manifest(index_dir: Path) -> Manifest | None:
    """Return the live manifest, or None when there is none or it cannot be read."""
    try:
        return read_manifest(index_dir) if index_exists(index_dir) else None
    except SeedqaError:
        return None


@dataclass(frozen=True)
class _Written:
    """Counts of a build that wrote a new generation."""

    documents: int
    chunks: int
    embedded: int
    over_window: int


def _write(
    index_dir: Path,
    plan: _Plan,
    previous: Manifest | None,
    setup: _Setup,
    rebuild: bool,
    progress: bool,
    embedder: Embedder | None,
    status: Callable[[str], None],
) -> _Written:
    """Chunk and embed what changed, then write a new generation atomically."""
    stored = load_index(index_dir) if previous else None
    kept_chunks = [c for c in stored.chunks if c.doc_id in plan.keep] if stored else []
    status(f"Chunking {len(plan.fresh)} documents")
    fresh_chunks: list[Chunk] = []
    entries = dict(plan.keep)
    for doc_id, doc in plan.fresh.items():
        chunks = chunk_document(doc, setup.chunking)
        fresh_chunks.extend(chunks)
        entries[doc_id] = DocumentEntry(
            doc_id=doc.doc_id,
            title=doc.title,
            source=doc.source,
            kind=doc.kind,
            content_hash=doc.content_hash,
            n_chars=len(doc.text),
            n_chunks=len(chunks),
            page_starts=doc.page_starts,
        )
    chunks = sorted(kept_chunks + fresh_chunks, key=lambda c: (c.doc_id, c.start, c.end))
    if embedder is None:
        embedder = Embedder.load(setup.model, precision=DEFAULT_PRECISION)
    elif embedder.name != setup.model:
        raise IndexMismatch(
            f"embedder {embedder.name!r} was passed for an index of {setup.model!r}; "
            "use the same model or rebuild"
        )
    if previous:
        check_embedder(previous, embedder.name, embedder.dimension)
    cache = EmbeddingCache(index_dir / "cache", embedder.cache_key, embedder.dimension)
    if rebuild:
        cache.clear()
    if stored:
        _seed_cache_from_index(cache, stored, set(plan.keep))
    texts = [c.text for c in chunks]
    misses_before = cache.misses
    status(f"Embedding {len(fresh_chunks)} chunks with {embedder.name}")
    vectors = cache.embed(embedder, texts, progress=progress)
    embedded = cache.misses - misses_before
    over_window = 0
    if fresh_chunks:
        lengths = embedder.count_model_tokens([c.text for c in fresh_chunks])
        over_window = sum(1 for n in lengths if n > embedder.max_tokens)
    status("Writing the index")
    vector_index = build_vector_index(np.asarray(vectors))
    lexical = LexicalIndex.build(texts)
    manifest = Manifest(
        embedder=embedder.name,
        dimension=embedder.dimension,
        precision=embedder.precision,
        chunk_tokens=setup.chunking.chunk_tokens,
        overlap_tokens=setup.chunking.overlap_tokens,
        vector_index=index_kind(vector_index),
        sources=setup.sources,
        include=setup.include,
        exclude=setup.exclude,
        documents=entries,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    write_index(index_dir, manifest, chunks, vector_index, lexical)
    try:
        cache.save(keep={text_hash(t) for t in texts})
    except OSError as error:  # the index is written; a cache failure only costs time later
        status(f"warning: the embedding cache was not saved ({error})")
    return _Written(len(entries), len(chunks), embedded, over_window)


def add_files(
    files: Sequence[str | Path],
    index_dir: str | Path,
    *,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_status: Callable[[str], None] | None = None,
) -> BuildReport:
    """Add ``files`` to the index's sources and update the index incrementally.

    The existing sources stay (the seed corpus for a new index); nothing
    already indexed is re-embedded.
    """
    index_dir = Path(index_dir)
    previous = read_manifest(index_dir) if index_exists(index_dir) else None
    sources = list(previous.sources) if previous else [str(DEFAULT_CORPUS)]
    for file in files:
        resolved = str(Path(file).resolve())
        if not any(resolved == s or resolved.startswith(s.rstrip("/") + "/") for s in sources):
            sources.append(resolved)
    return build_index(
        sources,
        index_dir,
        include=previous.include if previous else (),
        exclude=previous.exclude if previous else (),
        progress=progress,
        embedder=embedder,
        on_status=on_status,
    )


def remove_document(
    doc_id: str,
    index_dir: str | Path,
    *,
    embedder: Embedder | None = None,
    on_status: Callable[[str], None] | None = None,
) -> BuildReport:
    """Remove one document from the index without touching the others.

    A document that is itself a source is dropped from the sources (and its
    file deleted when it was uploaded into the index directory); one inside
    a source folder is excluded by its path within that folder.
    """
    index_dir = Path(index_dir)
    manifest = read_manifest(index_dir)
    entry = manifest.documents.get(doc_id)
    if entry is None:
        raise InvalidSetting(f"no document {doc_id!r} in the index; check the document list")
    sources = [s for s in manifest.sources if s != entry.source]
    exclude = list(manifest.exclude)
    uploads = (index_dir / UPLOADS_DIR).resolve()
    source = Path(entry.source)
    if len(sources) == len(manifest.sources):  # inside a source folder
        exclude.append(doc_id.split("/", 1)[1] if "/" in doc_id else doc_id)
    if not sources:
        raise NothingToIndex(f"{doc_id} is the only source; index other documents first")
    report = build_index(
        sources,
        index_dir,
        include=manifest.include,
        exclude=exclude,
        embedder=embedder,
        on_status=on_status,
    )
    if source.parent == uploads and source.exists():
        source.unlink()
    return report
