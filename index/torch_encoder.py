"""Run a sentence encoder with sentence-transformers on torch (the optional ``[train]`` extra).

Used for models the ONNX path cannot run (another architecture, no safetensors
weights) and when asked for by name (``runtime="torch"``). On batches it can
run under bf16 autocast, which on CPUs with bf16 instructions nearly doubles
MiniLM's throughput at a cosine to fp32 of 0.9999 or more.

Example:
    >>> encoder = TorchEncoder.load("/path/to/model", precision="bf16")
    >>> encoder.encode(["Xiaomi plans to invest $7.18 billion."]).shape
    (1, 384)

"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence

import numpy as np

from seedqa.index.encoder import BATCH_SIZE, TokenEmbeddings
from seedqa.index.errors import ModelNotAvailable

#: bf16 autocast pays off only on batches: it re-casts the weights on every call, which
#: costs more than it saves for a single query (see README, embedding benchmark).
AUTOCAST_MIN_BATCH = 32
#: What to install when sentence-transformers or torch is missing.
TORCH_EXTRA_HINT = "pip install 'seedqa[train]' (or `make setup`, which installs it)"


def torch_available() -> bool:
    """True when sentence-transformers and torch can be imported (without importing them)."""
    import importlib.util

    try:
        return all(importlib.util.find_spec(m) for m in ("torch", "sentence_transformers"))
    except (ImportError, ValueError):
        return False


class TorchEncoder:
    """A ``SentenceTransformer`` on the CPU, fp32 or bf16 autocast for batches."""

    runtime = "torch"

    def __init__(self, model: object, precision: str) -> None:
        self._model = model
        self.precision = precision
        self._lock = threading.Lock()
        getter = getattr(model, "get_embedding_dimension", None)
        self.dimension = int(getter() if getter else model.get_sentence_embedding_dimension())
        self.max_tokens = int(model.max_seq_length)

    @classmethod
    def load(cls, location: str, precision: str, name: str | None = None) -> TorchEncoder:
        """Load ``location`` (a directory or a cached hub name) offline, on the CPU."""
        if not torch_available():
            raise ModelNotAvailable(
                f"embedding model {name or location!r} needs sentence-transformers and torch; "
                f"{TORCH_EXTRA_HINT}"
            )
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
                f"cannot load embedding model {name or location!r} offline "
                f"({type(error).__name__}); pass --model with a local sentence-transformers "
                "directory"
            ) from error
        return cls(model, precision)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Wordpieces per text, special tokens included, without truncation."""
        with self._lock:
            encoded = self._model.tokenizer(list(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def _autocast(self, n_texts: int) -> contextlib.AbstractContextManager:
        import torch

        if self.precision == "bf16" and n_texts >= AUTOCAST_MIN_BATCH:
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Return ``(len(texts), dimension)`` float32 unit vectors, in input order."""
        import torch

        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Chunks of several batches: sentence-transformers sorts by length inside each call.
        step = batch_size * 8 if on_batch else max(len(texts), 1)
        with self._lock, self._autocast(len(texts)), torch.inference_mode():
            for start in range(0, len(texts), step):
                part = list(texts[start : start + step])
                result[start : start + len(part)] = self._model.encode(
                    part, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
                )
                if on_batch is not None:
                    on_batch(len(part))
        return result

    def token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
        """Return the last hidden state of every token of ``texts`` (one padded batch)."""
        import torch

        tokenizer = self._model.tokenizer
        batch = tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_offsets_mapping=True,
            return_tensors="pt",
        )
        offsets = batch.pop("offset_mapping")
        with self._lock, torch.inference_mode():
            output = self._model[0].auto_model(**batch)
        return TokenEmbeddings(
            vectors=output.last_hidden_state.float().numpy(),
            attention_mask=batch["attention_mask"].numpy().astype(np.int64),
            input_ids=batch["input_ids"].numpy().astype(np.int64),
            offsets=offsets.numpy().astype(np.int64),
        )
