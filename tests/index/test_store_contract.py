"""One contract for every store implementation: FAISS (+ bm25s) and Milvus Lite (real engine).

The same checks run against both; the Milvus ones must agree with FAISS exactly
where the contract says so (the same rows for exact-enough searches, the same
vectors back, the same BM25 scores).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seedqa.index.lexical import LexicalIndex
from seedqa.index.milvus import MilvusCollection
from seedqa.index.milvus_store import (
    MilvusLexical,
    MilvusVectorStore,
    update_collection,
    update_term_stats,
)
from seedqa.index.records import Chunk
from seedqa.index.stores import (
    Bm25Lexical,
    FaissVectorStore,
    LexicalStore,
    VectorStore,
)
from seedqa.index.vectors import build_vector_index

TEXTS = [
    "Xiaomi will invest 7 billion dollars in 5G, AI and IoT over five years.",
    "Research and development spending rose sharply last year.",
    "Xiaomi shipped phones to India and Europe; phones sold well.",
    "Cats and dogs are the most common pets.",
    "The investment in research was large and investors were pleased.",
    "the and of",
    "Glaciers in the Alps lost a tenth of their ice.",
    "A zeppelin could carry freight across the Arctic.",
]
QUERIES = ["xiaomi research investment", "phones phones xiaomi", "dogs", "unknownword", ""]


def make_chunks(texts: list[str]) -> list[Chunk]:
    return [Chunk(doc_id=f"doc{i}.txt", start=0, end=len(t), text=t) for i, t in enumerate(texts)]


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    rng = np.random.default_rng(7)
    data = rng.standard_normal((400, 16)).astype(np.float32)
    return data / np.linalg.norm(data, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def milvus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("contract")


def faiss_stores(vectors: np.ndarray, chunks: list[Chunk], _dir: Path):
    store = FaissVectorStore(build_vector_index(vectors, "flat"))
    return store, Bm25Lexical(LexicalIndex.build([c.text for c in chunks]))


def milvus_stores(vectors: np.ndarray, chunks: list[Chunk], directory: Path):
    collection = MilvusCollection.open(
        str(directory / "milvus.db"),
        f"contract_{len(chunks)}",
        dimension=vectors.shape[1],
        create=True,
    )
    generation = update_collection(collection, None, None, [], chunks, vectors)
    store = MilvusVectorStore(
        collection, generation, [c.chunk_id for c in chunks], vectors.shape[1]
    )
    return store, MilvusLexical(store, update_term_stats(None, [], chunks))


IMPLEMENTATIONS = {"faiss": faiss_stores, "milvus": milvus_stores}


@pytest.fixture(scope="module", params=sorted(IMPLEMENTATIONS))
def stores(request, vectors: np.ndarray, milvus_dir: Path):
    texts = (TEXTS * (len(vectors) // len(TEXTS) + 1))[: len(vectors)]
    chunks = make_chunks([f"{t} (copy {i})" if i >= len(TEXTS) else t for i, t in enumerate(texts)])
    return request.param, chunks, *IMPLEMENTATIONS[request.param](vectors, chunks, milvus_dir)


class TestVectorStoreContract:
    def test_is_a_vector_store(self, stores) -> None:
        _, _, vector_store, lexical = stores
        assert isinstance(vector_store, VectorStore)
        assert isinstance(lexical, LexicalStore)

    def test_len_and_dimension(self, stores, vectors: np.ndarray) -> None:
        _, _, vector_store, _ = stores
        assert len(vector_store) == len(vectors)
        assert vector_store.dimension == vectors.shape[1]

    def test_search_finds_each_vector_first(self, stores, vectors: np.ndarray) -> None:
        _, _, vector_store, _ = stores
        scores, rows = vector_store.search(vectors[:20], 5)
        assert rows.shape == scores.shape == (20, 5)
        assert rows[:, 0].tolist() == list(range(20))
        np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
        assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first

    def test_search_matches_exact_search(self, stores, vectors: np.ndarray) -> None:
        _, _, vector_store, _ = stores
        queries = vectors[:30] + 0.3 * vectors[30:60]
        exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
        _, rows = vector_store.search(queries, 10)
        recall = np.mean([len(set(r) & set(e)) / 10 for r, e in zip(rows, exact, strict=True)])
        assert recall >= 0.98

    def test_vectors_come_back_unchanged(self, stores, vectors: np.ndarray) -> None:
        _, _, vector_store, _ = stores
        rows = np.array([5, 0, 399, 17])
        np.testing.assert_allclose(vector_store.vectors(rows), vectors[rows], atol=1e-6)
        assert vector_store.vectors(np.array([], dtype=np.int64)).shape == (0, vectors.shape[1])

    def test_k_larger_than_the_store(self, stores, vectors: np.ndarray) -> None:
        _, _, vector_store, _ = stores
        scores, rows = vector_store.search(vectors[:1], 1000)
        assert sorted(rows[0][rows[0] >= 0].tolist()) == list(range(len(vectors)))


class TestLexicalStoreContract:
    @pytest.mark.parametrize("query", QUERIES)
    def test_scores_equal_bm25s(self, stores, query: str) -> None:
        _, chunks, _, lexical = stores
        reference = LexicalIndex.build([c.text for c in chunks]).scores(query)
        scores = lexical.scores(query)
        assert scores.shape == (len(chunks),)
        np.testing.assert_allclose(scores, reference, rtol=1e-4, atol=1e-6)

    def test_analysis_and_idf_agree(self, stores) -> None:
        _, chunks, _, lexical = stores
        reference = LexicalIndex.build([c.text for c in chunks])
        question = "How much did Xiaomi invest in research?"
        assert lexical.tokenize(question) == reference.tokenize(question)
        terms = ["xiaomi", "research", "neverseen"]
        np.testing.assert_allclose(lexical.idf(terms), reference.idf(terms))
