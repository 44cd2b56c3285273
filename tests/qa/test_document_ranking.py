"""Document ranking in numpy against the straightforward Python implementation.

Random corpora (Hypothesis picks the shape and a seed; numpy draws the
vectors and scores from it), a real FAISS flat index, every mode and both
fusion methods: the vectorised chunk → document aggregation and the
candidate pools must give the same ranking as computing every chunk's
scores, taking each document's best in a dict and sorting.
"""

from __future__ import annotations

from functools import partial

import faiss
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seedqa.index.stores import FaissVectorStore
from seedqa.qa.document_ranking import QuerySignals, dense_pool, hybrid_pool, rank_documents
from seedqa.qa.documents import ChunkDocuments
from seedqa.qa.fusion import FUSION_METHODS
from seedqa.qa.modes import MODES, retrieval_mode

DIM = 8
TOLERANCE = 1e-5


class RandomCorpus:
    """Chunks of random documents in shuffled rows, unit vectors, sparse BM25 scores."""

    def __init__(
        self, chunks_per_doc: list[int], seed: int, zero_share: float, crowded: bool
    ) -> None:
        rng = np.random.default_rng(seed)
        doc_of_chunk = np.repeat(np.arange(len(chunks_per_doc)), chunks_per_doc)
        rng.shuffle(doc_of_chunk)  # a document's chunks need not be adjacent rows
        self.chunk_doc_ids = [f"doc-{d}" for d in doc_of_chunk]
        query = rng.normal(size=DIM).astype(np.float32)
        self.query = query / np.linalg.norm(query)
        vectors = rng.normal(size=(len(doc_of_chunk), DIM)).astype(np.float32)
        if crowded:  # the longest document's chunks crowd the query: the pool must grow
            longest = doc_of_chunk == int(np.argmax(chunks_per_doc))
            vectors[longest] = 0.05 * vectors[longest] + 4 * self.query
        self.vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        lexical = rng.uniform(0.1, 12.0, size=len(doc_of_chunk)).astype(np.float32)
        lexical[rng.random(len(doc_of_chunk)) < zero_share] = 0.0
        self.lexical = lexical
        flat = faiss.IndexFlatIP(DIM)
        flat.add(self.vectors)
        self.index = FaissVectorStore(flat)
        self.documents = ChunkDocuments.from_chunk_doc_ids(self.chunk_doc_ids)


def best_per_document(corpus: RandomCorpus) -> tuple[dict, dict, list, list]:
    """Every chunk scored, each document's best in a dict, documents sorted per signal."""
    dense_chunk = [float(x) for x in corpus.vectors @ corpus.query]
    best_dense: dict[str, float] = {}
    best_lexical: dict[str, float] = {}
    for doc, d, lex in zip(corpus.chunk_doc_ids, dense_chunk, corpus.lexical, strict=True):
        best_dense[doc] = max(best_dense.get(doc, -np.inf), d)
        best_lexical[doc] = max(best_lexical.get(doc, -np.inf), float(lex))
    by_dense = sorted(best_dense, key=lambda doc: -best_dense[doc])
    by_lexical = sorted(best_lexical, key=lambda d: -best_lexical[d])
    by_lexical = [d for d in by_lexical if best_lexical[d] > 0]
    return best_dense, best_lexical, by_dense, by_lexical


def straightforward_pools(corpus: RandomCorpus, size: int) -> dict[str, tuple[float, float]]:
    """The hybrid pool: each signal's top ``size`` documents, with both signals."""
    best_dense, best_lexical, by_dense, by_lexical = best_per_document(corpus)
    pooled = dict.fromkeys(by_dense[:size] + by_lexical[:size])
    return {d: (best_dense[d], best_lexical[d]) for d in pooled}


def straightforward(corpus: RandomCorpus, k: int, mode: str, fuse, pool: int) -> dict:
    """Every pooled document's ranking score: best per document, pools by sorting, fused."""
    best_dense, best_lexical, by_dense, by_lexical = best_per_document(corpus)
    if mode == "dense":
        pooled = by_dense[:k]
        score = {d: best_dense[d] for d in pooled}
    elif mode == "lexical":
        pooled = by_lexical[:k]
        score = {d: best_lexical[d] for d in pooled}
    else:
        size = max(pool, k)
        pooled = list(dict.fromkeys(by_dense[:size] + by_lexical[:size]))
        fused = fuse(
            np.array([best_dense[d] for d in pooled]), np.array([best_lexical[d] for d in pooled])
        )
        score = dict(zip(pooled, fused.tolist(), strict=True))
    return score


