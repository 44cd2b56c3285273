"""Build and incrementally update an index: load → chunk → embed → store.

``build_index`` makes the index mirror the documents found under the given
paths: new and changed documents (by content hash) are chunked and embedded,
deleted ones are dropped, unchanged ones keep their chunks and vectors. A
file that exists but can no longer be loaded keeps its previous version.
``add_files`` and ``remove_document`` change the sources of an existing index.

Each operation takes the build lock, reads the index's state once
(``IndexState``) and hands it on: planning, loading the previous generation
and writing the next one all see the same generation.

Example:
    >>> report = build_index(["seeds/"], Path(".seedqa"))
    >>> report.summary()  # doctest: +SKIP
    'Indexed 1 document (4 chunks) into .seedqa: 1 added, ...'

"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from seedqa.index.chunk import chunk_document
from seedqa.index.embed import Embedder, EmbeddingCache, resolve_model
from seedqa.index.errors import DocumentNotFound, IndexMismatch, NothingToIndex
from seedqa.index.load import (
    DEFAULT_MAX_FILE_BYTES,
    LoadProblem,
    check_max_file_bytes,
    drop_duplicates,
    load_paths,
)
from seedqa.index.manifest import DocumentEntry, Manifest, StoreSettings, check_embedder
from seedqa.index.paths import DEFAULT_CORPUS, UPLOADS_DIR
from seedqa.index.plan import BuildSetup, Plan, plan_changes, resolve_setup
from seedqa.index.records import Chunk, text_hash
from seedqa.index.state import IndexState, require_recorded_sources
from seedqa.index.store import (
    StoreRequest,
    build_lock,
    load_live,
    remove_unfinished_builds,
    seed_cache,
    write_index,
)
from seedqa.index.stores import StoreUpdate
from seedqa.index.wording import plural

StatusSink = Callable[[str], None]


def _ignore(message: str) -> None:
    """A status sink that drops every message."""


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
        return (
            f"Indexed {plural(self.documents, 'document')} ({plural(self.chunks, 'chunk')}) "
            f"into {self.index_dir}: "
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged; {plural(self.embedded, 'chunk')} embedded "
            f"in {self.seconds:.2f} s"
        )


@dataclass(frozen=True)
class BuildOptions:
    """What the caller asked of a build besides the paths (see ``build_index``)."""

    model: str | None = None
    chunk_tokens: int | None = None
    overlap_tokens: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rebuild: bool = False
    progress: bool = False
    embedder: Embedder | None = None
    status: StatusSink = _ignore
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    store: StoreRequest = StoreRequest()


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
    on_status: StatusSink | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    store: StoreRequest | None = None,
) -> BuildReport:
    """Make the index at ``index_dir`` mirror the documents under ``paths``.

    ``paths=None`` re-syncs the sources the index was built from (the seed
    corpus for a new index). ``model``, ``chunk_tokens`` and
    ``overlap_tokens`` default to those of the existing index (a new index
    takes the passed ``embedder``'s model, or the default one). Raises
    ``NothingToIndex`` (and writes nothing) when no document could be
    loaded, ``IndexMismatch`` when ``model`` differs from the index's
    embedder without ``rebuild``, and the index's own error (e.g.
    ``IndexCorrupt``) when the existing index is broken and ``rebuild`` is off.
    ``store`` (a ``StoreRequest``) moves the vectors to FAISS or a Milvus
    collection without re-embedding; left out, the index keeps its store.
    """
    options = BuildOptions(
        model=model,
        chunk_tokens=chunk_tokens,
        overlap_tokens=overlap_tokens,
        include=tuple(include),
        exclude=tuple(exclude),
        rebuild=rebuild,
        progress=progress,
        embedder=embedder,
        status=on_status or _ignore,
        max_file_bytes=check_max_file_bytes(max_file_bytes),
        store=store or StoreRequest(),
    )
    with build_lock(Path(index_dir)):
        return _sync(IndexState.read(index_dir), paths, options)


def add_files(
    files: Sequence[str | Path],
    index_dir: str | Path,
    *,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_status: StatusSink | None = None,
) -> BuildReport:
    """Add ``files`` to the index's sources and update the index incrementally.

    The existing sources stay (the seed corpus for a new index); nothing
    already indexed is re-embedded.
    """
    with build_lock(Path(index_dir)):
        state = IndexState.read(index_dir)
        previous = state.require() if state.started else None
        sources = list(previous.sources) if previous else [str(DEFAULT_CORPUS)]
        for file in files:
            resolved = str(Path(file).resolve())
            if not any(resolved == s or resolved.startswith(s.rstrip("/") + "/") for s in sources):
                sources.append(resolved)
        options = BuildOptions(
            include=previous.include if previous else (),
            exclude=previous.exclude if previous else (),
            progress=progress,
            embedder=embedder,
            status=on_status or _ignore,
        )
        return _sync(state, sources, options)


def remove_document(
    doc_id: str,
    index_dir: str | Path,
    *,
    embedder: Embedder | None = None,
    on_status: StatusSink | None = None,
) -> BuildReport:
    """Remove one document from the index without touching the others.

    A document that is itself a source is dropped from the sources (and its
    file deleted when it was uploaded into the index directory); one inside
    a source folder is excluded by its path within that folder.
    """
    with build_lock(Path(index_dir)):
        state = IndexState.read(index_dir)
        manifest = state.require()
        entry = manifest.documents.get(doc_id)
        if entry is None:
            raise DocumentNotFound(f"no document {doc_id!r} in the index; check the document list")
        sources = [s for s in manifest.sources if s != entry.source]
        exclude = list(manifest.exclude)
        if len(sources) == len(manifest.sources):  # inside a source folder
            exclude.append(doc_id.split("/", 1)[1] if "/" in doc_id else doc_id)
        if not sources:
            raise NothingToIndex(f"{doc_id} is the only source; index other documents first")
        options = BuildOptions(
            include=manifest.include,
            exclude=tuple(exclude),
            embedder=embedder,
            status=on_status or _ignore,
        )
        report = _sync(state, sources, options)
    source = Path(entry.source)
    if source.parent == (state.directory / UPLOADS_DIR).resolve() and source.exists():
        source.unlink()
    return report


def _sync(
    state: IndexState, paths: Sequence[str | Path] | None, options: BuildOptions
) -> BuildReport:
    """Plan against ``state`` and write a new generation when anything changed (lock held)."""
    started = time.perf_counter()
    remove_unfinished_builds(state.directory)  # generations go only once a new one is live
    if state.problem is not None and not options.rebuild:
        raise state.problem
    if state.started and state.manifest is None and not paths:
        # A rebuild of a broken index mirrors the sources it records, never the seeds.
        paths, include, exclude = require_recorded_sources(state.directory, state.generation)
        options = replace(options, include=include, exclude=exclude)
    if state.warning:
        options.status(f"warning: {state.warning}")
    # A rebuild re-embeds everything but keeps the index's model, settings and sources.
    previous = None if options.rebuild else state.manifest
    if previous and options.model:
        check_embedder(previous, resolve_model(options.model)[0])
    setup = resolve_setup(
        paths,
        options.model,
        (options.chunk_tokens, options.overlap_tokens),
        (options.include, options.exclude),
        state.manifest,
        options.embedder,
    )
    options.status(f"Reading {', '.join(setup.sources)}")
    loaded = load_paths(
        setup.sources,
        include=setup.include,
        exclude=setup.exclude,
        max_file_bytes=options.max_file_bytes,
    )
    if not loaded.documents:
        raise NothingToIndex(
            "nothing could be indexed; fix the files named above or give other paths",
            tuple(loaded.problems),
        )
    # Identical content under two paths is embedded once (the copy already indexed wins).
    indexed = state.manifest.documents if state.manifest else {}
    documents, duplicates = drop_duplicates(loaded.documents, indexed)
    problems = [*loaded.problems, *duplicates]
    plan = plan_changes(documents, loaded.problems, previous, setup.rechunks(previous))
    store = options.store.resolve(state.directory, state.manifest.store if state.manifest else None)
    same_store = previous is not None and store.same_place(previous.store)
    if previous and not plan.changed and setup.same_sources(previous) and same_store:
        return _report(state, plan, problems, started, previous.n_chunks, None)
    written = _write(state, plan, previous, setup, options, store)
    return _report(state, plan, problems, started, written.chunks, written)


def _report(
    state: IndexState,
    plan: Plan,
    problems: Sequence[LoadProblem],
    started: float,
    chunks: int,
    written: _Written | None,
) -> BuildReport:
    """The report of a build that wrote ``written``, or nothing (``None``)."""
    return BuildReport(
        index_dir=state.directory,
        documents=written.documents if written else len(plan.keep),
        chunks=chunks,
        added=tuple(plan.added) if written else (),
        updated=tuple(plan.updated) if written else (),
        removed=tuple(plan.removed) if written else (),
        unchanged=len(plan.keep),
        embedded=written.embedded if written else 0,
        over_window=written.over_window if written else 0,
        seconds=time.perf_counter() - started,
        problems=tuple(problems),
        wrote=written is not None,
    )


@dataclass(frozen=True)
class _Written:
    """Counts of a build that wrote a new generation."""

    documents: int
    chunks: int
    embedded: int
    over_window: int


def _chunk_fresh(plan: Plan, setup: BuildSetup) -> tuple[list[Chunk], dict[str, DocumentEntry]]:
    """Chunk the new and changed documents; return their chunks and every manifest entry."""
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
    return fresh_chunks, entries


def _embedder(setup: BuildSetup, options: BuildOptions, previous: Manifest | None) -> Embedder:
    """The embedder to build with: the one passed (if it is the index's model) or loaded."""
    embedder = options.embedder
    if embedder is None:
        embedder = Embedder.load(setup.model)
    elif embedder.name != setup.model:
        raise IndexMismatch(
            f"embedder {embedder.name!r} was passed for an index of {setup.model!r}; "
            "use the same model or rebuild"
        )
    if previous:
        check_embedder(previous, embedder.name, embedder.dimension)
    return embedder


def _write(
    state: IndexState,
    plan: Plan,
    previous: Manifest | None,
    setup: BuildSetup,
    options: BuildOptions,
    store: StoreSettings,
) -> _Written:
    """Chunk and embed what changed, then write a new generation into ``store`` atomically."""
    stored, live_chunks = load_live(state, previous, store, options.store.token)
    kept_chunks = [c for c in live_chunks if c.doc_id in plan.keep] if previous else []
    options.status(f"Chunking {plural(len(plan.fresh), 'document')}")
    fresh_chunks, entries = _chunk_fresh(plan, setup)
    chunks = sorted(kept_chunks + fresh_chunks, key=lambda c: (c.doc_id, c.start, c.end))
    embedder = _embedder(setup, options, previous)
    cache = EmbeddingCache(state.directory / "cache", embedder.cache_key, embedder.dimension)
    if options.rebuild:
        cache.clear()
    if stored and previous.precision == embedder.precision:
        seed_cache(cache, stored, set(plan.keep))
    elif stored:  # never mix vectors of two precisions in one index: re-embed them all
        options.status(
            f"The index holds {previous.precision} vectors and this embedder makes "
            f"{embedder.precision} ones: re-embedding all {len(chunks)} chunks"
        )
    texts = [c.text for c in chunks]
    misses_before = cache.misses
    options.status(f"Embedding {plural(len(fresh_chunks), 'chunk')} with {embedder.name}")
    vectors = cache.embed(embedder, texts, progress=options.progress)
    embedded = cache.misses - misses_before
    over_window = 0
    if fresh_chunks:
        lengths = embedder.count_model_tokens([c.text for c in fresh_chunks])
        over_window = sum(1 for n in lengths if n > embedder.max_tokens)
    options.status("Writing the index")
    manifest = Manifest(
        embedder=embedder.name,
        dimension=embedder.dimension,
        precision=embedder.precision,
        chunk_tokens=setup.chunking.chunk_tokens,
        overlap_tokens=setup.chunking.overlap_tokens,
        vector_index="",
        sources=setup.sources,
        include=setup.include,
        exclude=setup.exclude,
        documents=entries,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    live_dir = state.generation_dir if state.exists else None
    update = StoreUpdate(state.directory, store, chunks, np.asarray(vectors), state.manifest)
    update = replace(update, live_chunks=live_chunks, live_dir=live_dir, rewrite=options.rebuild)
    write_index(state, manifest, chunks, replace(update, token=options.store.token))
    try:
        cache.save(keep={text_hash(t) for t in texts})
    except OSError as error:  # the index is written; a cache failure only costs time later
        options.status(f"warning: the embedding cache was not saved ({error})")
    return _Written(len(entries), len(chunks), embedded, over_window)
