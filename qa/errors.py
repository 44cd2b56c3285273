"""The errors seedqa reports to users, in one place for the edges (CLI, web chat, HTTP API).

Every one subclasses ``SeedqaError``, whose ``str()`` is a one-line message
that names the problem and the fix. The index's errors are re-exported here
so that the user interfaces need not import ``seedqa.index``.
"""

from __future__ import annotations

from seedqa.index.errors import (
    DocumentNotFound,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
    IndexNotWritable,
    InvalidSetting,
    LoadError,
    ModelNotAvailable,
    NothingToIndex,
    SeedqaError,
    StoreUnavailable,
)

__all__ = [
    "DocumentNotFound",
    "IndexCorrupt",
    "IndexMismatch",
    "IndexNotFound",
    "IndexNotWritable",
    "InvalidQuestion",
    "InvalidSetting",
    "LoadError",
    "ModelNotAvailable",
    "NothingToIndex",
    "SeedqaError",
    "StoreUnavailable",
    "UnsupportedFileType",
    "UploadRejected",
    "UploadTooLarge",
]


class InvalidQuestion(SeedqaError):
    """The question is empty or not text."""


class UploadRejected(SeedqaError):
    """An uploaded file is too large, of an unsupported type, or unreadable."""


class UploadTooLarge(UploadRejected):
    """An uploaded file is larger than the service's ``max_upload_bytes``."""


class UnsupportedFileType(UploadRejected):
    """An uploaded file's suffix has no reader (see ``index.readers.READERS``)."""
