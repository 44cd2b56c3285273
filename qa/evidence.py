"""The answer stage's input: one ``Evidence`` record per question.

``Evidence`` bundles what any answerer reads: the question as asked, the
retrieval query (the question resolved against the conversation), the
retrieved hits, and the index's tools to score their sentences (the BM25
tokenizer and IDF, and cached sentence embeddings). ``qa.extract`` turns it
into an ``Extraction``; another answerer only has to do the same.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from seedqa.index.embed import Embedder
from seedqa.index.records import text_hash
from seedqa.index.stores import LexicalStore
from seedqa.qa.retriever import Hit


class SentenceVectors:
    """A bounded, thread-safe cache of sentence embeddings keyed by text hash."""

    def __init__(self, embedder: Embedder, capacity: int = 50_000) -> None:
        self.embedder = embedder
        self._capacity = capacity
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, texts: Sequence[str]) -> np.ndarray:
        """Return unit vectors for ``texts``, embedding only unseen ones."""
        keys = [text_hash(t) for t in texts]
        with self._lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._rows}
        if missing:
            fresh = self.embedder.embed_documents(list(missing.values()))
            with self._lock:
                for key, vector in zip(missing, fresh, strict=True):
                    self._rows[key] = vector
                while len(self._rows) > self._capacity:
                    self._rows.popitem(last=False)
        with self._lock:
            rows = []
            for key in keys:
                vector = self._rows.get(key)
                if vector is None:  # evicted meanwhile by another thread: embed again
                    vector = self.embedder.embed_documents([texts[keys.index(key)]])[0]
                rows.append(vector)
        if not rows:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        return np.stack(rows)


@dataclass(frozen=True)
class Evidence:
    """Everything the answer stage reads for one question.

    ``question`` is the cleaned question as asked; ``query`` the retrieval
    query (equal to ``question`` unless it was a follow-up); ``hits`` the
    retrieved passages, best first; ``lexical`` the index's BM25 index (its
    tokenizer and IDF); ``sentences`` the sentence-embedding cache.
    """

    question: str
    query: str
    hits: tuple[Hit, ...]
    lexical: LexicalStore = field(repr=False)
    sentences: SentenceVectors = field(repr=False)

    @property
    def embedder(self) -> Embedder:
        """The embedder of the index (queries and sentences)."""
        return self.sentences.embedder

    @cached_property
    def terms(self) -> frozenset[str]:
        """The BM25 terms of every retrieved passage (computed once)."""
        present: set[str] = set()
        for hit in self.hits:
            present.update(self.lexical.tokenize(hit.text))
        return frozenset(present)

    @property
    def text(self) -> str:
        """The retrieved passages joined by spaces."""
        return " ".join(hit.text for hit in self.hits)
