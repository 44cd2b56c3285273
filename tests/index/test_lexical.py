"""index.lexical: BM25 over chunk texts, saved as transparent files, shared by threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from seedqa.index.lexical import LexicalIndex

TEXTS = [
    "Volcanoes of Iceland erupted and buried farms under ash.",
    "Sourdough bread is leavened by wild yeast.",
    "The volcano Hekla erupted in 1104.",
    "Chess reached Europe through Persia.",
]


def test_tokenize_lowercases_stems_and_drops_stopwords():
    index = LexicalIndex.build(TEXTS)
    assert index.tokenize("The Volcanoes are ERUPTING") == ["volcano", "erupt"]


def test_scores_rank_matching_rows_and_zero_the_others():
    index = LexicalIndex.build(TEXTS)
    scores = index.scores("volcano erupted")
    assert scores.shape == (4,) and scores[1] == scores[3] == 0.0
    assert scores[0] > 0 and scores[2] > 0
    top, rows = index.search("volcano erupted", k=10)
    assert set(rows.tolist()) == {0, 2} and list(top) == sorted(top, reverse=True)
    assert not index.scores("quantum entanglement").any()  # no known term


def test_idf_is_higher_for_rarer_terms_and_highest_for_unknown_ones():
    index = LexicalIndex.build(TEXTS)
    common, rare, unknown = index.idf(["erupt", "sourdough", "zorblax"])
    assert rare > common and unknown >= rare


def test_save_and_load_round_trip(tmp_path):
    index = LexicalIndex.build(TEXTS)
    index.save(tmp_path / "bm25")
    loaded = LexicalIndex.load(tmp_path / "bm25", size=len(TEXTS))
    assert np.allclose(loaded.scores("Hekla ash"), index.scores("Hekla ash"))
    assert sorted(p.suffix for p in (tmp_path / "bm25").iterdir() if p.suffix) >= [".json"]


def test_texts_without_any_indexable_word_still_build():
    index = LexicalIndex.build(["the and of", "!!!"])
    assert index.size == 2 and not index.scores("anything").any()
    assert LexicalIndex.build([]).size == 0


def test_threads_get_the_same_scores_as_serial_calls():
    index = LexicalIndex.build(TEXTS * 50)
    queries = ["volcano", "bread yeast", "chess Persia", "Hekla 1104"] * 10
    serial = [index.scores(q).tolist() for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = [s.tolist() for s in pool.map(index.scores, queries)]
    assert parallel == serial