def assert_same_ranking(got: list[tuple], expected: dict[str, float], k: int) -> None:
    """The top ``k`` of ``expected`` (doc → score), in order; tied documents may swap."""
    best = sorted(expected.values(), reverse=True)[:k]
    assert len(got) == len(best)
    assert len({doc for doc, _ in got}) == len(got)
    np.testing.assert_allclose([s for _, s in got], best, atol=TOLERANCE)
    for doc, score in got:
        assert expected[doc] == pytest.approx(score, abs=TOLERANCE), doc


corpora = st.builds(
    RandomCorpus,
    chunks_per_doc=st.lists(st.integers(1, 6), min_size=1, max_size=40)
    | st.lists(st.sampled_from([1, 1, 1, 1, 2, 60]), min_size=1, max_size=60),  # skewed
    seed=st.integers(0, 2**32 - 1),
    zero_share=st.sampled_from([0.0, 0.5, 0.9, 1.0]),
    crowded=st.booleans(),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    corpus=corpora,
    k=st.integers(1, 50),
    mode=st.sampled_from(MODES),
    method=st.sampled_from(sorted(FUSION_METHODS)),
    weight=st.floats(0.0, 1.0),
    pool=st.integers(1, 30),
)
def test_rank_documents_matches_the_straightforward_implementation(
    corpus, k, mode, method, weight, pool
):
    fuse = partial(FUSION_METHODS[method], dense_weight=weight)
    signals = QuerySignals(vector=corpus.query, lexical=corpus.lexical)
    ranking = rank_documents(
        corpus.index, corpus.documents, signals, k, retrieval_mode(mode), fuse, pool
    )
    got = [
        (corpus.documents.doc_ids[d], float(s))
        for d, s in zip(ranking.docs, ranking.scores, strict=True)
    ]
    assert_same_ranking(got, straightforward(corpus, k, mode, fuse, pool), k)
    # k distinct documents whenever the corpus has them (lexical: a positive BM25 score)
    matching = len(corpus.documents)
    if mode == "lexical":
        matching = int((corpus.documents.best(corpus.lexical) > 0).sum())
    assert len(ranking) == min(k, matching) == len(set(ranking.docs.tolist()))
    # the chunk that stands for each document belongs to it
    for doc, row in zip(ranking.docs, ranking.rows, strict=True):
        assert corpus.documents.chunk_doc[row] == doc


@settings(max_examples=100, deadline=None)
@given(corpus=corpora, k=st.integers(1, 60))
def test_the_dense_pool_yields_k_distinct_documents_when_the_corpus_has_them(corpus, k):
    docs, scores, rows = dense_pool(corpus.index, corpus.query, corpus.documents, k)
    assert len(docs) == min(k, len(corpus.documents))
    assert len(set(docs.tolist())) == len(docs)
    assert np.all(np.diff(scores) <= TOLERANCE)  # best first
    assert np.all(corpus.documents.chunk_doc[rows] == docs)


def test_the_pool_grows_past_one_document_that_fills_it():
    """One document owns the 300 chunks nearest the query; 1,000 others have one chunk each."""
    rng = np.random.default_rng(7)
    query = np.eye(DIM, dtype=np.float32)[0]
    near = query + 0.01 * rng.normal(size=(300, DIM)).astype(np.float32)
    far = rng.normal(size=(1000, DIM)).astype(np.float32) - 3 * query
    vectors = np.vstack([near, far])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(DIM)
    flat.add(vectors)
    index = FaissVectorStore(flat)
    names = ["big"] * 300 + [f"d{i}" for i in range(1000)]
    documents = ChunkDocuments.from_chunk_doc_ids(names)
    docs, scores, _ = dense_pool(index, query, documents, 20)
    assert len(set(docs.tolist())) == 20
    assert documents.doc_ids[docs[0]] == "big"
    best_far = np.sort(vectors[300:] @ query)[::-1][:19]
    np.testing.assert_allclose(scores[1:], best_far, atol=TOLERANCE)


