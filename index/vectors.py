"""The vector store: a FAISS index over chunk vectors (arrays and row ids only).

The index type is chosen by size: exact inner-product search below
``EXACT_MAX_VECTORS`` vectors, HNSW above it. ``eval/bench_index.py``
measures recall@10 against exact search and query latency on real
embeddings to justify the threshold and the HNSW parameters.
"""

from __future__ import annotations

import threading
from pathlib import Path

import faiss
import numpy as np

from seedqa.index.errors import InvalidSetting

#: Below this many vectors a flat (exact) index is fast enough (see README, FAISS study).
EXACT_MAX_VECTORS = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 96
INDEX_KINDS = ("auto", "flat", "hnsw")

_thread_lock = threading.Lock()


def choose_kind(n_vectors: int) -> str:
    """Return ``"flat"`` or ``"hnsw"`` for an index of ``n_vectors`` vectors."""
    return "flat" if n_vectors < EXACT_MAX_VECTORS else "hnsw"


def build_vector_index(vectors: np.ndarray, kind: str = "auto") -> faiss.Index:
    """Build a FAISS inner-product index over unit ``vectors`` (row i has id i)."""
    if kind not in INDEX_KINDS:
        raise InvalidSetting(f"index kind {kind!r} is not valid; use one of {INDEX_KINDS}")
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    dimension = vectors.shape[1]
    if kind == "auto":
        kind = choose_kind(len(vectors))
    if kind == "flat":
        index = faiss.IndexFlatIP(dimension)
    else:
        index = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    if len(vectors):
        index.add(vectors)
    return index


def index_kind(index: faiss.Index) -> str:
    """Return the kind name (``flat`` or ``hnsw``) of a built index."""
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"


def save_vector_index(index: faiss.Index, path: Path) -> None:
    """Write ``index`` to ``path``."""
    faiss.write_index(index, str(path))


def load_vector_index(path: Path) -> faiss.Index:
    """Read an index written by ``save_vector_index``."""
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = HNSW_EF_SEARCH
    return index


def search_vectors(
    index: faiss.Index, queries: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(scores, row ids)`` of the ``k`` nearest rows for each query row.

    A single query runs with one OpenMP thread (faster for flat search on
    small indexes); batches use all threads. Missing results have id -1.
    """
    queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
    k = max(1, min(k, index.ntotal))
    if index.ntotal == 0:
        empty = np.full((len(queries), 1), -1, dtype=np.int64)
        return np.zeros((len(queries), 1), dtype=np.float32), empty
    threads = 1 if len(queries) == 1 else 2
    with _thread_lock:
        faiss.omp_set_num_threads(threads)
        scores, ids = index.search(queries, k)
    return scores, ids
