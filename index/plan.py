"""What a build must do: the resolved settings and the documents sorted by change.

``resolve_setup`` fills what the caller left out from the existing index (or
the defaults); ``plan_changes`` compares the loaded documents with the
manifest by content hash: new, changed, unchanged, gone. ``index.build``
carries the plan out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedqa.index.chunk import ChunkSettings
from seedqa.index.embed import Embedder, resolve_model
from seedqa.index.load import LoadProblem
from seedqa.index.manifest import DocumentEntry, Manifest
from seedqa.index.paths import DEFAULT_CORPUS
from seedqa.index.records import Document


@dataclass(frozen=True)
class BuildSetup:
    """What a build is asked to produce: model, chunking and the sources to mirror."""

    model: str
    chunking: ChunkSettings
    sources: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    def same_sources(self, manifest: Manifest) -> bool:
        """True when ``manifest`` mirrors the same sources with the same filters."""
        return (manifest.sources, manifest.include, manifest.exclude) == (
            self.sources,
            self.include,
            self.exclude,
        )

    def rechunks(self, manifest: Manifest | None) -> bool:
        """True when ``manifest`` was chunked with other settings (everything is re-chunked)."""
        return manifest is not None and (manifest.chunk_tokens, manifest.overlap_tokens) != (
            self.chunking.chunk_tokens,
            self.chunking.overlap_tokens,
        )


def resolve_setup(
    paths: Sequence[str | Path] | None,
    model: str | None,
    chunking: tuple[int | None, int | None],
    filters: tuple[Sequence[str], Sequence[str]],
    defaults: Manifest | None,
    embedder: Embedder | None,
) -> BuildSetup:
    """Fill what the caller left out from ``defaults`` (the existing index) or the defaults.

    The model is the one named, else the index's, else the passed embedder's,
    else the default; each chunk size left out keeps the index's value; no
    ``paths`` means the index's sources (and filters), or the seed corpus.
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
    include, exclude = filters
    if paths:
        sources = tuple(str(Path(p).resolve()) for p in paths)
    else:
        sources = defaults.sources if defaults else (str(DEFAULT_CORPUS),)
        include = include or (defaults.include if defaults else ())
        exclude = exclude or (defaults.exclude if defaults else ())
    return BuildSetup(model_name, settings, sources, tuple(include), tuple(exclude))


@dataclass
class Plan:
    """Documents sorted into what a build must do with them."""

    keep: dict[str, DocumentEntry] = field(default_factory=dict)
    fresh: dict[str, Document] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when some document is added, updated or removed."""
        return bool(self.added or self.updated or self.removed)


def plan_changes(
    documents: Sequence[Document],
    problems: Sequence[LoadProblem],
    previous: Manifest | None,
    rechunk: bool,
) -> Plan:
    """Sort ``documents`` against the ``previous`` manifest by content hash.

    A document of the previous index whose file still exists but failed to
    load now keeps its previous version (unless everything is re-chunked).
    """
    plan = Plan()
    old = dict(previous.documents) if previous else {}
    failed_sources = {os.path.realpath(p.path) for p in problems}  # no error on link loops
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
