"""qa.fusion's numpy methods give the same scores and ranking as plain Python loops."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from seedqa.qa.fusion import RRF_K, convex_combination, reciprocal_rank_fusion

scores = st.floats(-1.0, 1.0, allow_nan=False)
bm25 = st.one_of(st.just(0.0), st.floats(0.0, 30.0, allow_nan=False))
pairs = st.lists(st.tuples(scores, bm25), min_size=1, max_size=60)
weights = st.floats(0.0, 1.0)


def python_convex(dense: list[float], lexical: list[float], w: float) -> list[float]:
    def scale(values: list[float]) -> list[float]:
        low, high = min(values), max(values)
        return [(v - low) / (high - low) if high > low else 0.0 for v in values]

    return [w * d + (1 - w) * x for d, x in zip(scale(dense), scale(lexical), strict=True)]


def python_rrf(dense: list[float], lexical: list[float], w: float) -> list[float]:
    def ranks(values: list[float]) -> list[int]:
        order = sorted(range(len(values)), key=lambda i: -values[i])  # stable on ties
        rank = [0] * len(values)
        for position, i in enumerate(order, start=1):
            rank[i] = position
        return rank

    dense_rank, lexical_rank = ranks(dense), ranks(lexical)
    return [
        w / (RRF_K + dense_rank[i]) + ((1 - w) / (RRF_K + lexical_rank[i]) if x > 0 else 0.0)
        for i, x in enumerate(lexical)
    ]


def ranking(values) -> list[int]:
    """Best first, ties by position (as the retriever breaks them, by row)."""
    return sorted(range(len(values)), key=lambda i: (-round(float(values[i]), 9), i))


@given(pairs, weights)
def test_convex_combination_matches_python(pairs, w):
    dense, lexical = [p[0] for p in pairs], [p[1] for p in pairs]
    fused = convex_combination(np.array(dense), np.array(lexical), w)
    expected = python_convex(dense, lexical, w)
    np.testing.assert_allclose(fused, expected, atol=1e-9)
    assert ranking(fused) == ranking(expected)


@given(pairs, weights)
def test_reciprocal_rank_fusion_matches_python(pairs, w):
    dense, lexical = [p[0] for p in pairs], [p[1] for p in pairs]
    fused = reciprocal_rank_fusion(np.array(dense), np.array(lexical), w)
    expected = python_rrf(dense, lexical, w)
    np.testing.assert_allclose(fused, expected, atol=1e-12)
    assert ranking(fused) == ranking(expected)
