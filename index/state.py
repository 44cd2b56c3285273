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

from dataclasses import dataclass
from pathlib import Path

from seedqa.index.errors import IndexCorrupt, IndexNotFound, SeedqaError
from seedqa.index.manifest import Manifest
from seedqa.index.paths import INDEX_DIR_ENV

#: The file holding the name of the live generation.
CURRENT = "CURRENT"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class IndexState:
    """What an index directory held when it was read.

    ``generation`` is the name ``CURRENT`` points at (None when there is no
    ``CURRENT``: no index was ever built there); ``manifest`` is that
    generation's manifest, or None when there is none or it cannot be used,
    in which case ``problem`` says why.
    """

    directory: Path
    generation: str | None = None
    manifest: Manifest | None = None
    problem: SeedqaError | None = None

    @classmethod
    def read(cls, directory: str | Path) -> IndexState:
        """Read ``CURRENT`` and the live manifest of ``directory`` (never raises)."""
        directory = Path(directory)
        pointer = directory / CURRENT
        try:
            name = pointer.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return cls(directory)
        except (OSError, UnicodeDecodeError) as error:
            return cls(directory, "", problem=_corrupt(directory, f"unreadable {CURRENT}: {error}"))
        generation = directory / name
        if not name or not generation.is_dir():
            problem = IndexCorrupt(
                f"index at {directory} points at a missing {name or 'generation'}; "
                "rebuild it with `seedqa index --rebuild`"
            )
            return cls(directory, name, problem=problem)
        try:
            manifest = Manifest.from_json((generation / MANIFEST).read_text(encoding="utf-8"))
        except SeedqaError as error:  # another format version
            return cls(directory, name, problem=error)
        except (OSError, ValueError, TypeError) as error:
            problem = IndexCorrupt(
                f"cannot read the manifest in {generation} ({error}); "
                "rebuild it with `seedqa index --rebuild`"
            )
            return cls(directory, name, problem=problem)
        return cls(directory, name, manifest)

    @property
    def started(self) -> bool:
        """True when an index was ever built here (``CURRENT`` exists, maybe broken)."""
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


def _corrupt(directory: Path, reason: str) -> IndexCorrupt:
    return IndexCorrupt(
        f"index at {directory} is damaged ({reason}); rebuild it with `seedqa index --rebuild`"
    )


def read_manifest(index_dir: str | Path) -> Manifest:
    """Read only the live manifest of ``index_dir``; raise when there is no usable one."""
    return IndexState.read(index_dir).require()
