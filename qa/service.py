"""The application service: the one object the CLI, the web chat and the HTTP API call.

A ``SeedqaService`` owns one index directory and everything done to it on a
user's behalf: the loaded ``Assistant``, questions and searches, the list of
documents, a status summary, indexing, uploads (checked, then copied into
``<index-dir>/uploads/``), removals, reloads, and the first-start bootstrap
(the seed corpus is indexed only at the default location).

Example:
    >>> from seedqa.qa.service import SeedqaService
    >>> service = SeedqaService(".seedqa")
    >>> service.ask("How much will Xiaomi invest?").answer  # doctest: +SKIP
    >>> service.add_uploads([("/tmp/notes.md", "notes.md")]).summary  # doctest: +SKIP

Threads: every method may be called from many threads at once. A question
takes the assistant that is live when it starts and finishes on it, so a
change swapping in a new index generation never mixes two generations in
one answer. Changes (indexing, uploads, removals, reloads) run one at a time.

Errors are ``SeedqaError`` subclasses (``qa.errors``) with one-line messages.

"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedqa.index.errors import not_writable
from seedqa.index.paths import (
    DEFAULT_INDEX_DIR,
    INDEX_DIR_ENV,
    UPLOADS_DIR,
    default_index_dir,
    is_default_index_dir,
)
from seedqa.qa.errors import IndexNotFound, SeedqaError
from seedqa.qa.inputs import DEFAULT_K, MAX_K, check_k, check_limit, check_mode, validate_request
from seedqa.qa.modes import DEFAULT_MODE, MODES
from seedqa.qa.outputs import ChangeReport, DocumentInfo, IndexStatus
from seedqa.qa.service_extras import SourcesAndFeedback
from seedqa.qa.uploads import (
    DEFAULT_MAX_UPLOAD_BYTES,
    check_upload,
    free_target,
)

# The engine is imported by the methods that use it: importing this module stays cheap.
if TYPE_CHECKING:
    from seedqa.index.check import CheckReport
    from seedqa.index.embed import Embedder
    from seedqa.index.recovery import RepairReport
    from seedqa.qa.answer import Answer, Assistant
    from seedqa.qa.retriever import Hit

__all__ = [
    "DEFAULT_INDEX_DIR",
    "DEFAULT_K",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "DEFAULT_MODE",
    "INDEX_DIR_ENV",
    "MAX_K",
    "MODES",
    "ChangeReport",
    "DocumentInfo",
    "IndexStatus",
    "SeedqaService",
]

#: Receives one-line progress messages ("Embedding 12 chunks with ...").
StatusSink = Callable[[str], None]


class SeedqaService(SourcesAndFeedback):
    """Everything a user does with one index directory, safe to share between threads.

    ``index_dir`` defaults to ``$SEEDQA_INDEX_DIR`` or ``.seedqa``; only
    there does a missing index get built from the seed corpus on first use.
    ``embedder`` is an already loaded model to use (else it is loaded once,
    when first needed). ``k`` and ``mode`` are the defaults of ``ask`` and
    ``search``; ``answerer`` names what picks answers (``qa.answerers``).
    ``on_status`` receives progress lines; ``progress`` shows a progress bar.
    """

    def __init__(
        self,
        index_dir: str | Path | None = None,
        *,
        embedder: Embedder | None = None,
        k: int = DEFAULT_K,
        mode: str = DEFAULT_MODE,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        on_status: StatusSink | None = None,
        progress: bool = False,
        answerer: str = "similarity",
    ) -> None:
        from seedqa.qa.answerers import check_answerer

        self.index_dir = Path(index_dir) if index_dir else default_index_dir()
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise not_writable(self.index_dir, FileExistsError(self.index_dir))
        self.uses_default_location = is_default_index_dir(index_dir)
        self.k = check_k(k)
        self.mode = check_mode(mode)
        self.answerer = check_answerer(answerer)
        self.max_upload_bytes = check_limit("max_upload_bytes", max_upload_bytes)
        self.progress = progress
        self._on_status: StatusSink = on_status or (lambda message: None)
        self._embedder = embedder
        self._assistant: Assistant | None = None
        self._stamp: tuple[int, int, int] | None = None  # the live pointer when loaded
        self._failed: tuple[tuple[int, int, int] | None, SeedqaError] | None = None
        self._warning = ""  # why the index answers from a fallback generation, if it does
        self._lock = threading.RLock()  # changes and loads, one at a time

    # ------------------------------------------------------------------ reading

    def assistant(self) -> Assistant:
        """Return the assistant over the live generation, loading it when needed.

        The first call loads the index (bootstrapping the seed corpus at the
        default location). Every call then compares a stamp of the live
        pointer (``CURRENT``'s inode, mtime and size: one ``stat``) with the
        one loaded; when a build outside this process (``seedqa index``) has
        made another generation live, the next request loads it. Requests
        already running keep the assistant they started with.
        """
        from seedqa.index.state import pointer_stamp

        current = self._assistant
        if current is not None and pointer_stamp(self.index_dir) == self._stamp:
            return current
        with self._lock:
            stamp = pointer_stamp(self.index_dir)
            if self._assistant is not None and stamp == self._stamp:
                return self._assistant
            if self._assistant is None:
                self.ensure_index()
                stamp = pointer_stamp(self.index_dir)
            elif self._failed is not None and self._failed[0] == stamp:
                raise self._failed[1]  # the same broken index: do not load it again
            try:
                fresh = self._load()
            except SeedqaError as error:
                self._failed = (stamp, error)
                raise
            if self._assistant is not None:
                self._on_status(
                    "The index changed on disk: now answering from "
                    f"{fresh.retriever.stored.generation}"
                )
            self._assistant, self._stamp, self._failed = fresh, stamp, None
            return fresh

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer ``question`` with cited sentences; ``history`` resolves follow-ups."""
        request = validate_request(question, self._k(k), mode or self.mode, history=history)
        return self.assistant().ask(
            request.text, history=request.history, k=request.k, mode=request.mode
        )

    def search(self, query: str, k: int | None = None, mode: str | None = None) -> list[Hit]:
        """Return the top ``k`` passages for ``query`` (no answer); blank text finds nothing."""
        request = validate_request(query, self._k(k), mode or self.mode, what="query")
        return self.assistant().retriever.search(request.text, k=request.k, mode=request.mode)

    def documents(self) -> list[DocumentInfo]:
        """Return the indexed documents, sorted by id."""
        manifest = self.assistant().retriever.stored.manifest
        return [
            DocumentInfo(
                doc_id=entry.doc_id,
                title=entry.title,
                kind=entry.kind,
                source=entry.source,
                n_chars=entry.n_chars,
                n_chunks=entry.n_chunks,
                pages=len(entry.page_starts) or None,
            )
            for entry in sorted(manifest.documents.values(), key=lambda e: e.doc_id)
        ]

    def status(self) -> IndexStatus:
        """Return a summary of the live index: generation, counts, model."""
        stored = self.assistant().retriever.stored
        manifest = stored.manifest
        return IndexStatus(
            index_dir=str(self.index_dir),
            generation=stored.generation,
            documents=len(manifest.documents),
            chunks=len(stored.chunks),
            model=manifest.embedder,
            dimension=manifest.dimension,
            vector_index=manifest.vector_index,
            built_at=manifest.built_at,
            warning=self._warning,
        )

    # ------------------------------------------------------------------ changing

    def ensure_index(self, on_status: StatusSink | None = None) -> ChangeReport | None:
        """Make sure there is an index; return the bootstrap's report when one was built.

        At the default location a missing index is built from the seed
        corpus; elsewhere ``IndexNotFound`` names the command that builds one.
        An index that exists but is broken is left for loading to report.
        """
        from seedqa.index.state import IndexState

        status = on_status or self._on_status
        with self._lock:
            if IndexState.read(self.index_dir).started:
                return None
            from seedqa.index.build import build_index  # only now: it imports the chunker
            if not self.uses_default_location:
                raise IndexNotFound(
                    f"no index at {self.index_dir}; build one with "
                    f"`seedqa index PATHS --index-dir {self.index_dir}`"
                )
            status(f"No index at {self.index_dir} yet: indexing the seed corpus first")
            report = build_index(
                None,
                self.index_dir,
                progress=self.progress,
                embedder=self._embedder_for(None),
                on_status=status,
            )
            status(report.summary())
            return ChangeReport.from_build(report)

    def index(
        self,
        paths: Sequence[str | Path] | None = None,
        *,
        model: str | None = None,
        chunk_tokens: int | None = None,
        overlap_tokens: int | None = None,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
        rebuild: bool = False,
        on_status: StatusSink | None = None,
        max_file_bytes: int | None = None,
        store: dict[str, str] | None = None,
    ) -> ChangeReport:
        """Make the index mirror ``paths`` (``seedqa index``); see ``index.build.build_index``.

        No ``paths``: the index's sources (seeds for a new index). What is left out keeps its
        value. ``store``: kind, uri, collection, token. Files over ``max_file_bytes`` are skipped.
        """
        from seedqa.index.build import StoreRequest, build_index
        from seedqa.index.load import DEFAULT_MAX_FILE_BYTES

        with self._lock:
            report = build_index(
                paths,
                self.index_dir,
                model=model,
                chunk_tokens=chunk_tokens,
                overlap_tokens=overlap_tokens,
                include=include,
                exclude=exclude,
                rebuild=rebuild,
                progress=self.progress,
                embedder=self._embedder_for(model),
                on_status=on_status or self._on_status,
                max_file_bytes=max_file_bytes or DEFAULT_MAX_FILE_BYTES,
                store=StoreRequest(**(store or {})),
            )
            if report.wrote and self._assistant is not None:
                self.reload()
        return ChangeReport.from_build(report)

    def check_upload(self, path: str | Path, name: str | None = None) -> str:
        """Check one upload (type, size, readable); return its safe name or raise UploadRejected."""
        return check_upload(path, name, self.max_upload_bytes)

    def add_uploads(
        self,
        files: Sequence[tuple[str | Path, str]],
        on_status: StatusSink | None = None,
    ) -> ChangeReport:
        """Check ``(path, original name)`` uploads, copy them in and index them.

        Every file is checked before anything is copied: one rejected file
        rejects the upload and leaves the index and ``uploads/`` unchanged.
        The report's ``stored_files`` are the names the files were stored as.
        """
        from seedqa.index.build import add_files

        names = [self.check_upload(path, name) for path, name in files]
        status = on_status or self._on_status
        with self._lock:
            embedder = self.assistant().retriever.embedder
            folder = self.index_dir / UPLOADS_DIR
            created = not folder.exists()
            folder.mkdir(parents=True, exist_ok=True)
            targets: list[Path] = []
            try:
                for (path, _), name in zip(files, names, strict=True):
                    target = free_target(folder, name)
                    shutil.copyfile(path, target)
                    targets.append(target)
                report = add_files(targets, self.index_dir, embedder=embedder, on_status=status)
            except BaseException:
                for target in targets:
                    target.unlink(missing_ok=True)
                if created:
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            status("Loading the updated index")
            self.reload()
        return ChangeReport.from_build(report, [t.name for t in targets])

    def remove(self, doc_id: str, on_status: StatusSink | None = None) -> ChangeReport:
        """Remove one document from the index (its uploaded file too) and reload."""
        from seedqa.index.build import remove_document

        with self._lock:
            embedder = self.assistant().retriever.embedder
            report = remove_document(
                doc_id, self.index_dir, embedder=embedder, on_status=on_status or self._on_status
            )
            self.reload()
        return ChangeReport.from_build(report)

    def repair(self) -> RepairReport:
        """Make the newest intact generation live again (``seedqa index --repair``).

        Nothing is re-embedded or deleted; see ``index.recovery.repair_index``.
        """
        from seedqa.index.recovery import repair_index

        with self._lock:
            report = repair_index(self.index_dir)
            if report.changed and self._assistant is not None:
                self.reload()
        return report

    def check(self, deep: bool = False) -> CheckReport:
        """Verify the index's files (sizes, checksums) and, with ``deep``, its sources.

        See ``index.check.check_index``; the report's ``lines()`` are what
        ``seedqa check`` prints.
        """
        from seedqa.index.check import check_index

        return check_index(self.index_dir, deep=deep)

    def reload(self) -> Assistant:
        """Load the live index generation again and answer from it from now on.

        Questions already being answered finish on the generation they started with.
        """
        from seedqa.index.state import pointer_stamp

        with self._lock:
            stamp = pointer_stamp(self.index_dir)
            fresh = self._load()
            self._assistant, self._stamp, self._failed = fresh, stamp, None
        return fresh

    # ------------------------------------------------------------------ internals

    def _k(self, k: int | None) -> int:
        """The request's ``k``, or the service's default when none is given."""
        return self.k if k is None else k

    def _load(self) -> Assistant:
        """Load an assistant over the live generation, reusing the loaded model if it fits."""
        from seedqa.index.state import IndexState
        from seedqa.qa.answer import Assistant

        state = IndexState.read(self.index_dir)
        embedder = self._embedder_for(state.require().embedder)
        reuse = {"sentence_vectors": self._assistant.sentence_vectors} if self._assistant else {}
        options = {"k": self.k, "mode": self.mode, "answerer": self.answerer, **reuse}
        assistant = Assistant.load(state, embedder=embedder, **options)
        self._embedder = assistant.retriever.embedder
        self._warning = state.warning or ""
        if state.warning:
            self._on_status(f"warning: {state.warning}")
        return assistant

    def _embedder_for(self, model: str | None) -> Embedder | None:
        """The model already loaded, when it is ``model`` (None: whichever is loaded)."""
        from seedqa.index.embed import resolve_model

        current = self._assistant.retriever.embedder if self._assistant else self._embedder
        if current is None or model is None or current.name == resolve_model(model)[0]:
            return current
        return None
