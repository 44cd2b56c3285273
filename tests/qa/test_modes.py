"""Retrieval modes: one contract test run against every mode of qa.modes."""

from __future__ import annotations

import numpy as np
import pytest

from seedqa.qa.errors import InvalidSetting
from seedqa.qa.modes import MODES, RETRIEVAL_MODES, Candidates, retrieval_mode


def test_modes_are_named_by_the_map_and_unknown_names_list_them():
    assert MODES == tuple(RETRIEVAL_MODES) == ("hybrid", "dense", "lexical")
    assert retrieval_mode("dense") is RETRIEVAL_MODES["dense"]
    for bad in ("semantic", None, 3):
        with pytest.raises(InvalidSetting, match="use one of hybrid, dense, lexical"):
            retrieval_mode(bad)


@pytest.mark.parametrize("name", MODES)
def test_contract_rank_uses_only_the_signals_the_mode_computes(name):
    mode = RETRIEVAL_MODES[name]
    candidates = Candidates(np.arange(3), np.array([0.9, 0.2, 0.5]), np.array([0.0, 5.0, 2.0]))
    ranking = mode.rank(candidates, lambda dense, lexical: dense + lexical / 10)
    assert ranking.shape == (3,)
    assert set(mode.signals(0.5, 2.0)) == {s for s, on in
                                           (("dense", mode.dense), ("lexical", mode.lexical))
                                           if on}  # fmt: skip
    if not mode.lexical:
        assert list(ranking) == [0.9, 0.2, 0.5]
    if not mode.dense:
        assert list(ranking) == [0.0, 5.0, 2.0]


@pytest.mark.parametrize("name", MODES)
def test_contract_every_mode_on_a_real_index(qa_retriever, name):
    mode = RETRIEVAL_MODES[name]
    hits = qa_retriever.search("When did Hekla erupt and bury farms under ash?", k=3, mode=name)
    assert 1 <= len(hits) <= 3
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].doc_id == "small/volcanoes.md"
    for hit in hits:
        assert set(hit.scores) == set(mode.signals(0.0, 0.0))
    candidates = qa_retriever.candidates("Hekla eruption", 10, name)
    assert len(candidates.rows) == len(candidates.dense) == len(candidates.lexical)
    assert list(candidates.rows) == sorted(candidates.rows)
    if not mode.dense:
        assert not candidates.dense.any()
    if not mode.lexical:
        assert not candidates.lexical.any()
