"""The retrieve stage: hybrid search over an index (FAISS + BM25), the public API.

Example:
    >>> from qa import Retriever
    >>> retriever = Retriever.load(".seedqa")
    >>> for hit in retriever.search("How much will Xiaomi invest?", k=3):
    ...     print(hit.rank, round(hit.score, 3), hit.doc_id, hit.text[:60])

A ``Retriever`` is safe to call from many threads at once.

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from seedqa.index.build import build_index
from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
from seedqa.index.records import Chunk
from seedqa.index.store import StoredIndex, check_embedder, default_index_dir, load_index
from seedqa.index.vectors import search_vectors
from seedqa.qa.fusion import DEFAULT_DENSE_WEIGHT, FUSION_METHODS

MODES = ("hybrid", "dense", "lexical")
DEFAULT_MODE = "hybrid"
DEFAULT_FUSION = "convex"
MAX_K = 1000


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk.

    ``score`` is the ranking score of the chosen mode; ``scores`` holds each
    signal the mode computed (``dense``: cosine similarity, ``lexical``: BM25;
    hybrid has both).
    """

    rank: int
    score: float
    scores: dict[str, float]
    doc_id: str
    title: str
    chunk_id: str
    text: str
    start: int
    end: int
    page: int | None
    chunk: Chunk = field(repr=False, compare=False)

    def to_json(self) -> dict:
        """The documented hit schema (no per-signal scores, no chunk object)."""
        data = asdict(self)
        data.pop("chunk")
        data.pop("scores")
        return data


def _validate(query: str, k: int, mode: str) -> None:
    if mode not in MODES:
        raise InvalidSetting(f"mode {mode!r} is not valid; use one of {', '.join(MODES)}")
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidSetting(f"k={k!r} is not valid; use a whole number from 1 to {MAX_K}")
    if not isinstance(query, str):
        raise InvalidSetting("the query must be text")


class Retriever:
    """Hybrid dense + lexical retrieval over a stored index."""

    def __init__(
        self,
        stored: StoredIndex,
        embedder: Embedder,
        fusion: str = DEFAULT_FUSION,
        dense_weight: float = DEFAULT_DENSE_WEIGHT,
    ) -> None:
        if fusion not in FUSION_METHODS:
            raise InvalidSetting(
                f"fusion {fusion!r} is not valid; use one of {', '.join(FUSION_METHODS)}"
            )
        if not 0.0 <= dense_weight <= 1.0:
            raise InvalidSetting(f"dense_weight={dense_weight} is not valid; use 0.0 to 1.0")
        self.stored = stored
        self.embedder = embedder
        self.fusion = fusion
        self.dense_weight = dense_weight
        self._titles = {d: e.title for d, e in stored.manifest.documents.items()}

    @classmethod
    def load(
        cls, index_dir: str | Path | None = None, embedder: Embedder | None = None, **options
    ) -> Retriever:
        """Load the index at ``index_dir`` (default ``.seedqa``) and its embedder."""
        stored = load_index(Path(index_dir) if index_dir else default_index_dir())
        if embedder is None:
            embedder = Embedder.load(stored.manifest.embedder)
        check_embedder(stored.manifest, embedder.name, embedder.dimension)
        return cls(stored, embedder, **options)

    @classmethod
    def from_paths(
        cls, paths: Sequence[str | Path], index_dir: str | Path | None = None, **options
    ) -> Retriever:
        """Index ``paths`` (incrementally) into ``index_dir``, then load the retriever."""
        directory = Path(index_dir) if index_dir else default_index_dir()
        embedder = options.pop("embedder", None)
        build_index(paths, directory, embedder=embedder)
        return cls.load(directory, embedder=embedder, **options)

    @property
    def chunks(self) -> list[Chunk]:
        """The chunk table (row i is FAISS id i and BM25 row i)."""
        return self.stored.chunks

    def title(self, doc_id: str) -> str:
        """Return a document's title."""
        return self._titles.get(doc_id, doc_id)

    def candidates(
        self, query: str, depth: int, mode: str
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return candidate rows with their dense and lexical scores (both for every row)."""
        n = len(self.stored.chunks)
        lexical_all = self.stored.lexical.scores(query) if mode != "dense" else None
        rows: set[int] = set()
        vector = None
        if mode != "lexical":
            vector = self.embedder.embed_query(query)
            _, ids = search_vectors(self.stored.vectors, vector[None, :], min(depth, n))
            rows.update(int(i) for i in ids[0] if i >= 0)
        if lexical_all is not None:
            positive = np.flatnonzero(lexical_all > 0)
            if len(positive) > depth:
                positive = positive[np.argpartition(-lexical_all[positive], depth - 1)[:depth]]
            rows.update(int(i) for i in positive)
        order = np.array(sorted(rows), dtype=np.int64)
        if vector is not None and len(order):
            dense = self.stored.vectors.reconstruct_batch(order) @ vector
        else:
            dense = np.zeros(len(order), dtype=np.float32)
        lexical = lexical_all[order] if lexical_all is not None else np.zeros(len(order))
        return order, dense.astype(np.float64), np.asarray(lexical, dtype=np.float64)

    @staticmethod
    def _signals(mode: str, dense: float, lexical: float) -> dict[str, float]:
        """The per-signal scores a mode computed (hybrid computes both)."""
        signals = {}
        if mode != "lexical":
            signals["dense"] = float(dense)
        if mode != "dense":
            signals["lexical"] = float(lexical)
        return signals

    def search(self, query: str, k: int = 5, mode: str = DEFAULT_MODE) -> list[Hit]:
        """Return the top ``k`` hits for ``query``.

        ``mode`` is ``"hybrid"`` (dense and BM25 fused), ``"dense"`` (FAISS
        only) or ``"lexical"`` (BM25 only). An empty or whitespace query
        returns no hits.
        """
        _validate(query, k, mode)
        if not query.strip() or not self.stored.chunks:
            return []
        rows, dense, lexical = self.candidates(query, max(50, 4 * k), mode)
        if not len(rows):
            return []
        if mode == "dense":
            ranking = dense
        elif mode == "lexical":
            ranking = lexical
        else:
            ranking = FUSION_METHODS[self.fusion](dense, lexical, self.dense_weight)
        order = np.lexsort((rows, -ranking))[:k]
        hits = []
        for rank, position in enumerate(order, start=1):
            chunk = self.stored.chunks[int(rows[position])]
            hits.append(
                Hit(
                    rank=rank,
                    score=float(ranking[position]),
                    scores=self._signals(mode, dense[position], lexical[position]),
                    doc_id=chunk.doc_id,
                    title=self.title(chunk.doc_id),
                    chunk_id=chunk.chunk_id,
                    text=chunk.text,
                    start=chunk.start,
                    end=chunk.end,
                    page=chunk.page,
                    chunk=chunk,
                )
            )
        return hits
