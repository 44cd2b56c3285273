"""The state of an index directory, read once per operation: live pointer and manifest.

``IndexState.read(index_dir)`` reads ``CURRENT`` (the name of the live
generation) and that generation's ``manifest.json`` once. Builds
(``index.build``) and loads (``index.store.load_index``) are handed the
state instead of reading them again, so one operation sees one generation.
A state that cannot be used keeps the reason as ``problem``, a
``SeedqaError`` with a one-line message; ``require()`` raises it.

Example:
    >>> state = IndexState.read(Path(".seedqa"))
    >>> state.exists, state.generation  # doctest: +SKIP
    (True, 'gen-18a2f...')

"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from seedqa.index.errors import IndexCorrupt, IndexMismatch, IndexNotFound, SeedqaError
from seedqa.index.manifest import Manifest
from seedqa.index.paths import INDEX_DIR_ENV

#: The file holding the name of the live generation.
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
#: Every generation directory is ``gen-<build time in ns, hex>``.
GENERATION_PREFIX = "gen-"


@dataclass(frozen=True)
class IndexState:
    """What an index directory held when it was read.

    ``generation`` is the generation this operation uses: the one ``CURRENT``
    names, or, when that pointer or its manifest is broken, the newest
    complete generation (``warning`` then says so and names
    ``seedqa index --repair``). It is None when no index was ever built here.
    ``manifest`` is that generation's manifest, or None when there is no
    usable one, in which case ``problem`` says why.
    """

    directory: Path
    generation: str | None = None
    manifest: Manifest | None = None
    problem: SeedqaError | None = None
    warning: str | None = None

    @classmethod
    def read(cls, directory: str | Path) -> IndexState:
        """Read ``CURRENT`` and the live manifest of ``directory`` (never raises)."""
        directory = Path(directory)
        name, reason = _read_pointer(directory)
        if name is None and reason is None:
            return cls(directory)  # never built here
        if reason is None:
            try:
                return cls(directory, name, read_generation(directory, str(name)))
            except IndexMismatch as error:  # another format version: not damage
                return cls(directory, name, problem=error)
            except IndexCorrupt as error:
                reason = str(error)
        fallback = newest_complete(directory, skip=name)
        if fallback is None:
            problem = IndexCorrupt(
                f"index at {directory} {reason} and holds no complete generation; rebuild it "
                f"from your documents with `seedqa index --rebuild PATHS --index-dir {directory}`"
            )
            return cls(directory, name or "", problem=problem)
        found, manifest = fallback
        warning = (
            f"the index at {directory} {reason}; answering from {found}, the newest complete "
            f"generation (built {manifest.built_at or 'at an unknown time'}); make it live "
            f"again with `seedqa index --repair --index-dir {directory}`"
        )
        return cls(directory, found, manifest, warning=warning)

    @property
    def started(self) -> bool:
        """True when an index was ever built here (``CURRENT`` or a generation exists)."""
        return self.generation is not None

    @property
    def exists(self) -> bool:
        """True when the live generation and its manifest can be used."""
        return self.manifest is not None

    @property
    def generation_dir(self) -> Path:
        """The live generation's directory (raises like ``require`` when there is none)."""
        self.require()
        return self.directory / str(self.generation)

    def require(self) -> Manifest:
        """Return the live manifest; raise ``IndexNotFound`` or the state's ``problem``."""
        if self.manifest is not None:
            return self.manifest
        if self.problem is not None:
            raise self.problem
        raise IndexNotFound(
            f"no index at {self.directory}; build one with `seedqa index PATHS` "
            f"(or pass --index-dir / set {INDEX_DIR_ENV})"
        )


def _read_pointer(directory: Path) -> tuple[str | None, str | None]:
    """``(generation name, None)`` from ``CURRENT``, or ``(name or None, what is wrong)``.

    ``(None, None)`` means no index was ever built here: no ``CURRENT`` and
    no generation.
    """
    pointer = directory / CURRENT
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        return None, ("has no CURRENT pointer" if generation_names(directory) else None)
    except OSError as error:
        return "", f"is damaged (CURRENT cannot be read: {error.strerror or error})"
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "", "is damaged (CURRENT is not text)"
    if not name:
        return "", "points at a missing generation (CURRENT is empty)"
    if not is_generation_name(name):
        return "", f"points at {name[:40]!r}, which is not a generation"
    if not (directory / name).is_dir():
        return name, f"points at a missing {name}"
    return name, None


