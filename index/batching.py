"""Query embeddings under concurrency: one model call for the queries of many threads, and a cache.

A server answering many questions at once spends nearly all its CPU
embedding queries, one short text per model call. ``QueryBatcher`` lets
concurrent callers share calls: a caller that finds the model idle embeds
at once (no waiting when alone); callers arriving while the model is busy
queue up, and the next call embeds all of them together. Vectors are also
kept in a small LRU cache keyed by the text, so a query embedded for
retrieval is not embedded again for answering.

Example:
    >>> batcher = QueryBatcher(embedder.embed_batch)  # doctest: +SKIP
    >>> batcher.embed(["How much will Xiaomi invest?"]).shape  # doctest: +SKIP
    (1, 384)

"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

#: Queries embedded together at most (small batches stay in fp32; see ``embed``).
MAX_BATCH = 16
#: Query vectors remembered.
CACHE_SIZE = 4096


class _Request:
    """One text waiting for its vector."""

    __slots__ = ("error", "text", "vector")

    def __init__(self, text: str) -> None:
        self.text = text
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.vector is not None or self.error is not None


class QueryBatcher:
    """Embeds query texts for many threads, batching those that wait for the model.

    ``embed_batch`` turns a list of texts into an ``(n, dimension)`` array;
    it is called by one thread at a time, with at most ``max_batch`` texts.
    """

    def __init__(
        self,
        embed_batch: Callable[[list[str]], np.ndarray],
        max_batch: int = MAX_BATCH,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self._embed_batch = embed_batch
        self.max_batch = max_batch
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._waiting: list[_Request] = []
        self._pending: dict[str, _Request] = {}
        self._running = False
        self._changed = threading.Condition()
        self.calls = 0
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return the vectors of ``texts`` in order, sharing model calls with other threads."""
        if not texts:
            return self._embed_batch([])
        found: dict[int, np.ndarray] = {}
        mine: dict[int, _Request] = {}
        with self._changed:
            for i, text in enumerate(texts):
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[i] = self._cache[text]
                    continue
                request = self._pending.get(text)
                if request is None:
                    request = self._pending[text] = _Request(text)
                    self._waiting.append(request)
                mine[i] = request
        if mine:
            self._drive(list(mine.values()))
        for i, request in mine.items():
            if request.error is not None:
                raise request.error
            found[i] = request.vector
        return np.stack([found[i] for i in range(len(texts))])

    def clear_cache(self) -> None:
        """Forget every remembered vector (benchmarks time the model, not the cache)."""
        with self._changed:
            self._cache.clear()

    def _drive(self, requests: list[_Request]) -> None:
        """Wait until ``requests`` are done, running the model whenever it is idle."""
        while True:
            with self._changed:
                while self._running and not all(r.done for r in requests):
                    self._changed.wait()
                if all(r.done for r in requests):
                    return
                self._running = True
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
            self._run(batch)

    def _run(self, batch: list[_Request]) -> None:
        """Embed one batch and hand each vector (or the error) to its request."""
        vectors: np.ndarray | None = None
        error: BaseException | None = None
        try:
            vectors = self._embed_batch([r.text for r in batch])
        except BaseException as caught:  # handed to every waiting caller, raised there
            error = caught
        with self._changed:
            self.calls += 1
            self.embedded += len(batch)
            for row, request in enumerate(batch):
                self._pending.pop(request.text, None)
                if vectors is None:
                    request.error = error
                    continue
                request.vector = vectors[row]
                self._cache[request.text] = vectors[row]
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
            self._running = False
            self._changed.notify_all()
