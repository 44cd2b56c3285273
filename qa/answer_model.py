"""The answer-sentence model: does this sentence answer this question? (numpy only).

The model reads the question and a candidate sentence together, word by word,
on top of the frozen MiniLM token vectors that the embedder already computes
(``Embedder.token_embeddings``):

1. every token is projected into a small learned space; each question token is
   aligned with its best match in the sentence and, separately, in the
   sentence's context (the sentence before it and the document title), and
   exact wordpiece matches and figures are flagged;
2. a tiny network turns those alignments into how well each question token is
   supported, and learned token weights say which question tokens matter
   (a name or "profit" matters, "what" and "the" do not). The weighted mean
   and a soft minimum of the support (the weakest important token) follow;
3. an answer-type score checks that the sentence holds something the question
   does not already say, of the kind it asks for;
4. a small MLP combines these with the ranking signals of the old scorer
   (sentence and chunk cosine, lexical share, rank, answer kind, unsupported
   figures and names; see ``answer_features.HAND_FEATURES``) into the
   probability that the sentence answers.

Everything is stored in one ``model.npz`` and a ``config.json`` (with the
calibrated threshold) under ``models/answerer/``; training code lives in
``seedqa.training`` and is not needed here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seedqa.index.embed import Embedder
from seedqa.index.errors import SeedqaError

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "answerer"
FORMAT_VERSION = 1
#: Soft-minimum sharpness over question tokens (fixed, shared with training).
SOFTMIN_TEMPERATURE = 8.0
TOKEN_FEATURES = ("align", "context_align", "exact", "context_exact", "figure", "figure_unmatched")


#: Texts per forward pass when asking the embedder for token vectors.
TOKEN_BATCH = 32


class AnswerModelError(SeedqaError):
    """The answer model's files are missing, unreadable or of another version."""


@dataclass(frozen=True)
class TextTokens:
    """One text as the embedder sees it, for the answer model.

    ``ids`` are its wordpiece ids (``[CLS]`` ... ``[SEP]``), ``vectors`` the last
    layer's vector of each, and ``pooled`` the text's mean-pooled unit vector.
    """

    ids: np.ndarray
    vectors: np.ndarray
    pooled: np.ndarray


def text_tokens(embedder: Embedder, texts: list[str]) -> list[TextTokens]:
    """Token ids and vectors of each text from ``embedder``, one forward pass per batch."""
    found: list[TextTokens] = []
    for begin in range(0, len(texts), TOKEN_BATCH):
        batch = embedder.token_embeddings(texts[begin : begin + TOKEN_BATCH])
        for row in range(len(batch.vectors)):
            mask = np.asarray(batch.attention_mask[row]) == 1
            vectors = np.ascontiguousarray(batch.vectors[row][mask], dtype=np.float32)
            pooled = vectors.mean(axis=0)
            pooled /= max(float(np.linalg.norm(pooled)), 1e-12)
            ids = np.asarray(batch.input_ids[row])[mask].astype(np.int32)
            found.append(TextTokens(ids, vectors, pooled))
    return found


@dataclass(frozen=True)
class EncodedText:
    """A text's tokens in the model's spaces (``[CLS]``/``[SEP]`` dropped).

    ``z``: unit alignment vectors; ``y``: answer-type vectors; ``importance``
    and ``qtype`` are only read for questions; ``pooled`` is the text's unit
    sentence vector.
    """

    ids: np.ndarray
    z: np.ndarray
    y: np.ndarray
    figure: np.ndarray
    importance: np.ndarray
    qtype: np.ndarray
    pooled: np.ndarray


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _exact(ids: np.ndarray, other: np.ndarray) -> np.ndarray:
    if not len(other):
        return np.zeros(len(ids), dtype=np.float32)
    return np.isin(ids, other).astype(np.float32)


