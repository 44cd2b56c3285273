"""A disk cache of MiniLM token vectors for training texts, keyed by text hash.

Texts are embedded once with ``answer_model.text_tokens`` (the same call the
answerer makes at run time) and stored as float16 in one ``.npz``; re-running
the training pipeline embeds only texts it has never seen.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seedqa.index.embed import Embedder
from seedqa.index.records import text_hash
from seedqa.qa.answer_model import TextTokens, text_tokens

BATCH = 256


class TokenStore:
    """Token ids and vectors of many texts, loaded from and saved to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as data:
                keys, offsets = data["keys"], data["offsets"]
                ids, vectors, pooled = data["ids"], data["vectors"], data["pooled"]
            for i, key in enumerate(keys):
                a, b = offsets[i], offsets[i + 1]
                self._rows[str(key)] = (ids[a:b], vectors[a:b], pooled[i])
        self._dirty = False

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, text: str) -> bool:
        return text_hash(text) in self._rows

    def ensure(self, embedder: Embedder, texts: Sequence[str], progress: bool = True) -> int:
        """Embed the texts not stored yet; return how many were embedded."""
        from tqdm import tqdm

        missing = list(dict.fromkeys(t for t in texts if text_hash(t) not in self._rows))
        bar = tqdm(total=len(missing), desc="token vectors", unit="text", disable=not progress)
        for begin in range(0, len(missing), BATCH):
            batch = missing[begin : begin + BATCH]
            for text, tokens in zip(batch, text_tokens(embedder, batch), strict=True):
                self._rows[text_hash(text)] = (
                    tokens.ids,
                    tokens.vectors.astype(np.float16),
                    tokens.pooled.astype(np.float32),
                )
            bar.update(len(batch))
            self._dirty = True
            if begin // BATCH % 20 == 19:
                self.save()
        bar.close()
        self.save()
        return len(missing)

    def get(self, text: str) -> TextTokens:
        """The stored token embeddings of ``text`` (which must have been ensured)."""
        ids, vectors, pooled = self._rows[text_hash(text)]
        return TextTokens(ids, vectors.astype(np.float32), pooled)

    def save(self) -> None:
        """Write the store atomically (only when something was added)."""
        if not self._dirty:
            return
        keys = list(self._rows)
        lengths = np.array([len(self._rows[k][0]) for k in keys], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        with open(tmp, "wb") as handle:
            np.savez(
                handle,
                keys=np.array(keys, dtype="U64"),
                offsets=offsets,
                ids=np.concatenate([self._rows[k][0] for k in keys]).astype(np.int32),
                vectors=np.concatenate([self._rows[k][1] for k in keys]),
                pooled=np.stack([self._rows[k][2] for k in keys]),
            )
        os.replace(tmp, self.path)
        self._dirty = False
