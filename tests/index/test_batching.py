"""QueryBatcher: concurrent query embeddings share model calls and give the serial vectors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from seedqa.index.batching import QueryBatcher
from seedqa.index.embed import Embedder

QUERIES = [f"How much did Xiaomi invest in project number {n}?" for n in range(24)]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load()


def test_concurrent_queries_share_calls_and_match_serial_vectors(embedder):
    serial = np.stack([embedder.embed_batch([q])[0] for q in QUERIES])
    batcher = QueryBatcher(embedder.embed_batch, max_batch=8)
    start = threading.Barrier(16)

    def one(query: str) -> np.ndarray:
        if query in QUERIES[:16]:
            start.wait()  # the first 16 arrive together
        return batcher.embed([query])[0]

    with ThreadPoolExecutor(16) as pool:
        vectors = np.stack(list(pool.map(one, QUERIES)))
    assert batcher.embedded == len(QUERIES)
    assert batcher.calls < len(QUERIES)  # some calls carried several queries
    assert float((vectors * serial).sum(axis=1).min()) > 0.9999


def test_cache_duplicates_order_and_empty_input(embedder):
    batcher = QueryBatcher(embedder.embed_batch)
    first = batcher.embed(["alpha question", "beta question", "alpha question"])
    assert first.shape == (3, embedder.dimension) and batcher.embedded == 2
    np.testing.assert_array_equal(first[0], first[2])
    again = batcher.embed(["beta question"])
    assert batcher.calls == 1 and batcher.embedded == 2  # from the cache
    np.testing.assert_array_equal(again[0], first[1])
    assert batcher.embed([]).shape == (0, embedder.dimension)
    assert embedder.embed_query("alpha question").shape == (embedder.dimension,)


def test_a_cleared_cache_runs_the_model_again(embedder):
    batcher = QueryBatcher(embedder.embed_batch)
    first = batcher.embed(["alpha question"])
    batcher.clear_cache()
    again = batcher.embed(["alpha question"])
    assert batcher.calls == 2 and batcher.embedded == 2
    np.testing.assert_allclose(again, first, atol=1e-6)
    embedder.embed_query("gamma question")
    embedded = embedder._queries.embedded
    embedder.embed_query("gamma question")
    assert embedder._queries.embedded == embedded  # from the cache
    embedder.clear_query_cache()
    embedder.embed_query("gamma question")
    assert embedder._queries.embedded == embedded + 1


def test_the_cache_is_bounded(embedder):
    batcher = QueryBatcher(embedder.embed_batch, cache_size=3)
    for text in ("one", "two", "three", "four"):
        batcher.embed([text])
    batcher.embed(["one"])  # evicted, so embedded again
    assert batcher.embedded == 5


def test_a_failed_call_reaches_every_caller_and_the_next_call_works(embedder):
    failing = {"on": True}

    def flaky(texts: list[str]) -> np.ndarray:
        if failing["on"]:
            raise RuntimeError("model crashed")
        return embedder.embed_batch(texts)

    batcher = QueryBatcher(flaky)
    with pytest.raises(RuntimeError, match="model crashed"):
        batcher.embed(["gamma question"])
    failing["on"] = False
    assert batcher.embed(["gamma question"]).shape == (1, embedder.dimension)
