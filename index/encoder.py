"""The interface every inference runtime implements, and the record for per-token output.

Two runtimes implement ``Encoder``: ``onnx_encoder.OnnxEncoder`` (ONNX Runtime,
the default, no torch) and ``torch_encoder.TorchEncoder`` (sentence-transformers
on torch, the optional ``[train]`` extra). ``embed.Embedder`` wraps either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

#: Texts per inference call (measured: see README, embedding runtime).
BATCH_SIZE = 32


@dataclass(frozen=True)
class TokenEmbeddings:
    """Per-token vectors of a batch of texts, padded to the longest one.

    ``vectors`` is the model's last hidden state, ``(texts, tokens, dim)``
    float32; ``attention_mask`` is ``(texts, tokens)`` with 1 on real tokens
    (``[CLS]`` and ``[SEP]`` included) and 0 on padding; ``input_ids`` are
    the wordpiece ids; ``offsets`` are ``(texts, tokens, 2)`` character spans
    into each text, ``(0, 0)`` for special and padding tokens.
    """

    vectors: np.ndarray
    attention_mask: np.ndarray
    input_ids: np.ndarray
    offsets: np.ndarray


class Encoder(Protocol):
    """A loaded sentence encoder on one runtime."""

    runtime: str
    precision: str
    dimension: int
    max_tokens: int

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Wordpieces per text, special tokens included, without truncation."""

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = BATCH_SIZE,
        on_batch: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Return ``(len(texts), dimension)`` float32 unit vectors, in input order."""

    def token_embeddings(self, texts: Sequence[str]) -> TokenEmbeddings:
        """Return the last hidden state of every token of ``texts`` (one padded batch)."""
