"""What the service offers the user interfaces beyond asking: sources, feedback, ``--add``.

A mixin of ``SeedqaService`` (kept apart so that each module stays small):
the whole text of a cited document for the source viewer, ratings of answers
and their export as a QA set, the documents a ``seedqa index PATHS`` run
would drop, and ``seedqa index --add``, which keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from seedqa.qa.errors import InvalidSetting
from seedqa.qa.feedback import ExportReport, Feedback, FeedbackStore
from seedqa.qa.sources_named import Unnamed, sources_with, unnamed_documents
from seedqa.qa.uploads import supported_suffixes

if TYPE_CHECKING:
    from seedqa.qa.answer import Assistant
    from seedqa.qa.outputs import ChangeReport
    from seedqa.qa.sources import SourceText


class SourcesAndFeedback:
    """Source texts, feedback and removal warnings for an index directory (a service mixin)."""

    index_dir: Path

    def assistant(self) -> Assistant:  # provided by SeedqaService
        """The live assistant."""
        raise NotImplementedError

    def index(self, paths: Sequence[str | Path] | None = None, **options: Any) -> ChangeReport:
        """Build or update the index (provided by SeedqaService)."""
        raise NotImplementedError

    def add_paths(self, paths: Sequence[str | Path], **options: Any) -> ChangeReport:
        """Index ``paths`` and keep everything already indexed (``seedqa index --add``).

        A path inside one of the index's sources is indexed by that source
        already; without new ``include``/``exclude`` the index's filters stay.
        ``options`` are those of ``index``.
        """
        include, exclude = options.pop("include", ()), options.pop("exclude", ())
        sources, include, exclude = sources_with(self.index_dir, paths, include, exclude)
        return self.index(sources, include=include, exclude=exclude, **options)

    @property
    def supported_suffixes(self) -> tuple[str, ...]:
        """The file suffixes that can be indexed and uploaded."""
        return supported_suffixes()

    def source(self, doc_id: str) -> SourceText:
        """Return the whole text of an indexed document as indexed (for the source viewer)."""
        from seedqa.qa.sources import read_source

        stored = self.assistant().retriever.stored
        entry = stored.manifest.documents.get(doc_id)
        if entry is None:
            raise InvalidSetting(f"{doc_id!r} is not an indexed document; it may have been removed")
        return read_source(entry, stored.chunks)

    def record_feedback(self, feedback: Feedback) -> Feedback:
        """Store a thumbs up/down on an answer in ``<index-dir>/feedback.jsonl``."""
        return FeedbackStore(self.index_dir).record(feedback)

    def export_feedback(self, out: str | Path) -> ExportReport:
        """Write the stored feedback as a QA set for ``seedqa eval qa``."""
        return FeedbackStore(self.index_dir).export_qa_set(out)

    def unnamed_documents(self, paths: Sequence[str | Path]) -> Unnamed:
        """The indexed documents ``index(paths)`` would remove, and the sources holding them."""
        return unnamed_documents(self.index_dir, paths)
