"""qa.fusion: every fusion method keeps the same contract (shape, order, weight extremes)."""

from __future__ import annotations

import numpy as np
import pytest

from seedqa.qa.fusion import FUSION_METHODS, convex_combination, reciprocal_rank_fusion

DENSE = np.array([0.9, 0.5, 0.7, 0.1])
LEXICAL = np.array([0.0, 8.0, 4.0, 2.0])


@pytest.mark.parametrize("name", sorted(FUSION_METHODS))
def test_contract_shape_and_finiteness(name):
    fused = FUSION_METHODS[name](DENSE, LEXICAL, 0.5)
    assert fused.shape == DENSE.shape and np.isfinite(fused).all()


@pytest.mark.parametrize("name", sorted(FUSION_METHODS))
def test_contract_a_candidate_better_on_both_signals_ranks_higher(name):
    dense = np.array([0.2, 0.8, 0.5])
    lexical = np.array([1.0, 6.0, 3.0])
    fused = FUSION_METHODS[name](dense, lexical, 0.5)
    assert list(np.argsort(-fused)) == [1, 2, 0]


@pytest.mark.parametrize("name", sorted(FUSION_METHODS))
def test_contract_weight_one_follows_dense_and_zero_follows_lexical(name):
    method = FUSION_METHODS[name]
    assert list(np.argsort(-method(DENSE, LEXICAL, 1.0), kind="stable")) == [0, 2, 1, 3]
    lexical_order = list(np.argsort(-method(DENSE, LEXICAL, 0.0), kind="stable"))
    assert lexical_order[:3] == [1, 2, 3]


def test_convex_scales_each_signal_to_unit_range():
    fused = convex_combination(DENSE, LEXICAL, 0.5)
    assert fused.min() >= 0.0 and fused.max() <= 1.0
    expected = 0.5 * (DENSE - 0.1) / 0.8 + 0.5 * LEXICAL / 8.0
    assert np.allclose(fused, expected)
    flat = convex_combination(np.full(3, 0.4), np.array([1.0, 2.0, 3.0]), 0.5)
    assert np.allclose(flat, [0.0, 0.25, 0.5])  # a constant signal contributes nothing


def test_rrf_gives_no_lexical_term_without_a_lexical_match():
    fused = reciprocal_rank_fusion(DENSE, LEXICAL, 0.5)
    assert np.isclose(fused[0], 0.5 / (60 + 1))  # best dense, BM25 score 0
    assert fused[1] > 0.5 / (60 + 3)
