"""Fusion of dense (FAISS) and lexical (BM25) scores into one ranking.

Strategies are chosen by name from ``FUSION_METHODS``. The default and its
weight were chosen by ``eval/tune_fusion.py`` on data other than SciFact's
test queries (SciFact's train claims and SQuAD), so that the SciFact test
figures are untuned (see README, How hybrid fusion was chosen).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

RRF_K = 60
DEFAULT_DENSE_WEIGHT = 0.6


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Return 1-based ranks (1 = best) of ``scores``; ties share the better rank order."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), dtype=np.float64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def reciprocal_rank_fusion(
    dense: np.ndarray, lexical: np.ndarray, dense_weight: float = DEFAULT_DENSE_WEIGHT
) -> np.ndarray:
    """Weighted RRF: ``w / (K + rank_dense) + (1 - w) / (K + rank_lexical)``.

    Candidates with no lexical match (BM25 score 0) get no lexical term.
    """
    fused = dense_weight / (RRF_K + _ranks(dense))
    lexical_part = (1.0 - dense_weight) / (RRF_K + _ranks(lexical))
    return fused + np.where(lexical > 0, lexical_part, 0.0)


def convex_combination(
    dense: np.ndarray, lexical: np.ndarray, dense_weight: float = DEFAULT_DENSE_WEIGHT
) -> np.ndarray:
    """``w * dense' + (1 - w) * lexical'`` with each signal min-max scaled over candidates."""

    def scale(values: np.ndarray) -> np.ndarray:
        low, high = float(values.min()), float(values.max())
        return (values - low) / (high - low) if high > low else np.zeros_like(values)

    return dense_weight * scale(dense) + (1.0 - dense_weight) * scale(lexical)


FUSION_METHODS: dict[str, Callable[[np.ndarray, np.ndarray, float], np.ndarray]] = {
    "rrf": reciprocal_rank_fusion,
    "convex": convex_combination,
}
