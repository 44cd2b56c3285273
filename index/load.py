"""The load stage: turn files and directories into ``Document`` records.

``discover`` expands the paths a user gives into ``(file, root)`` pairs;
``load_file`` reads one file into a ``Document`` (or raises ``LoadError``)
with the reader its suffix maps to in ``index.readers``; ``load_paths`` does
both and collects every per-file problem instead of raising, so one bad
file never stops a corpus from being indexed.

Text and Markdown documents keep their decoded text unchanged (line endings
included), so offsets index the file's decoded content directly. HTML,
PDF and DOCX documents hold the text their reader extracted; offsets index
that text.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from seedqa.index.errors import InvalidSetting, LoadError
from seedqa.index.readers import SUPPORTED_SUFFIXES, reader_for, suffix_list
from seedqa.index.records import Document

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "LoadProblem",
    "LoadResult",
    "check_max_file_bytes",
    "discover",
    "drop_duplicates",
    "load_file",
    "load_paths",
    "not_a_regular_file",
]


@dataclass(frozen=True)
class LoadProblem:
    """One file (or path) that could not be loaded, with the reason why."""

    path: str
    reason: str

    def __str__(self) -> str:
        """Return ``path: reason`` on one line."""
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """The documents loaded from some paths and the problems met on the way."""

    documents: list[Document]
    problems: list[LoadProblem]


# --------------------------------------------------------------------------- discovery


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether a relative POSIX path matches any glob pattern.

    A pattern is matched against the whole relative path, the bare file name
    and every leading directory (so ``drafts`` or ``drafts/old`` match all the
    files below those directories).
    """
    if not patterns:
        return False
    parts = rel.split("/")
    candidates = [rel, parts[-1]]
    candidates += ["/".join(parts[:i]) for i in range(1, len(parts))]
    return any(fnmatch(c, p) for p in patterns for c in candidates)


