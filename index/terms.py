"""BM25 terms without a BM25 index: the analyzer and document frequencies.

The FAISS store ranks with bm25s, which keeps its own statistics. A store
that ranks lexically inside the engine (Milvus full-text BM25) still needs
two things on our side: the same analysis as bm25s (lowercase, English
stopwords, Snowball stemming), so that both stores index the same terms, and
each term's document frequency, which the answerer weighs question terms by.
``TermStats`` keeps those frequencies and is updated incrementally: a build
adds the terms of new chunks and subtracts those of removed ones.

Example:
    >>> stats = TermStats.build(["Xiaomi invests in research", "Research pays"])
    >>> stats.tokenize("How much is invested in research?")
    ['how', 'much', 'invest', 'research']
    >>> stats.idf(["research", "xiaomi"]).round(3).tolist()
    [0.182, 0.693]

"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STOPWORDS = "en"
_lock = threading.Lock()
_stemmer = Stemmer.Stemmer("english")


def analyze(texts: Sequence[str]) -> list[list[str]]:
    """Return the BM25 terms of each text (bm25s's tokenizer, stopwords, Snowball stemmer)."""
    if not texts:
        return []
    with _lock:  # PyStemmer objects are not safe to share between threads
        tokens = bm25s.tokenize(
            list(texts),
            stopwords=_STOPWORDS,
            stemmer=_stemmer,
            return_ids=False,
            show_progress=False,
        )
    return [list(t) for t in tokens]


def idf_values(frequencies: np.ndarray, n_texts: int) -> np.ndarray:
    """The smoothed inverse document frequency bm25s uses (Lucene's BM25 variant)."""
    n = max(n_texts, 1)
    return np.log(1.0 + (n - frequencies + 0.5) / (frequencies + 0.5))


class TermStats:
    """Document frequency of every term over a set of texts; safe to read from many threads."""

    def __init__(self, frequencies: dict[str, int], n_texts: int) -> None:
        self.frequencies = frequencies
        self.n_texts = n_texts

    @classmethod
    def build(cls, texts: Sequence[str]) -> TermStats:
        """Count the documents each term occurs in."""
        stats = cls({}, 0)
        stats.add(texts)
        return stats

    def add(self, texts: Sequence[str]) -> None:
        """Count ``texts`` in (new or changed chunks)."""
        self._update(analyze(texts), +1)

    def remove(self, texts: Sequence[str]) -> None:
        """Count ``texts`` out (removed chunks); they must have been added before."""
        self._update(analyze(texts), -1)

    def _update(self, token_lists: Iterable[list[str]], sign: int) -> None:
        counts: Counter[str] = Counter()
        n = 0
        for tokens in token_lists:
            counts.update(set(tokens))
            n += 1
        for term, count in counts.items():
            value = self.frequencies.get(term, 0) + sign * count
            if value > 0:
                self.frequencies[term] = value
            else:
                self.frequencies.pop(term, None)
        self.n_texts += sign * n

    def tokenize(self, text: str) -> list[str]:
        """Return the BM25 terms of ``text`` (the analysis every store indexes)."""
        return analyze([text])[0]

    def idf(self, terms: Sequence[str]) -> np.ndarray:
        """Smoothed IDF per term; terms never seen get the highest value."""
        frequencies = np.array([self.frequencies.get(t, 0) for t in terms], dtype=np.float64)
        return idf_values(frequencies, self.n_texts)

    def save(self, path: Path) -> None:
        """Write the statistics as one JSON file."""
        data = {"n_texts": self.n_texts, "frequencies": self.frequencies}
        tmp = Path(path).with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> TermStats:
        """Read statistics written by ``save``."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(dict(data["frequencies"]), int(data["n_texts"]))
