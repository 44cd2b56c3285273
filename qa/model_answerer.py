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


def _order(chosen: list[tuple[SentenceCandidate, float]]) -> list[tuple[SentenceCandidate, float]]:
    """The best sentence's document first, then each document's sentences in reading order."""
    doc_rank: dict[str, int] = {}
    for candidate, _ in chosen:
        doc_rank.setdefault(candidate.hit.doc_id, len(doc_rank))
    return sorted(chosen, key=lambda c: (doc_rank[c[0].hit.doc_id], c[0].span.start))


class ModelAnswerer:
    """Chooses answer sentences with the answer model; safe to share across threads."""

    name = "model"

    def __init__(self, embedder: Embedder, model: AnswerModel | None = None) -> None:
        self.model = model or AnswerModel.load()
        self.texts = EncodedTexts(embedder, self.model)

    def score(self, evidence: Evidence) -> tuple[list[SentenceCandidate], np.ndarray, np.ndarray]:
        """Candidates of ``evidence``, their probabilities and their hand features."""
        candidates = candidate_sentences(evidence.hits)
        if not candidates:
            return [], np.zeros(0), np.zeros((0, len(HAND_FEATURES)))
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
        return candidates, self.model.probabilities(question, sentences, merged, hand), hand

    def extract(self, evidence: Evidence) -> Extraction:
        """Choose the answer sentences of ``evidence``, or abstain naming the closest passage."""
        candidates, probabilities, hand = self.score(evidence)
        if not candidates:
            return Extraction([], True, "nothing relevant was retrieved", 0.0)
        order = np.argsort(-probabilities, kind="stable")
        best = int(order[0])
        confidence = float(probabilities[best])
        if confidence < self.model.threshold:
            closest = candidates[best].hit
            return Extraction([], True, "", confidence, closest=closest)
        vectors = [self.texts.get([c.text])[0].pooled for c in candidates]
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
        picked = _order([(candidates[i], float(probabilities[i])) for i in chosen])
        sentences = [
            Candidate(
                hit=c.hit,
                span=c.span,
                text=c.text,
                dense=float(hand[candidates.index(c), 0]),
                lexical=float(hand[candidates.index(c), 1]),
                score=p,
                fits_kind=bool(hand[candidates.index(c), _FITS_KIND]),
                vector=vectors[candidates.index(c)],
            )
            for c, p in picked
        ]
        return Extraction(sentences, False, "", confidence)