class AnswerModel:
    """The trained answer-sentence model with its calibrated threshold.

    Example:
        >>> model = AnswerModel.load()
        >>> question = model.encode(text_tokens(embedder, ["what's the r&d budget"])[0])
        >>> model.probabilities(question, sentences, contexts, hand)  # doctest: +SKIP

    """

    def __init__(self, params: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        self.params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        self.numeric_vocab = np.asarray(params["numeric_vocab"], dtype=bool)
        self.config = config
        self.threshold = float(config["threshold"])
        self.margin = float(config.get("margin", 0.1))
        self.hand_features = tuple(config["hand_features"])
        self.max_tokens = int(config.get("max_sentence_tokens", 96))
        p = self.params
        self._token_proj = np.concatenate(
            [p["proj_w"], p["type_w"], p["qtype_w"], p["imp_w"][:, None], p["qtype_attn"][:, None]],
            axis=1,
        )
        self._dims = (p["proj_w"].shape[1], p["type_w"].shape[1], p["qtype_w"].shape[1])

    @classmethod
    def load(cls, directory: str | Path | None = None) -> AnswerModel:
        """Load ``model.npz`` and ``config.json`` from ``directory`` (default: shipped model)."""
        directory = Path(directory) if directory else MODEL_DIR
        try:
            config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
            with np.load(directory / "model.npz", allow_pickle=False) as data:
                params = {key: data[key] for key in data.files}
        except (OSError, ValueError, KeyError) as error:
            raise AnswerModelError(
                f"cannot read the answer model in {directory} ({type(error).__name__}); "
                "restore models/answerer/ from git or run `make train-answerer`"
            ) from None
        if config.get("format") != FORMAT_VERSION:
            raise AnswerModelError(
                f"the answer model in {directory} has format {config.get('format')!r}, "
                f"this seedqa reads format {FORMAT_VERSION}; run `make train-answerer`"
            )
        return cls(params, config)

    def encode(self, tokens: TextTokens) -> EncodedText:
        """Project one text's token vectors into the model's spaces."""
        vectors = tokens.vectors[1:-1][: self.max_tokens]
        ids = tokens.ids[1:-1][: self.max_tokens]
        d, d2, d3 = self._dims
        p = self.params
        out = vectors @ self._token_proj
        z = out[:, :d] + p["proj_b"]
        z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-6)
        y = out[:, d : d + d2]
        importance = _softplus(out[:, d + d2 + d3] + p["imp_b"]) + 1e-3
        if len(ids):
            attention = out[:, d + d2 + d3 + 1]
            attention = np.exp(attention - attention.max())
            qtype = (attention / attention.sum()) @ out[:, d + d2 : d + d2 + d3]
        else:
            qtype = np.zeros(d3, dtype=np.float32)
        return EncodedText(
            ids=ids,
            z=z.astype(np.float32),
            y=y.astype(np.float32),
            figure=self.numeric_vocab[ids].astype(np.float32),
            importance=importance.astype(np.float32),
            qtype=qtype.astype(np.float32),
            pooled=tokens.pooled,
        )

    def pair_features(
        self, question: EncodedText, sentence: EncodedText, context: EncodedText
    ) -> np.ndarray:
        """The four learned reading features of one (question, sentence) pair."""
        if not len(question.ids):
            return np.zeros(4, dtype=np.float32)
        sims = question.z @ sentence.z.T if len(sentence.ids) else None
        align = sims.max(axis=1) if sims is not None else np.full(len(question.ids), -1.0)
        if len(context.ids):
            context_align = (question.z @ context.z.T).max(axis=1)
        else:
            context_align = np.full(len(question.ids), -1.0)
        exact = _exact(question.ids, sentence.ids)
        context_exact = _exact(question.ids, context.ids)
        figure = question.figure
        unmatched = figure * (1.0 - np.maximum(exact, context_exact))
        tokens = np.stack([align, context_align, exact, context_exact, figure, unmatched], axis=1)
        p = self.params
        hidden = np.maximum(tokens @ p["tok_w1"] + p["tok_b1"], 0.0)
        support = _sigmoid(hidden @ p["tok_w2"] + p["tok_b2"])
        weights = question.importance / question.importance.sum()
        mean_support = float(weights @ support)
        logits = np.log(weights) - SOFTMIN_TEMPERATURE * support
        soft = np.exp(logits - logits.max())
        min_support = float((soft / soft.sum()) @ support)
        mean_align = float(weights @ align)
        if sims is not None:
            novelty = 1.0 - sims.max(axis=0)
            answer_type = float(np.max((sentence.y @ question.qtype) * novelty))
        else:
            answer_type = 0.0
        return np.array([mean_support, min_support, mean_align, answer_type], dtype=np.float32)

    def logits(
        self,
        question: EncodedText,
        sentences: list[EncodedText],
        contexts: list[EncodedText],
        hand: np.ndarray,
    ) -> np.ndarray:
        """Logits for each sentence; ``hand`` holds its ``HAND_FEATURES`` rows."""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        reading = np.stack(
            [self.pair_features(question, s, c) for s, c in zip(sentences, contexts, strict=True)]
        )
        p = self.params
        scaled = (np.asarray(hand, dtype=np.float32) - p["hand_mean"]) / p["hand_std"]
        x = np.concatenate([reading, scaled], axis=1)
        if "input_mask" in p:
            x = x * p["input_mask"]
        hidden = np.maximum(x @ p["mlp_w1"] + p["mlp_b1"], 0.0)
        return hidden @ p["mlp_w2"] + p["mlp_b2"]

    def probabilities(
        self,
        question: EncodedText,
        sentences: list[EncodedText],
        contexts: list[EncodedText],
        hand: np.ndarray,
    ) -> np.ndarray:
        """Probability that each sentence answers the question."""
        return _sigmoid(self.logits(question, sentences, contexts, hand))


def merge_context(parts: list[EncodedText], dimension_of: EncodedText) -> EncodedText:
    """One context from several texts (the previous sentence and the title)."""
    parts = [p for p in parts if len(p.ids)]
    if not parts:
        empty = np.zeros((0, dimension_of.z.shape[1]), dtype=np.float32)
        return EncodedText(
            ids=np.zeros(0, dtype=np.int32),
            z=empty,
            y=np.zeros((0, dimension_of.y.shape[1]), dtype=np.float32),
            figure=np.zeros(0, dtype=np.float32),
            importance=np.zeros(0, dtype=np.float32),
            qtype=dimension_of.qtype,
            pooled=dimension_of.pooled,
        )
    return EncodedText(
        ids=np.concatenate([p.ids for p in parts]),
        z=np.concatenate([p.z for p in parts]),
        y=np.concatenate([p.y for p in parts]),
        figure=np.concatenate([p.figure for p in parts]),
        importance=np.concatenate([p.importance for p in parts]),
        qtype=parts[0].qtype,
        pooled=parts[0].pooled,
    )
