"""Which indexed documents a ``seedqa index PATHS`` run would drop, and what ``--add`` indexes.

``seedqa index PATHS`` makes the index mirror ``PATHS``: documents indexed
from anywhere else are removed. These helpers let the edges warn first and
let ``--add`` keep everything already indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seedqa.index.manifest import Manifest
from seedqa.index.state import IndexState


@dataclass(frozen=True)
class Unnamed:
    """Indexed documents outside the paths of a new run, and the sources that hold them."""

    doc_ids: tuple[str, ...]
    sources: tuple[str, ...]


def _inside(path: Path, root: Path) -> bool:
    """True when ``path`` is ``root`` or lies under it."""
    return path == root or root in path.parents


def live_manifest(index_dir: Path) -> Manifest | None:
    """The live manifest, or None when there is no readable index (the build reports why)."""
    return IndexState.read(index_dir).manifest


def unnamed_documents(index_dir: Path, paths: Sequence[str | Path]) -> Unnamed:
    """Return the documents indexed at ``index_dir`` that lie outside every one of ``paths``."""
    manifest = live_manifest(index_dir)
    if manifest is None:
        return Unnamed((), ())
    roots = [Path(p).resolve() for p in paths]
    outside = [
        entry
        for entry in manifest.documents.values()
        if not any(_inside(Path(entry.source), root) for root in roots)
    ]
    held = {
        source
        for source in manifest.sources
        if any(_inside(Path(entry.source), Path(source)) for entry in outside)
    }
    return Unnamed(tuple(sorted(e.doc_id for e in outside)), tuple(sorted(held)))


def sources_with(
    index_dir: Path, paths: Sequence[str | Path], include: Sequence[str], exclude: Sequence[str]
) -> tuple[list[str], Sequence[str], Sequence[str]]:
    """Paths, includes and excludes for ``--add``: the index's own, plus ``paths``.

    A path inside one of the index's sources is indexed by that source
    already. Without new filters the index's filters stay.
    """
    manifest = live_manifest(index_dir)
    sources = list(manifest.sources) if manifest else []
    for path in paths:
        resolved = Path(path).resolve()
        if not any(_inside(resolved, Path(source)) for source in sources):
            sources.append(str(resolved))
    if manifest and not include and not exclude:
        include, exclude = manifest.include, manifest.exclude
    return sources, include, exclude
