"""Exceptions raised by the index package.

Each carries a one-line message that names the problem and the fix; the edges
(CLI, web UI) print ``str(error)`` and never a traceback.
"""


class SeedqaError(Exception):
    """Base class of every error seedqa reports to a user."""


class IndexNotFound(SeedqaError):
    """No index exists at the given directory."""


class IndexMismatch(SeedqaError):
    """The index on disk was built with another embedder, dimension or format version."""


class IndexCorrupt(SeedqaError):
    """The index directory exists but its files cannot be read."""


class IndexNotWritable(SeedqaError):
    """The index directory cannot be created or written (a file, read-only, no permission)."""


def not_writable(index_dir: object, error: OSError) -> IndexNotWritable:
    """Return the one-line ``IndexNotWritable`` for an ``OSError`` met writing ``index_dir``."""
    if isinstance(error, FileExistsError | NotADirectoryError):
        problem = "is a file (or inside one), not a directory"
    elif isinstance(error, PermissionError):
        problem = "cannot be written (permission denied)"
    else:
        problem = f"cannot be written ({error.strerror or error})"
    return IndexNotWritable(
        f"the index directory {index_dir} {problem}; choose another with --index-dir "
        "or fix its permissions"
    )


class LoadError(SeedqaError):
    """A file could not be loaded (missing, empty, binary, undecodable, broken PDF...)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NothingToIndex(SeedqaError):
    """None of the given paths yielded a document that could be indexed.

    ``problems`` holds one line per file or path that failed, for the edges
    to print before the error itself.
    """

    def __init__(self, message: str, problems: tuple[object, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class ModelNotAvailable(SeedqaError):
    """The embedding model cannot be loaded offline."""


class StoreUnavailable(SeedqaError):
    """The index's vector store (a Milvus server or Milvus Lite database) cannot be reached."""


class InvalidSetting(SeedqaError):
    """A setting has an invalid value; the message lists valid ones."""


class DocumentNotFound(InvalidSetting):
    """A document id names no document in the index."""
