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
from seedqa.qa.document_ranking import DocumentRanking, QuerySignals, rank_documents
from seedqa.qa.documents import ChunkDocuments
from seedqa.qa.fusion import DEFAULT_DENSE_WEIGHT, FUSION_METHODS
from seedqa.qa.inputs import DEFAULT_K, MAX_DEPTH, MAX_K, check_depth
from seedqa.qa.modes import (
    DEFAULT_MODE,
    MODES,
    Candidates,
    Fuse,
    RetrievalMode,
    retrieval_mode,
)

__all__ = [
    "DEFAULT_FUSION",
    "DEFAULT_MODE",
    "MAX_DEPTH",
    "MAX_K",
    "MODES",
    "Candidates",
    "DocumentRanking",
    "Hit",
    "QuerySignals",
    "Retriever",
]

DEFAULT_FUSION = "convex"
#: Chunk search: candidates gathered from each signal, at least this many or four times ``k``.
MIN_DEPTH = 50
#: Document search, hybrid: each signal brings its top ``max(FUSION_POOL, k)`` documents,
#: and fusion scales the scores over them (chosen with the weight, see README).
FUSION_POOL = 100


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk; from ``search_documents``, the chunk that stands for a document.

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
    ``documents`` maps chunk rows to documents (``qa.documents.ChunkDocuments``),
    built once here for ``search_documents``.
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
        self.documents = ChunkDocuments.from_chunk_doc_ids([c.doc_id for c in stored.chunks])

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
        """The chunk table (row i is vector i and BM25 row i of the stores)."""
        return self.stored.chunks

    def title(self, doc_id: str) -> str:
        """Return a document's title."""
        return self._titles.get(doc_id, doc_id)

    def signals(self, query: str, mode: str = DEFAULT_MODE) -> QuerySignals:
        """Compute what ``mode`` needs of ``query`` once: its vector, every chunk's BM25 score."""
        chosen = retrieval_mode(mode)
        return QuerySignals(
            vector=self.embedder.embed_query(query) if chosen.dense else None,
            lexical=self.stored.lexical.scores(query) if chosen.lexical else None,
        )

    def candidates(self, query: str, depth: int, mode: str = DEFAULT_MODE) -> Candidates:
        """Return up to ``depth`` candidate rows per signal of ``mode``, with both scores.

        Every candidate gets the score of each signal the mode uses, also
        when only the other signal found it.
        """
        return self._candidates(self.signals(query, mode), depth)

    def _candidates(self, signals: QuerySignals, depth: int) -> Candidates:
        found = []
        if signals.vector is not None:
            limit = min(depth, len(self.stored.chunks))
            _, ids = self.stored.vectors.search(signals.vector, limit)
            found.append(ids[0][ids[0] >= 0])
        if signals.lexical is not None:
            positive = np.flatnonzero(signals.lexical > 0)
            if len(positive) > depth:
                positive = positive[np.argpartition(-signals.lexical[positive], depth - 1)[:depth]]
            found.append(positive)
        rows = np.unique(np.concatenate(found)).astype(np.int64, copy=False)
        zeros = np.zeros(len(rows), dtype=np.float64)
        dense = zeros
        if signals.vector is not None and len(rows):
            dense = (self.stored.vectors.vectors(rows) @ signals.vector).astype(np.float64)
        lexical = zeros if signals.lexical is None else signals.lexical[rows].astype(np.float64)
        return Candidates(rows, dense, lexical)

    def _checked(self, query: object, k: int, mode: str) -> RetrievalMode:
        chosen = retrieval_mode(mode)
        check_depth(k)
        if not isinstance(query, str):
            raise InvalidSetting("the query must be text")
        return chosen

    def search(self, query: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE) -> list[Hit]:
        """Return the top ``k`` chunks for ``query``.

        ``mode`` is ``"hybrid"`` (dense and BM25 fused), ``"dense"`` (FAISS
        only) or ``"lexical"`` (BM25 only). An empty or whitespace query
        returns no hits. ``k`` may go up to ``MAX_DEPTH`` (1000, for evaluation
        runs; requests through ``SeedqaService`` stop at ``MAX_K``, 100). A bad
        ``k`` or mode raises ``InvalidSetting``.
        """
        chosen = self._checked(query, k, mode)
        if not query.strip() or not self.stored.chunks:
            return []
        candidates = self._candidates(self.signals(query, mode), max(MIN_DEPTH, 4 * k))
        if not len(candidates):
            return []
        ranking = chosen.rank(candidates, self._fuse)
        order = np.lexsort((candidates.rows, -ranking))[:k]
        return [
            self._hit(rank, self.stored.chunks[int(candidates.rows[i])], float(ranking[i]),
                      chosen.signals(candidates.dense[i], candidates.lexical[i]))
            for rank, i in enumerate(order, start=1)
        ]  # fmt: skip

    def search_documents(
        self, query: str, k: int = DEFAULT_K, mode: str = DEFAULT_MODE
    ) -> list[Hit]:
        """Return the top ``k`` documents for ``query``, each as the hit of its best chunk.

        A document scores as its best chunk: ``scores`` holds its best
        cosine and its best BM25 score, and in hybrid mode ``score`` fuses
        the two over the top ``max(FUSION_POOL, k)`` documents of each
        signal. ``k`` documents come back whenever the index has them
        (lexical mode: documents sharing a term with the query).
        """
        chosen = self._checked(query, k, mode)
        if not query.strip() or not self.stored.chunks:
            return []
        ranking = self.rank_documents(self.signals(query, mode), k, mode)
        return [
            self._hit(rank, self.stored.chunks[int(row)], float(score),
                      chosen.signals(dense, lexical))
            for rank, (row, score, dense, lexical) in enumerate(
                zip(ranking.rows, ranking.scores, ranking.dense, ranking.lexical, strict=True),
                start=1,
            )
        ]  # fmt: skip

    def rank_documents(
        self, signals: QuerySignals, k: int, mode: str = DEFAULT_MODE, fuse: Fuse | None = None
    ) -> DocumentRanking:
        """The top ``k`` documents as arrays (no per-hit objects); ``fuse`` overrides the fusion.

        ``self.documents.doc_ids[d]`` names document number ``d``.
        """
        return rank_documents(
            self.stored.vectors,
            self.documents,
            signals,
            k,
            retrieval_mode(mode),
            fuse or self._fuse,
            FUSION_POOL,
        )

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