def is_generation_name(name: str) -> bool:
    """True for a finished generation's directory name (``gen-<id>``, no path, not ``.tmp``)."""
    return (
        name.startswith(GENERATION_PREFIX)
        and "/" not in name
        and "\\" not in name
        and not name.endswith(".tmp")
        and name not in (".", "..")
    )


def _age(directory: Path, name: str) -> tuple[int, float]:
    """Sort key, oldest first: the build time in a ``gen-<hex ns>`` name, else the mtime."""
    try:
        return int(name[len(GENERATION_PREFIX) :], 16), 0.0
    except ValueError:
        try:
            return 0, (directory / name).stat().st_mtime
        except OSError:
            return 0, 0.0


def generation_names(directory: Path) -> list[str]:
    """Names of the finished generation directories in ``directory``, newest first."""
    try:
        names = [p.name for p in directory.iterdir() if is_generation_name(p.name) and p.is_dir()]
    except OSError:
        return []
    return sorted(names, key=lambda n: _age(directory, n), reverse=True)


def read_generation(directory: Path, name: str) -> Manifest:
    """Read and check the manifest of generation ``name``.

    Raises ``IndexMismatch`` for another format version and ``IndexCorrupt``
    naming the problem for anything else.
    """
    generation = directory / name
    try:
        return Manifest.from_json((generation / MANIFEST).read_text(encoding="utf-8"))
    except IndexMismatch:
        raise
    except (OSError, ValueError, TypeError) as error:
        detail = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise IndexCorrupt(f"has a damaged manifest in {name} ({detail})") from error


#: The files every generation has (checked for generations that record no sizes).
_REQUIRED = ("chunks.jsonl", "vectors.faiss", "bm25")


def complete_manifest(directory: Path, name: str) -> Manifest | None:
    """The manifest of generation ``name`` when it is complete (all files at their sizes)."""
    from seedqa.index.integrity import find_problems

    try:
        manifest = read_generation(directory, name)
    except SeedqaError:
        return None
    generation = directory / name
    if manifest.files:
        return None if find_problems(generation, manifest.files, checksums=False) else manifest
    return manifest if all((generation / f).exists() for f in _REQUIRED) else None


def newest_complete(directory: Path, skip: str | None = None) -> tuple[str, Manifest] | None:
    """The newest complete generation other than ``skip``, with its manifest; None if none."""
    for name in generation_names(directory):
        if name != skip:
            manifest = complete_manifest(directory, name)
            if manifest is not None:
                return name, manifest
    return None


def recorded_sources(
    directory: Path, first: str | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """``(sources, include, exclude)`` from any generation's manifest, even a damaged one.

    Looks at generation ``first`` (the one ``CURRENT`` names), then the
    others newest first, and reads only those three fields, leniently: a
    rebuild of a broken index mirrors what the user had, never the seeds.
    """
    import json

    names = [first] if first and is_generation_name(first) else []
    names += [n for n in generation_names(directory) if n != first]
    for name in names:
        try:
            data = json.loads((directory / name / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        fields = [data.get(key) for key in ("sources", "include", "exclude")]
        texts = [
            tuple(v) if isinstance(v, list) and all(isinstance(x, str) for x in v) else ()
            for v in fields
        ]
        if texts[0]:
            return texts[0], texts[1], texts[2]
    return None


def require_recorded_sources(
    directory: Path, first: str | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``recorded_sources``, or ``IndexCorrupt`` asking for the paths when none is recorded."""
    recorded = recorded_sources(directory, first)
    if recorded is None:
        raise IndexCorrupt(
            f"no manifest in {directory} records the sources it was built from; rebuild it "
            f"from your documents with `seedqa index --rebuild PATHS --index-dir {directory}`"
        )
    return recorded


def read_manifest(index_dir: str | Path) -> Manifest:
    """Read only the live manifest of ``index_dir``; raise when there is no usable one."""
    return IndexState.read(index_dir).require()


def pointer_stamp(index_dir: Path) -> tuple[int, int, int] | None:
    """A cheap fingerprint of the live pointer (inode, mtime, size); None when there is none.

    Every build swaps ``CURRENT`` by ``os.replace``, which gives it a new
    inode, so a changed stamp means another generation may be live.
    """
    try:
        info = os.stat(Path(index_dir) / CURRENT)
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size
