"""The retrieve stage: hybrid search over an index (FAISS + BM25), the public API.

Example:
    >>> from seedqa import Retriever
    >>> retriever = Retriever.load(".seedqa")
    >>> for hit in retriever.search("How much will Xiaomi invest?", k=3):
    ...     print(hit.rank, round(hit.score, 3), hit.doc_id, hit.text[:60])

Modes (``hybrid``, ``dense``, ``lexical``) come from ``qa.modes``; the
fusion of the hybrid mode from ``qa.fusion``. Both are checked when the
``Retriever`` is built. This module only reads an index: building one is
``index.build`` (or ``SeedqaService.index``). A ``Retriever`` is safe to
call from many threads at once.

"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
from seedqa.index.manifest import check_embedder
from seedqa.index.paths import default_index_dir
from seedqa.index.records import Chunk
from seedqa.index.state import IndexState
from seedqa.index.store import StoredIndex, load_index
from seedqa.index.vectors import search_vectors
from seedqa.qa.fusion import DEFAULT_DENSE_WEIGHT, FUSION_METHODS
from seedqa.qa.inputs import DEFAULT_K, MAX_K, check_k
from seedqa.qa.modes import DEFAULT_MODE, MODES, Candidates, RetrievalMode, retrieval_mode

__all__ = ["DEFAULT_FUSION", "DEFAULT_MODE", "MAX_K", "MODES", "Candidates", "Hit", "Retriever"]

DEFAULT_FUSION = "convex"
#: Candidates gathered from each signal: at least this many, or four times ``k``.
MIN_DEPTH = 50


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


class Retriever:
    """Hybrid dense + lexical retrieval over a stored index.

    ``fusion`` names a method of ``FUSION_METHODS`` and ``dense_weight`` its
    weight of the dense signal (0 to 1); both are checked here, once.
    """

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
        self._fuse = partial(FUSION_METHODS[fusion], dense_weight=dense_weight)
        self._titles = {d: e.title for d, e in stored.manifest.documents.items()}

    @classmethod
    def load(
        cls,
        index_dir: str | Path | IndexState | None = None,
        embedder: Embedder | None = None,
        **options,
    ) -> Retriever:
        """Load the index at ``index_dir`` (default ``.seedqa``) and its embedder.

        ``index_dir`` may be an ``IndexState`` already read for this operation.
        ``embedder`` must be the index's model (default: load the index's).
        """
        if not isinstance(index_dir, IndexState):
            index_dir = IndexState.read(index_dir or default_index_dir())
        manifest = index_dir.require()
        if embedder is None:
            embedder = Embedder.load(manifest.embedder)
        check_embedder(manifest, embedder.name, embedder.dimension)
        return cls(load_index(index_dir), embedder, **options)

    @property
    def chunks(self) -> list[Chunk]:
        """The chunk table (row i is FAISS id i and BM25 row i)."""
        return self.stored.chunks

    def title(self, doc_id: str) -> str:
        """Return a document's title."""
        return self._titles.get(doc_id, doc_id)

    def candidates(self, query: str, depth: int, mode: str = DEFAULT_MODE) -> Candidates:
        """Return up to ``depth`` candidate rows per signal of ``mode``, with both scores.

        Every candidate gets the score of each signal the mode uses, also
        when only the other signal found it.
        """
        return self._candidates(query, depth, retrieval_mode(mode))

    def _candidates(self, query: str, depth: int, mode: RetrievalMode) -> Candidates:
        lexical_all = self.stored.lexical.scores(query) if mode.lexical else None
        rows: set[int] = set()
        vector = None
        if mode.dense:
            vector = self.embedder.embed_query(query)
            limit = min(depth, len(self.stored.chunks))
            _, ids = search_vectors(self.stored.vectors, vector[None, :], limit)
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
        return Candidates(
            order, dense.astype(np.float64), np.asarray(lexical, dtype=np.float64)
        )

    def search(self, query: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE) -> list[Hit]:
        """Return the top ``k`` hits for ``query``.

        ``mode`` is ``"hybrid"`` (dense and BM25 fused), ``"dense"`` (FAISS
        only) or ``"lexical"`` (BM25 only). An empty or whitespace query
        returns no hits. A bad ``k`` or mode raises ``InvalidSetting``.
        """
        chosen = retrieval_mode(mode)
        check_k(k)
        if not isinstance(query, str):
            raise InvalidSetting("the query must be text")
        if not query.strip() or not self.stored.chunks:
            return []
        candidates = self._candidates(query, max(MIN_DEPTH, 4 * k), chosen)
        if not len(candidates):
            return []
        ranking = chosen.rank(candidates, self._fuse)
        order = np.lexsort((candidates.rows, -ranking))[:k]
        return [
            self._hit(rank, self.stored.chunks[int(candidates.rows[i])], float(ranking[i]),
                      chosen.signals(candidates.dense[i], candidates.lexical[i]))
            for rank, i in enumerate(order, start=1)
        ]  # fmt: skip

    def _hit(self, rank: int, chunk: Chunk, score: float, scores: dict[str, float]) -> Hit:
        return Hit(
            rank=rank,
            score=score,
            scores=scores,
            doc_id=chunk.doc_id,
            title=self.title(chunk.doc_id),
            chunk_id=chunk.chunk_id,
            text=chunk.text,
            start=chunk.start,
            end=chunk.end,
            page=chunk.page,
            chunk=chunk,
        )
