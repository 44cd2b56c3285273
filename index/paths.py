"""Where things live: the default index directory, the seed corpus and the uploads folder.

A light module (no third-party imports), so that the command line can name
these places without loading the engine.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The index directory used when none is given.
DEFAULT_INDEX_DIR = ".seedqa"
#: Environment variable that overrides ``DEFAULT_INDEX_DIR``.
INDEX_DIR_ENV = "SEEDQA_INDEX_DIR"
#: The default corpus: the seed article shipped with seedqa.
DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "seeds"
#: Where uploaded files are kept, inside the index directory.
UPLOADS_DIR = "uploads"


def default_index_dir() -> Path:
    """Return ``$SEEDQA_INDEX_DIR`` or ``.seedqa`` in the working directory."""
    return Path(os.environ.get(INDEX_DIR_ENV) or DEFAULT_INDEX_DIR)


def is_default_index_dir(index_dir: str | Path | None) -> bool:
    """Return True when ``index_dir`` is None or names the default index directory."""
    if index_dir is None:
        return True
    return Path(index_dir).resolve() == default_index_dir().resolve()
