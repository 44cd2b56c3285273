"""Embedder.token_embeddings: wordpiece ids and per-token vectors, one padded batch."""

import numpy as np

from seedqa.qa.answer_model import text_tokens


def test_token_vectors_pool_to_the_sentence_vectors(embedder):
    texts = ["How much money goes into research?", "Hi", "A longer sentence about R&D budgets."]
    batch = embedder.token_embeddings(texts)
    assert batch.vectors.shape[:2] == batch.attention_mask.shape == batch.input_ids.shape
    rows = text_tokens(embedder, texts)
    vectors = embedder.embed_documents(texts)
    for row, vector, text in zip(rows, vectors, texts, strict=True):
        count = embedder.count_model_tokens([text])[0]
        assert row.ids.shape[0] == row.vectors.shape[0] == count
        assert row.vectors.shape[1] == embedder.dimension
        assert float(row.pooled @ vector) > 0.999


def test_token_vectors_are_truncated_to_the_model_window(embedder):
    (row,) = text_tokens(embedder, ["word " * 1000])
    assert row.ids.shape[0] == embedder.max_tokens
    assert np.isfinite(row.vectors).all()
