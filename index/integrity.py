"""File integrity of an index generation: sizes and checksums recorded in the manifest.

A build records every file of a generation (all but ``manifest.json``) in the
manifest as ``FileRecord(size, "xxh3_128:<hex>")``. Loading checks the sizes
of all of them and the checksums of the files it reads (``verify_files``), so
a truncated, zeroed or edited file is refused with a message that names it
instead of giving wrong answers.

xxHash's XXH3 was chosen by measurement (``eval/bench_checksums.py``): over
the files of a one-million-chunk index it ran more than ten times faster than
BLAKE2b and BLAKE2s, and faster than SHA-256 (README, Reliability).

Example:
    >>> records = record_files(Path(".seedqa/gen-18a2f"))  # doctest: +SKIP
    >>> verify_files(Path(".seedqa/gen-18a2f"), records)  # raises IndexCorrupt if damaged

"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import xxhash

from seedqa.index.errors import IndexCorrupt
from seedqa.index.manifest import FileRecord

#: The checksum recorded for each file, as the prefix of ``FileRecord.checksum``.
ALGORITHM = "xxh3_128"
#: Files are read in blocks of this many bytes.
BLOCK = 8 * 1024 * 1024
#: The manifest describes the other files and is not recorded in itself.
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FileProblem:
    """One file of a generation that is missing, of the wrong size or checksum."""

    path: str
    reason: str

    def __str__(self) -> str:
        """``gen-x/vectors.faiss: checksum mismatch`` on one line."""
        return f"{self.path}: {self.reason}"


def checksum_file(path: Path) -> str:
    """Return ``"xxh3_128:<hex>"`` of the file at ``path``."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return f"{ALGORITHM}:{digest.hexdigest()}"


def _files(generation: Path) -> Iterator[Path]:
    """Every regular file of a generation except its manifest, in sorted order."""
    for path in sorted(generation.rglob("*")):
        if path.is_file() and path.relative_to(generation).as_posix() != MANIFEST:
            yield path


def record_files(generation: Path) -> dict[str, FileRecord]:
    """Size and checksum of every file of ``generation`` (but the manifest), by relative path."""
    records = {}
    for path in _files(generation):
        records[path.relative_to(generation).as_posix()] = FileRecord(
            path.stat().st_size, checksum_file(path)
        )
    return records


def find_problems(
    generation: Path, records: Mapping[str, FileRecord], *, checksums: bool
) -> list[FileProblem]:
    """Return every recorded file that is missing or has another size (or checksum)."""
    problems = []
    for name, record in sorted(records.items()):
        path = generation / name
        where = f"{generation.name}/{name}"
        try:
            size = path.stat().st_size
        except OSError:
            problems.append(FileProblem(where, "missing"))
            continue
        if size != record.size:
            reason = f"{size:,} bytes, the manifest says {record.size:,}"
            problems.append(FileProblem(where, reason))
        elif checksums and not record.checksum.startswith(f"{ALGORITHM}:"):
            problems.append(FileProblem(where, f"unknown checksum {record.checksum.split(':')[0]}"))
        elif checksums and checksum_file(path) != record.checksum:
            problems.append(FileProblem(where, "checksum mismatch (the file was changed)"))
    return problems


def verify_files(
    generation: Path, records: Mapping[str, FileRecord], *, checksums: bool = True
) -> None:
    """Raise ``IndexCorrupt`` naming the first damaged file of ``generation``.

    Sizes are always compared; ``checksums`` also compares every file's
    checksum (what loading does). A generation without records (built by an
    older seedqa) is not checked.
    """
    problems = find_problems(generation, records, checksums=checksums)
    if problems:
        raise damaged(generation.parent, problems[0])


def damaged(index_dir: Path, problem: FileProblem | str) -> IndexCorrupt:
    """The one-line ``IndexCorrupt`` for a damaged file, naming the safe fixes."""
    return IndexCorrupt(
        f"{problem} in {index_dir}; go back to the newest intact generation with "
        f"`seedqa index --repair --index-dir {index_dir}`, or re-embed its sources with "
        f"`seedqa index --rebuild --index-dir {index_dir}`"
    )
