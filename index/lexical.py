"""The lexical store: a BM25 index over chunk texts (bm25s, Snowball stemming)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STOPWORDS = "en"
_EMPTY_TOKEN = "\x00"
#: Texts whose terms are remembered: the passages and sentences that answers read again and
#: again (bm25s.tokenize costs about a millisecond of Python per call, even for one sentence).
TERMS_CACHE_SIZE = 65_536
_STEMMER = Stemmer.Stemmer("english")
_STEMMER_LOCK = threading.Lock()  # a PyStemmer object is not shared between threads at once


@functools.lru_cache(maxsize=TERMS_CACHE_SIZE)
def text_terms(text: str) -> tuple[str, ...]:
    """The BM25 terms of ``text`` (lowercased, stopwords removed, stemmed), remembered."""
    with _STEMMER_LOCK:
        tokens = bm25s.tokenize(
            [text],
            stopwords=_STOPWORDS,
            stemmer=_STEMMER,
            return_ids=False,
            show_progress=False,
        )
    return tuple(tokens[0])


class LexicalIndex:
    """BM25 over a list of texts; row i is text i. Safe to query from many threads."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index ``texts`` with BM25 (Lucene variant, k1=1.5, b=0.75)."""
        stemmer = Stemmer.Stemmer("english")
        tokens = bm25s.tokenize(
            list(texts) or [""],
            stopwords=_STOPWORDS,
            stemmer=stemmer,
            return_ids=False,
            show_progress=False,
        )
        tokens = [list(t) for t in tokens]
        if not any(tokens):  # no indexable word at all: keep bm25s's vocabulary non-empty
            tokens[0] = [_EMPTY_TOKEN]
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(retriever, len(texts))

    def tokenize(self, text: str) -> list[str]:
        """Return the BM25 terms of ``text`` (lowercased, stopwords removed, stemmed)."""
        return list(text_terms(text))

    def _known(self, text: str) -> list[str]:
        vocab = self._retriever.vocab_dict
        return [t for t in self.tokenize(text) if t in vocab]

    def scores(self, query: str) -> np.ndarray:
        """Return the BM25 score of every row for ``query`` (zeros if no term is known)."""
        terms = self._known(query)
        if not terms or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(terms), dtype=np.float32)[: self.size]

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(scores, row ids)`` of the top ``k`` rows with a positive score."""
        scores = self.scores(query)
        if not len(scores):
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top], top.astype(np.int64)

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """Return a smoothed inverse document frequency for each (stemmed) term.

        Terms not in the vocabulary get the highest value (they are rarer than
        anything indexed).
        """
        indptr = self._retriever.scores["indptr"]
        vocab = self._retriever.vocab_dict
        n = max(self.size, 1)
        frequencies = np.array(
            [indptr[vocab[t] + 1] - indptr[vocab[t]] if t in vocab else 0 for t in terms],
            dtype=np.float64,
        )
        return np.log(1.0 + (n - frequencies + 0.5) / (frequencies + 0.5))

    def save(self, directory: Path) -> None:
        """Write the index as bm25s's transparent files (``.npy`` and JSON)."""
        self._retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int) -> LexicalIndex:
        """Read an index written by ``save``."""
        retriever = bm25s.BM25.load(str(directory), show_progress=False)
        return cls(retriever, size)
