"""Embedder.embed_tokens: wordpiece ids and per-token vectors from one forward pass."""

import numpy as np


def test_embed_tokens_matches_sentence_vectors(embedder):
    texts = ["How much money goes into research?", "Hi", "A longer sentence about R&D budgets."]
    tokens = embedder.embed_tokens(texts)
    vectors = embedder.embed_documents(texts)
    assert len(tokens) == len(texts)
    for token, vector, text in zip(tokens, vectors, texts, strict=True):
        count = embedder.count_model_tokens([text])[0]
        assert token.ids.shape[0] == token.vectors.shape[0] == count
        assert token.vectors.shape[1] == embedder.dimension
        assert float(token.pooled @ vector) > 0.999


def test_embed_tokens_of_nothing_is_empty(embedder):
    assert embedder.embed_tokens([]) == []


def test_embed_tokens_truncates_to_the_model_window(embedder):
    (token,) = embedder.embed_tokens(["word " * 1000])
    assert token.ids.shape[0] == embedder.max_tokens
    assert np.isfinite(token.vectors).all()
