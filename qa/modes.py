"""Retrieval modes: which signals a mode computes and how it ranks the candidates.

A mode is chosen by name from ``RETRIEVAL_MODES``; ``retrieval_mode`` looks
it up and names the valid ones when the name is unknown. Every mode ranks
the same ``Candidates`` record, so adding one is one function and one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from seedqa.index.errors import InvalidSetting

if TYPE_CHECKING:  # numpy is not needed to name or look up a mode
    import numpy as np

#: Fuses the dense and lexical scores of the candidates into one ranking score.
Fuse = Callable[["np.ndarray", "np.ndarray"], "np.ndarray"]


@dataclass(frozen=True)
class Candidates:
    """The candidate chunk rows of one query and both signals for every row.

    ``rows`` are chunk rows (FAISS id i is BM25 row i is chunk i) in
    ascending order; ``dense`` holds cosine similarities and ``lexical``
    BM25 scores, zeros for a signal the mode does not compute.
    """

    rows: np.ndarray
    dense: np.ndarray
    lexical: np.ndarray

    def __len__(self) -> int:
        """Number of candidate rows."""
        return len(self.rows)


class Scored(Protocol):
    """What a mode ranks: chunk ``Candidates`` or ``qa.document_ranking.DocumentCandidates``."""

    dense: np.ndarray
    lexical: np.ndarray


@dataclass(frozen=True)
class RetrievalMode:
    """A retrieval mode: the signals it computes and its ranking function."""

    name: str
    dense: bool
    lexical: bool
    rank: Callable[[Scored, Fuse], np.ndarray]

    def signals(self, dense: float, lexical: float) -> dict[str, float]:
        """The per-signal scores this mode computed for one hit."""
        signals = {}
        if self.dense:
            signals["dense"] = float(dense)
        if self.lexical:
            signals["lexical"] = float(lexical)
        return signals


def _rank_hybrid(candidates: Scored, fuse: Fuse) -> np.ndarray:
    return fuse(candidates.dense, candidates.lexical)


def _rank_dense(candidates: Scored, fuse: Fuse) -> np.ndarray:
    return candidates.dense


def _rank_lexical(candidates: Scored, fuse: Fuse) -> np.ndarray:
    return candidates.lexical


RETRIEVAL_MODES: dict[str, RetrievalMode] = {
    "hybrid": RetrievalMode("hybrid", dense=True, lexical=True, rank=_rank_hybrid),
    "dense": RetrievalMode("dense", dense=True, lexical=False, rank=_rank_dense),
    "lexical": RetrievalMode("lexical", dense=False, lexical=True, rank=_rank_lexical),
}
#: The mode names, default first.
MODES = tuple(RETRIEVAL_MODES)
DEFAULT_MODE = "hybrid"


def retrieval_mode(name: object) -> RetrievalMode:
    """Return the mode called ``name``; raise ``InvalidSetting`` listing the valid names."""
    mode = RETRIEVAL_MODES.get(name) if isinstance(name, str) else None
    if mode is None:
        raise InvalidSetting(f"mode {name!r} is not valid; use one of {', '.join(MODES)}")
    return mode
