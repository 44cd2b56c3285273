"""Verify an index: ``seedqa check [--deep]``.

``check_index`` compares every file of the live generation with the size and
checksum its manifest records, reads the chunk table and checks it against
the manifest (documents, chunk counts, offsets). With ``deep=True`` it also
reads every source file again and checks that each chunk's text is still
the source's text at the chunk's offsets: sources changed or deleted since
they were indexed are listed with the command that re-indexes them.

Example:
    >>> report = check_index(Path(".seedqa"), deep=True)
    >>> report.ok, report.lines()  # doctest: +SKIP

"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from seedqa.index.errors import SeedqaError
from seedqa.index.integrity import find_problems
from seedqa.index.manifest import DocumentEntry
from seedqa.index.records import Chunk
from seedqa.index.state import IndexState
from seedqa.index.store import read_chunks


@dataclass(frozen=True)
class SourceChange:
    """One indexed document whose source no longer matches the index."""

    doc_id: str
    source: str
    change: str  # "changed", "deleted", "unreadable" or "chunk text differs"
    detail: str = ""


@dataclass(frozen=True)
class CheckReport:
    """The findings of ``check_index``; ``ok`` when there are none."""

    index_dir: Path
    generation: str
    documents: int
    chunks: int
    files: int
    deep: bool
    problems: tuple[str, ...] = ()
    sources: tuple[SourceChange, ...] = ()
    unchanged_sources: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing is damaged, stale or missing."""
        return not self.problems and not self.sources and not self.warnings

    def lines(self) -> list[str]:
        """The report as lines for the user, the verdict first."""
        head = (
            f"{self.index_dir}: {self.generation}, {self.documents} documents, "
            f"{self.chunks} chunks, {self.files} files"
        )
        lines = [f"{'OK' if self.ok else 'PROBLEMS'} {head}"]
        lines += [f"warning: {w}" for w in self.warnings]
        lines += [f"damaged: {p}" for p in self.problems]
        if self.problems:
            lines.append(
                f"fix: `seedqa index --repair --index-dir {self.index_dir}` goes back to the "
                f"newest intact generation; `seedqa index --rebuild --index-dir {self.index_dir}` "
                "re-embeds the sources"
            )
        if self.deep:
            counts = Counter(s.change for s in self.sources)
            summary = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))
            lines.append(
                f"sources: {self.unchanged_sources} match the index"
                + (f", {summary}" if summary else "")
            )
        for change in self.sources:
            detail = f" ({change.detail})" if change.detail else ""
            lines.append(f"{change.change}: {change.doc_id} from {change.source}{detail}")
        if self.sources:
            rebuild = any(s.change == "chunk text differs" for s in self.sources)
            command = "seedqa index --rebuild" if rebuild else "seedqa index"
            lines.append(
                f"fix: `{command} --index-dir {self.index_dir}` re-indexes them from the "
                "sources the index records"
            )
        return lines


def check_index(index_dir: str | Path, *, deep: bool = False) -> CheckReport:
    """Verify the live generation of ``index_dir`` (and, with ``deep``, its sources).

    Raises the index's own error when there is no usable generation at all.
    """
    state = IndexState.read(index_dir)
    manifest = state.require()
    generation = state.generation_dir
    warnings = (state.warning,) if state.warning else ()
    problems = [str(p) for p in find_problems(generation, manifest.files, checksums=True)]
    if not manifest.files:
        problems.append(
            f"{generation.name}: no sizes or checksums recorded (built by an older seedqa); "
            "`seedqa index --rebuild` records them"
        )
    chunks: list[Chunk] = []
    if not problems:
        try:
            chunks = read_chunks(generation / "chunks.jsonl")
        except (OSError, ValueError, KeyError, TypeError) as error:
            problems.append(f"{generation.name}/chunks.jsonl: unreadable ({error})")
        problems += _table_problems(generation.name, chunks, manifest.documents)
    report = CheckReport(
        Path(index_dir),
        generation.name,
        len(manifest.documents),
        manifest.n_chunks,
        len(manifest.files),
        deep,
        tuple(problems),
        warnings=warnings,
    )
    if not deep or problems:
        return report
    changes = _source_changes(manifest.documents, chunks)
    unchanged = len(manifest.documents) - len({c.doc_id for c in changes})
    return replace(report, sources=tuple(changes), unchanged_sources=unchanged)


def _table_problems(
    name: str, chunks: list[Chunk], documents: dict[str, DocumentEntry]
) -> list[str]:
    """Disagreements between the chunk table and the manifest."""
    problems = []
    counts = Counter(c.doc_id for c in chunks)
    for doc_id, entry in sorted(documents.items()):
        if counts.get(doc_id, 0) != entry.n_chunks:
            problems.append(
                f"{name}/chunks.jsonl: {counts.get(doc_id, 0)} chunks of {doc_id}, "
                f"the manifest says {entry.n_chunks}"
            )
    strays = sorted(set(counts) - set(documents))
    if strays:
        problems.append(f"{name}/chunks.jsonl: holds chunks of {strays[0]}, not in the manifest")
    for row, chunk in enumerate(chunks):
        entry = documents.get(chunk.doc_id)
        if len(chunk.text) != chunk.end - chunk.start or (entry and chunk.end > entry.n_chars):
            problems.append(f"{name}/chunks.jsonl: row {row} has offsets that do not fit its text")
            break
    return problems


def _source_changes(
    documents: dict[str, DocumentEntry], chunks: list[Chunk]
) -> list[SourceChange]:
    """Read every source again and compare it with the index."""
    from seedqa.index.load import load_file

    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    changes = []
    for doc_id, entry in sorted(documents.items()):
        source = Path(entry.source)
        if not source.exists():
            changes.append(SourceChange(doc_id, entry.source, "deleted"))
            continue
        try:
            document = load_file(source, source.parent)
        except SeedqaError as error:
            reason = getattr(error, "reason", str(error))
            changes.append(SourceChange(doc_id, entry.source, "unreadable", reason))
            continue
        if document.content_hash != entry.content_hash:
            changes.append(SourceChange(doc_id, entry.source, "changed"))
            continue
        for chunk in by_doc.get(doc_id, []):
            if document.text[chunk.start : chunk.end] != chunk.text:
                detail = f"chars {chunk.start}-{chunk.end}"
                changes.append(SourceChange(doc_id, entry.source, "chunk text differs", detail))
                break
    return changes