def _selected(rel: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Apply include/exclude patterns to a relative path; exclude wins."""
    if include and not _matches(rel, include):
        return False
    return not _matches(rel, exclude)


def _unsupported(path: Path) -> str:
    suffix = path.suffix or "(no extension)"
    return f"unsupported file type {suffix}; supported: {suffix_list()}"


def _walk(
    root: Path, include: tuple[str, ...], exclude: tuple[str, ...], problems: list[LoadProblem]
) -> Iterator[Path]:
    """Yield the supported, selected files below ``root`` in sorted order."""
    found_supported = 0
    yielded = 0

    def on_error(error: OSError) -> None:
        where = error.filename or str(root)
        problems.append(LoadProblem(str(where), _os_reason(error)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        reldir = os.path.relpath(dirpath, root)
        prefix = "" if reldir == "." else Path(reldir).as_posix() + "/"
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            path = Path(dirpath) / name
            special = not_a_regular_file(path)
            if special:  # FIFOs, sockets, devices, link loops: never try to read them
                if special != _IS_DIRECTORY:
                    problems.append(LoadProblem(str(path), special))
                continue
            found_supported += 1
            if _selected(prefix + name, include, exclude):
                yielded += 1
                yield path
    if not found_supported:
        problems.append(LoadProblem(str(root), f"no {suffix_list(' or ')} files found"))
    elif not yielded:
        problems.append(
            LoadProblem(
                str(root),
                f"no files match the include/exclude patterns ({found_supported} supported "
                "files skipped); check --include/--exclude",
            )
        )


def discover(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> tuple[list[tuple[Path, Path]], list[LoadProblem]]:
    """Expand files and directories into sorted, deduplicated ``(file, root)`` pairs.

    A directory argument is walked recursively and is the root of its files;
    hidden files and directories (names starting with ``.``) and files of an
    unsupported type are skipped silently. A file argument has its parent
    directory as root; an unsupported file type given explicitly is a problem.
    ``include``/``exclude`` are ``fnmatch`` globs matched against the path
    relative to the root (POSIX separators), the bare file name and each
    leading directory; a file must match some include pattern (when any are
    given) and no exclude pattern. Files reached twice (same resolved path)
    are kept once, with the root of the first argument that reached them.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    inc, exc = tuple(include), tuple(exclude)
    problems: list[LoadProblem] = []
    pairs: list[tuple[Path, Path]] = []
    seen: set[Path] = set()

    def add(file: Path, root: Path) -> None:
        try:
            key = file.resolve()
        except (OSError, RuntimeError):  # a loop that appeared meanwhile
            problems.append(LoadProblem(str(file), _LOOP))
            return
        if key not in seen:
            seen.add(key)
            pairs.append((file, root))

    for raw in paths:
        path = Path(raw)
        try:
            is_dir, is_file, exists = path.is_dir(), path.is_file(), path.exists()
        except OSError as error:  # e.g. name too long, permission on a parent
            problems.append(LoadProblem(str(path), _os_reason(error)))
            continue
        if is_dir:
            for file in _walk(path, inc, exc, problems):
                add(file, path)
        elif is_file:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                problems.append(LoadProblem(str(path), _unsupported(path)))
            elif _selected(path.name, inc, exc):
                add(path, path.parent)
        elif not exists and not path.is_symlink():
            problems.append(LoadProblem(str(path), "no such file or directory"))
        else:
            special = not_a_regular_file(path)
            problems.append(LoadProblem(str(path), special or "not a regular file or directory"))
    pairs.sort(key=lambda pair: pair[0].parts)
    return pairs, problems


_LOOP = "symbolic link loop; remove the link or point it at a file"
_IS_DIRECTORY = "a directory"
_SPECIAL = {
    stat.S_IFIFO: "a named pipe (FIFO), not a regular file; it is never read",
    stat.S_IFSOCK: "a socket, not a regular file; it is never read",
    stat.S_IFCHR: "a character device, not a regular file; it is never read",
    stat.S_IFBLK: "a block device, not a regular file; it is never read",
    stat.S_IFDIR: _IS_DIRECTORY,
}


def not_a_regular_file(path: Path) -> str | None:
    """Why ``path`` (links followed) is no regular file, or None when it is one.

    Names FIFOs, sockets and devices, broken links and link loops, without
    opening anything (opening a FIFO would block).
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _LOOP
        if isinstance(error, FileNotFoundError) and path.is_symlink():
            return "broken symbolic link"
        return _os_reason(error)
    if stat.S_ISREG(mode):
        return None
    return _SPECIAL.get(stat.S_IFMT(mode), "not a regular file; it is never read")


#: Files larger than this are skipped unless the limit is raised (``--max-file-mb``).
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024


def check_max_file_bytes(value: object) -> int:
    """Return the per-file size limit when it is a positive whole number of bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidSetting(f"max_file_bytes={value!r} is not valid; use a whole number >= 1")
    return value


def _too_large(size: int, limit: int) -> str:
    """The reason a file over the per-file limit is skipped."""
    return (
        f"{size / 2**20:.1f} MB is over the {limit / 2**20:g} MB limit per file; "
        "raise it with --max-file-mb"
    )


# --------------------------------------------------------------------------- reading


def _os_reason(error: OSError) -> str:
    """Turn an ``OSError`` into a one-line reason that names the fix."""
    if isinstance(error, PermissionError):
        return "permission denied; make the file readable (chmod +r) or run as its owner"
    if isinstance(error, FileNotFoundError):
        return "no such file or directory"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read: {error.strerror or error}"


def _read_bytes(path: Path) -> bytes:
    """Read a regular file's bytes, raising ``LoadError`` with a clear reason."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise LoadError(str(path), "is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise LoadError(str(path), "not a regular file")
        return path.read_bytes()
    except OSError as error:
        raise LoadError(str(path), _os_reason(error)) from error


# --------------------------------------------------------------------------- documents


def _doc_id(path: Path, root: Path) -> str:
    """``<root name>/<path relative to root>`` with POSIX separators."""
    root_resolved = root.resolve()
    try:
        rel = path.resolve().relative_to(root_resolved).as_posix()
    except ValueError:  # a symlink inside root pointing outside it
        rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
    return f"{root_resolved.name}/{rel}" if root_resolved.name else rel


def load_file(path: Path, root: Path) -> Document:
    """Load one file into a ``Document`` with its suffix's reader; raise ``LoadError``.

    ``root`` is the corpus directory the document id is relative to.
    """
    path, root = Path(path), Path(root)
    reader = reader_for(path)
    if reader is None:
        raise LoadError(str(path), _unsupported(path))
    data = _read_bytes(path)
    if not data:
        raise LoadError(str(path), "empty file")
    extracted = reader.read(path, data)
    return Document(
        doc_id=_doc_id(path, root),
        title=extracted.title or path.stem,
        text=extracted.text,
        source=str(path.resolve()),
        kind=reader.kind,
        page_starts=extracted.page_starts,
    )


def load_paths(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> LoadResult:
    """Discover and load documents, collecting per-file problems instead of raising.

    Two files that would get the same document id (directories with the same
    name given as separate roots) keep the first and report the second.
    Files larger than ``max_file_bytes`` are reported and not read.
    """
    pairs, problems = discover(paths, include, exclude)
    documents: list[Document] = []
    sources: dict[str, str] = {}
    for path, root in pairs:
        try:
            size = path.stat().st_size
            if size > max_file_bytes:
                problems.append(LoadProblem(str(path), _too_large(size, max_file_bytes)))
                continue
            document = load_file(path, root)
        except LoadError as error:
            problems.append(LoadProblem(error.path, error.reason))
            continue
        except Exception as error:  # a bug on one odd file must not stop the others
            problems.append(
                LoadProblem(str(path), f"could not be loaded ({type(error).__name__}: {error})")
            )
            continue
        if document.doc_id in sources:
            problems.append(
                LoadProblem(
                    str(path),
                    f"duplicate document id {document.doc_id} (also {sources[document.doc_id]}); "
                    "rename one of the directories",
                )
            )
            continue
        sources[document.doc_id] = document.source
        documents.append(document)
    return LoadResult(documents=documents, problems=problems)


def drop_duplicates(
    documents: Sequence[Document], prefer: Collection[str] = ()
) -> tuple[list[Document], list[LoadProblem]]:
    """Keep one document per distinct text; report the others as skipped.

    Identical content under two paths (a hard link, a copy) is indexed once:
    the copy whose id is in ``prefer`` (already indexed) is kept, else the
    first in path order. Each skipped path gets a ``LoadProblem`` naming the
    document it duplicates.
    """
    groups: dict[str, list[Document]] = {}
    for document in documents:
        groups.setdefault(document.content_hash, []).append(document)
    kept_ids = set()
    skipped = []
    for group in groups.values():
        kept = next((d for d in group if d.doc_id in prefer), group[0])
        kept_ids.add(kept.doc_id)
        skipped += [
            LoadProblem(d.source, f"same content as {kept.doc_id}, which is indexed once")
            for d in group
            if d is not kept
        ]
    return [d for d in documents if d.doc_id in kept_ids], skipped
