"""Uploaded files: safe names, the checks made before anything is copied, the uploads folder.

An upload is accepted only when its type is supported (the readers' suffix
map), it is not larger than the limit, and it loads as a document (text
found, decodable, not a broken PDF). Files are test-loaded from a private
copy, so a rejected upload leaves no trace.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from seedqa.index.errors import LoadError
from seedqa.index.load import load_file
from seedqa.index.readers import READERS, SUPPORTED_SUFFIXES
from seedqa.qa.errors import UnsupportedFileType, UploadRejected, UploadTooLarge

#: Largest uploaded file accepted by default (``SeedqaService(max_upload_bytes=...)``).
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()+-]+")


def supported_suffixes() -> tuple[str, ...]:
    """The file suffixes seedqa can index, in the order of ``index.readers.READERS``."""
    return tuple(READERS)


def megabytes(size: int) -> str:
    """Format a byte count as ``"1.5 MB"``."""
    return f"{size / (1024 * 1024):.1f} MB"


def safe_filename(name: str) -> str:
    """Return the base name of ``name`` reduced to safe characters (never hidden or empty)."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._") or "document"
    suffix = "." + _UNSAFE_NAME.sub("", extension).lower() if dot else ""
    return f"{stem[:100]}{suffix}"


def check_upload(
    path: str | Path, name: str | None = None, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
) -> str:
    """Check one uploaded file; return its safe file name or raise ``UploadRejected``.

    ``name`` is the name the user gave the file (default: ``path``'s name).
    The subclasses ``UnsupportedFileType`` and ``UploadTooLarge`` say which
    check failed; an unreadable file raises ``UploadRejected`` itself.
    """
    path = Path(path)
    safe = safe_filename(name or path.name)
    suffix = Path(safe).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = suffix or "(no extension)"
        allowed = ", ".join(supported_suffixes())
        raise UnsupportedFileType(f"{safe}: file type {shown} is not supported; upload {allowed}")
    try:
        size = path.stat().st_size
    except OSError as error:
        raise UploadRejected(f"{safe}: the upload could not be read ({error.strerror})") from error
    if size > max_bytes:
        raise UploadTooLarge(
            f"{safe} is {megabytes(size)}; the limit is {megabytes(max_bytes)} per file"
        )
    with tempfile.TemporaryDirectory(prefix="seedqa-upload-") as scratch:
        staged = Path(scratch) / safe
        shutil.copyfile(path, staged)
        try:
            load_file(staged, staged.parent)
        except LoadError as error:
            raise UploadRejected(f"{safe}: {error.reason}") from error
        except Exception as error:  # an odd file must give a message, not a traceback
            raise UploadRejected(f"{safe}: could not be read ({type(error).__name__})") from error
    return safe


def free_target(folder: Path, name: str) -> Path:
    """Return ``folder/name``, or ``name-2``, ``name-3``... when that is taken."""
    target = folder / name
    stem, suffix = os.path.splitext(name)
    n = 2
    while target.exists():
        target = folder / f"{stem}-{n}{suffix}"
        n += 1
    return target
