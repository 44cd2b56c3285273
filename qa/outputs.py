"""What ``SeedqaService`` returns besides answers and hits: documents, status, change reports.

Plain records with ``to_json()``, for the CLI, the web chat and the HTTP API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seedqa.index.build import BuildReport


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as the user interfaces show it."""

    doc_id: str
    title: str
    kind: str
    source: str
    n_chars: int
    n_chunks: int
    pages: int | None

    def to_json(self) -> dict[str, Any]:
        """The document as JSON (the HTTP API's document schema)."""
        return asdict(self)


@dataclass(frozen=True)
class IndexStatus:
    """A health summary of the index the service answers from."""

    index_dir: str
    generation: str
    documents: int
    chunks: int
    model: str
    dimension: int
    vector_index: str
    built_at: str
    warning: str = ""  # why answers come from a fallback generation (seedqa index --repair)

    def to_json(self) -> dict[str, Any]:
        """The status as JSON (the HTTP API's health schema)."""
        return asdict(self)


@dataclass(frozen=True)
class ChangeReport:
    """What a change to the index did; ``summary`` is the line to show the user."""

    summary: str
    documents: int
    chunks: int
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    embedded: int = 0
    over_window: int = 0
    problems: tuple[str, ...] = ()
    stored_files: tuple[str, ...] = ()

    @classmethod
    def from_build(cls, report: BuildReport, stored_files: Sequence[str] = ()) -> ChangeReport:
        """Summarise an index build (and the upload file names it stored)."""
        return cls(
            summary=report.summary(),
            documents=report.documents,
            chunks=report.chunks,
            added=report.added,
            updated=report.updated,
            removed=report.removed,
            embedded=report.embedded,
            over_window=report.over_window,
            problems=tuple(str(p) for p in report.problems),
            stored_files=tuple(stored_files),
        )

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return asdict(self)
