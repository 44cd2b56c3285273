"""Repair an index whose live pointer is broken: ``seedqa index --repair``.

A build never deletes a generation until its replacement is live, so a
damaged ``CURRENT`` (missing, empty, binary, naming a missing or damaged
generation) nearly always leaves a complete generation behind. ``repair_index``
finds the newest one whose files all match the sizes and checksums in its
manifest and makes it live again: nothing is re-embedded and nothing is
deleted.

Example:
    >>> repair_index(Path(".seedqa")).summary()  # doctest: +SKIP
    'Repaired .seedqa: gen-18a2f... (3 documents, built 2026-11-26T09:00:00+00:00) is live again'

"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedqa.index.errors import IndexCorrupt
from seedqa.index.integrity import find_problems
from seedqa.index.manifest import Manifest
from seedqa.index.state import (
    IndexState,
    complete_manifest,
    generation_names,
    recorded_sources,
)
from seedqa.index.store import build_lock, point_at


@dataclass(frozen=True)
class RepairReport:
    """What ``repair_index`` did: the generation now live, and whether it had to change."""

    index_dir: Path
    generation: str
    documents: int
    built_at: str
    changed: bool
    reason: str = ""

    def summary(self) -> str:
        """One line for the user."""
        what = f"{self.generation} ({self.documents} documents, built {self.built_at})"
        if not self.changed:
            return f"Nothing to repair in {self.index_dir}: {what} is live and intact"
        return f"Repaired {self.index_dir}: {what} is live again (before, it {self.reason})"


def intact_manifest(index_dir: Path, name: str) -> Manifest | None:
    """The manifest of generation ``name`` when every recorded file matches its checksum."""
    manifest = complete_manifest(index_dir, name)
    if manifest is None or find_problems(index_dir / name, manifest.files, checksums=True):
        return None
    return manifest


def repair_index(index_dir: str | Path) -> RepairReport:
    """Make the newest intact generation live when the live one is broken or damaged.

    A live generation that is intact is left alone. Raises ``IndexCorrupt``
    naming the rebuild command when no intact generation is left.
    """
    index_dir = Path(index_dir)
    with build_lock(index_dir):
        state = IndexState.read(index_dir)
        pointed = _pointed_generation(index_dir)
        if pointed and state.warning is None and state.generation == pointed:
            manifest = intact_manifest(index_dir, pointed)
            if manifest is not None:
                return RepairReport(
                    index_dir, pointed, len(manifest.documents), manifest.built_at, False
                )
        for name in generation_names(index_dir):
            manifest = intact_manifest(index_dir, name)
            if manifest is not None:
                point_at(index_dir, name)
                reason = _what_was_wrong(state, pointed)
                return RepairReport(
                    index_dir, name, len(manifest.documents), manifest.built_at, True, reason
                )
    paths = "" if recorded_sources(index_dir, pointed) else " PATHS"
    raise IndexCorrupt(
        f"no intact generation is left in {index_dir} to repair from; rebuild it with "
        f"`seedqa index --rebuild{paths} --index-dir {index_dir}`"
    )


def _pointed_generation(index_dir: Path) -> str:
    """The name ``CURRENT`` holds ("" when it is missing or unreadable)."""
    try:
        return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _what_was_wrong(state: IndexState, pointed: str) -> str:
    """Why the live generation had to change, for the summary."""
    if state.warning:
        return state.warning.removeprefix(f"the index at {state.directory} ").split(";")[0]
    return f"pointed at {pointed}, whose files are damaged"
