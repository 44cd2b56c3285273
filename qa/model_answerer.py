"""Answer with the trained answer-sentence model: read each candidate with the question.

Every sentence of the retrieved chunks is scored by ``AnswerModel`` (see
``answer_model.py``). The answer is the most probable sentence when its
probability reaches the threshold stored with the model, plus up to two
supporting sentences within the stored margin of it; otherwise the answerer
abstains and names the passage that came closest.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seedqa.index.embed import Embedder
from seedqa.index.records import text_hash
from seedqa.qa.answer_features import (
    HAND_FEATURES,
    SentenceCandidate,
    candidate_sentences,
    hand_features,
)
from seedqa.qa.answer_model import AnswerModel, EncodedText, merge_context, text_tokens
from seedqa.qa.evidence import Evidence
from seedqa.qa.extract import Candidate, Extraction

MAX_SENTENCES = 3
DUPLICATE_COSINE = 0.95
_FITS_KIND = HAND_FEATURES.index("fits_kind")


class EncodedTexts:
    """A bounded, thread-safe cache of texts encoded for the answer model, keyed by text hash.

    A text is run through the embedder once (``text_tokens``); its projected
    tokens and pooled vector are kept for the next question.
    """

    def __init__(self, embedder: Embedder, model: AnswerModel, capacity: int = 20_000) -> None:
        self.embedder = embedder
        self.model = model
        self._capacity = capacity
        self._rows: OrderedDict[str, EncodedText] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, texts: Sequence[str]) -> list[EncodedText]:
        """Encoded texts in the order of ``texts``, embedding only unseen ones."""
        keys = [text_hash(t) for t in texts]
        found: dict[str, EncodedText] = {}
        with self._lock:
            for key in keys:
                if key in self._rows:
                    self._rows.move_to_end(key)
                    found[key] = self._rows[key]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            tokens = text_tokens(self.embedder, list(missing.values()))
            fresh = {k: self.model.encode(t) for k, t in zip(missing, tokens, strict=True)}
            found.update(fresh)
            with self._lock:
                self._rows.update(fresh)
                while len(self._rows) > self._capacity:
                    self._rows.popitem(last=False)
        return [found[k] for k in keys]


def _order(candidates: Sequence[SentenceCandidate], chosen: list[int]) -> list[int]:
    """The best sentence's document first, then each document's sentences in reading order.

    ``chosen`` lists candidate indices, most probable first.
    """
    doc_rank: dict[str, int] = {}
    for i in chosen:
        doc_rank.setdefault(candidates[i].hit.doc_id, len(doc_rank))
    return sorted(
        chosen, key=lambda i: (doc_rank[candidates[i].hit.doc_id], candidates[i].span.start)
    )


@dataclass(frozen=True)
class Scored:
    """Candidates with their probabilities, ``HAND_FEATURES`` rows and unit vectors."""

    candidates: list[SentenceCandidate]
    probabilities: np.ndarray
    hand: np.ndarray
    vectors: np.ndarray


class ModelAnswerer:
    """Chooses answer sentences with the answer model; safe to share across threads."""

    name = "model"

    def __init__(self, embedder: Embedder, model: AnswerModel | None = None) -> None:
        self.model = model or AnswerModel.load()
        self.texts = EncodedTexts(embedder, self.model)

    def score(self, evidence: Evidence) -> Scored:
        """The candidates of ``evidence`` with their probabilities and features."""
        candidates = candidate_sentences(evidence.hits)
        if not candidates:
            return Scored([], np.zeros(0), np.zeros((0, len(HAND_FEATURES))), np.zeros((0, 0)))
        contexts = [t for c in candidates for t in (c.previous, c.title) if t]
        asked = [evidence.question] + (
            [evidence.query] if evidence.query != evidence.question else []
        )
        encoded = self.texts.get(asked + [c.text for c in candidates] + contexts)
        question, query = encoded[0], encoded[len(asked) - 1]
        by_text = dict(zip(asked + [c.text for c in candidates] + contexts, encoded, strict=True))
        sentences = [by_text[c.text] for c in candidates]
        merged = [
            merge_context([by_text[t] for t in (c.previous, c.title) if t], question)
            for c in candidates
        ]
        pooled = np.stack([s.pooled for s in sentences])
        hand = hand_features(evidence, query.pooled, pooled, candidates)
        probabilities = self.model.probabilities(question, sentences, merged, hand)
        return Scored(candidates, probabilities, hand, pooled)

    def extract(self, evidence: Evidence) -> Extraction:
        """Choose the answer sentences of ``evidence``, or abstain naming the closest passage."""
        scored = self.score(evidence)
        candidates, probabilities, hand, vectors = (
            scored.candidates,
            scored.probabilities,
            scored.hand,
            scored.vectors,
        )
        if not candidates:
            return Extraction([], True, "nothing relevant was retrieved", 0.0)
        order = np.argsort(-probabilities, kind="stable")
        best = int(order[0])
        confidence = float(probabilities[best])

        def record(i: int) -> Candidate:
            c = candidates[i]
            return Candidate(
                hit=c.hit,
                span=c.span,
                text=c.text,
                dense=float(hand[i, 0]),
                lexical=float(hand[i, 1]),
                score=float(probabilities[i]),
                fits_kind=bool(hand[i, _FITS_KIND]),
                vector=vectors[i],
            )

        if confidence < self.model.threshold:
            closest = candidates[best].hit
            reason = "no sentence reaches the answer threshold"
            return Extraction([], True, reason, confidence, closest, [record(best)])
        chosen = [best]
        for i in order[1:]:
            i = int(i)
            p = float(probabilities[i])
            if len(chosen) >= MAX_SENTENCES or p < max(
                self.model.threshold, confidence - self.model.margin
            ):
                break
            if any(float(vectors[i] @ vectors[j]) >= DUPLICATE_COSINE for j in chosen):
                continue
            chosen.append(i)
        return Extraction([record(i) for i in _order(candidates, chosen)], False, "", confidence)
