"""The torch training head and the numpy answer model compute the same function."""

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from seedqa.qa.answer_model import AnswerModel, TextTokens, merge_context, text_tokens  # noqa: E402
from seedqa.training.head import AnswerHead  # noqa: E402
from seedqa.training.train import Dataset, TextTable, make_batch  # noqa: E402

QUESTION = "how much money goes into research in 2019?"
SENTENCES = [
    "Xiaomi has promised to increase its R&D investments to $7.18 billion.",
    "Throwing cash at an opportunity is no guarantee of success.",
    "",  # a candidate whose text has no wordpieces left is still scored
]
PREVIOUS = ["January 2, 2020", "", "Xiaomi makes big noises"]
TITLE = "Xiaomi makes big noises with $7bn plan"


class _Store:
    """Token vectors rounded to float16, as the training table stores them."""

    def __init__(self, embedder, texts):
        self.tokens = {
            text: dataclasses.replace(t, vectors=t.vectors.astype(np.float16).astype(np.float32))
            for text, t in zip(texts, text_tokens(embedder, texts), strict=True)
        }

    def get(self, text):
        return self.tokens[text]


def test_numpy_model_matches_torch_head(embedder):
    torch.manual_seed(3)
    n_hand = 5
    head = AnswerHead(n_hand, hand_mean=np.full(n_hand, 0.2), hand_std=np.full(n_hand, 0.7))
    with torch.no_grad():  # move every parameter away from its initial zeros
        for parameter in head.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.3)
    numeric = np.zeros(40_000, dtype=bool)
    numeric[[1016, 2325, 2539]] = True  # "2", "2019", "2020"
    texts = [QUESTION, *[s for s in SENTENCES if s], *[p for p in PREVIOUS if p], TITLE]
    store = _Store(embedder, list(dict.fromkeys(texts)))
    table_texts = list(dict.fromkeys(texts + [""]))
    store.tokens[""] = TextTokens(
        np.array([101, 102], np.int32), np.zeros((2, 384), np.float32), np.zeros(384, np.float32)
    )
    table = TextTable(table_texts, store, max_tokens=96)
    index = {t: i for i, t in enumerate(table_texts)}
    hand = np.random.default_rng(0).normal(size=(len(SENTENCES), n_hand)).astype(np.float32)
    arrays = {
        "question": np.array([index[QUESTION]]),
        "start": np.array([0]),
        "count": np.array([len(SENTENCES)]),
        "sentence": np.array([index[s] for s in SENTENCES]),
        "previous": np.array([index[p] if p else -1 for p in PREVIOUS]),
        "title": np.array([index[TITLE]] * len(SENTENCES)),
        "label": np.zeros(len(SENTENCES), np.int8),
        "hand": hand,
    }
    dataset = Dataset("parity", arrays, [], table)
    batch = make_batch(dataset, [0], [np.arange(len(SENTENCES))], numeric)
    with torch.no_grad():
        expected = head(batch).numpy()

    params = head.export()
    params["numeric_vocab"] = numeric
    config = {"format": 1, "threshold": 0.5, "hand_features": ["x"] * n_hand}
    model = AnswerModel(params, config)
    question = model.encode(store.get(QUESTION))
    sentences = [model.encode(store.get(s)) for s in SENTENCES]
    contexts = [
        merge_context(
            [model.encode(store.get(p)) for p in (prev,) if p] + [model.encode(store.get(TITLE))],
            question,
        )
        for prev in PREVIOUS
    ]
    got = model.logits(question, sentences, contexts, hand)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)