@settings(max_examples=100, deadline=None)
@given(corpus=corpora, size=st.integers(1, 40))
def test_the_hybrid_pool_is_the_union_of_both_top_lists(corpus, size):
    pool = hybrid_pool(corpus.index, corpus.query, corpus.lexical, corpus.documents, size)
    expected = straightforward_pools(corpus, size)
    got = {corpus.documents.doc_ids[d]: (dn, lx) for d, dn, lx in zip(
        pool.docs, pool.dense, pool.lexical, strict=True)}  # fmt: skip
    assert set(got) == set(expected)
    for doc, (dense, lexical) in expected.items():
        assert got[doc] == pytest.approx((dense, lexical), abs=TOLERANCE)


@settings(max_examples=100, deadline=None)
@given(corpus=corpora)
def test_document_maxima_match_a_python_dict(corpus):
    expected: dict[str, float] = {}
    for doc, value in zip(corpus.chunk_doc_ids, corpus.lexical.tolist(), strict=True):
        expected[doc] = max(expected.get(doc, -np.inf), value)
    got = corpus.documents.best(corpus.lexical)
    assert dict(zip(corpus.documents.doc_ids, got.tolist(), strict=True)) == expected


@settings(max_examples=100, deadline=None)
@given(corpus=corpora, data=st.data())
def test_rows_of_and_best_of_match_python(corpus, data):
    documents = corpus.documents
    picked = data.draw(st.lists(st.integers(0, len(documents) - 1), unique=True))
    docs = np.array(picked, dtype=np.int64)
    rows, segment = documents.rows_of(docs)
    for position, doc in enumerate(picked):
        expected = [r for r, d in enumerate(corpus.chunk_doc_ids) if d == documents.doc_ids[doc]]
        assert sorted(rows[segment == position].tolist()) == expected
    best, best_rows = ChunkDocuments.best_of(corpus.lexical[rows], rows, segment)
    for position, doc in enumerate(picked):
        own = [r for r, d in enumerate(corpus.chunk_doc_ids) if d == documents.doc_ids[doc]]
        top = max(corpus.lexical[r] for r in own)
        assert best[position] == top
        assert best_rows[position] == min(r for r in own if corpus.lexical[r] == top)


@given(rows=st.lists(st.integers(0, 39)), limit=st.integers(1, 50))
def test_first_distinct_keeps_first_appearance_order(rows, limit):
    documents = ChunkDocuments.from_chunk_doc_ids([f"d{i % 7}" for i in range(40)])
    docs, first = documents.first_distinct(np.array(rows, dtype=np.int64), limit)
    names = [f"d{r % 7}" for r in rows]
    expected = list(dict.fromkeys(names))[:limit]
    assert [documents.doc_ids[d] for d in docs] == expected
    assert [names.index(n) for n in expected] == first.tolist()


# ------------------------------------------------------------ the Retriever, real model


@pytest.mark.parametrize("mode", MODES)
def test_search_documents_agrees_with_chunk_search(qa_retriever, mode):
    """Dense and lexical: a document ranks where its best chunk ranks among all chunks."""
    query = "ash cloud over Europe and bread starter"
    all_chunks = qa_retriever.search(query, k=len(qa_retriever.chunks), mode=mode)
    documents = qa_retriever.search_documents(query, k=10, mode=mode)
    assert [h.rank for h in documents] == list(range(1, len(documents) + 1))
    assert len({h.doc_id for h in documents}) == len(documents)
    if mode != "hybrid":  # hybrid fuses per document, not per chunk
        assert [h.doc_id for h in documents] == list(dict.fromkeys(h.doc_id for h in all_chunks))
        best = {}
        for hit in all_chunks:
            best.setdefault(hit.doc_id, hit)
        for hit in documents:
            assert hit.chunk_id == best[hit.doc_id].chunk_id
            assert hit.scores == pytest.approx(best[hit.doc_id].scores, abs=1e-6)


def test_search_documents_returns_every_document_when_k_allows(qa_retriever):
    n_docs = len(qa_retriever.documents)
    for mode in ("dense", "hybrid"):
        hits = qa_retriever.search_documents("history", k=n_docs + 5, mode=mode)
        assert len(hits) == n_docs
        assert qa_retriever.search_documents("history", k=1, mode=mode)[0] == hits[0]
    assert qa_retriever.search_documents("zzzz qqqq", k=5, mode="lexical") == []
    assert qa_retriever.search_documents("   ", k=5) == []
