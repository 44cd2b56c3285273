"""Candidate sentences of the retrieved chunks and the ranking signals the answer model weighs.

The hand-written rules of the earlier scorer (answer kind, figures and names
the evidence lacks, lexical share) are no longer decisions: they are inputs,
``HAND_FEATURES``, that the answer model learns to weigh together with its
own reading of the question and the sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seedqa.index.records import Span
from seedqa.qa.evidence import Evidence
from seedqa.qa.extract import (
    _ASKS_AMOUNT,
    _ASKS_WHEN,
    _ASKS_WHO,
    _CAPITALISED,
    _content_terms,
    _gives_kind,
    _lexical_share,
    _numbers,
    evidence_coverage,
    unsupported_specifics,
)
from seedqa.qa.retriever import Hit

HAND_FEATURES = (
    "cosine",
    "lexical_share",
    "chunk_cosine",
    "inverse_rank",
    "fits_kind",
    "asks_when",
    "asks_amount",
    "asks_who",
    "specifics_missing_everywhere",
    "figures_missing_here",
    "names_missing_here",
    "coverage",
    "log_words",
    "cosine_gap",
    "lexical_gap",
    "old_score_gap",
)
#: Weight of the cosine in the earlier scorer's ranking score (the rest is lexical share).
OLD_DENSE_WEIGHT = 0.4


@dataclass(frozen=True)
class SentenceCandidate:
    """A sentence of a retrieved chunk with what the model reads beside it.

    ``previous`` is the sentence before it in the chunk ("" for the first);
    ``title`` is its document's title.
    """

    hit: Hit
    span: Span
    text: str
    previous: str
    title: str


def candidate_sentences(hits: Sequence[Hit]) -> list[SentenceCandidate]:
    """Every distinct sentence of ``hits``, in hit order then reading order."""
    seen: set[tuple[str, int, int]] = set()
    texts: set[tuple[str, str]] = set()
    found = []
    for hit in hits:
        previous = ""
        for span in hit.chunk.sentences:
            text = hit.text[span.start - hit.start : span.end - hit.start]
            key = (hit.doc_id, span.start, span.end)
            if key not in seen and (hit.doc_id, text) not in texts and len(text) >= 3:
                seen.add(key)
                texts.add((hit.doc_id, text))
                found.append(SentenceCandidate(hit, span, text, previous, hit.title))
            previous = text
    return found


def _missing_here(question: str, candidate: SentenceCandidate) -> tuple[int, int]:
    """Figures and capitalised names of ``question`` absent from the sentence and its context."""
    nearby = f"{candidate.title} {candidate.previous} {candidate.text}"
    figures = len([n for n in _numbers(question) - _numbers(nearby) if n])
    lower = nearby.lower()
    names = sum(1 for m in _CAPITALISED.finditer(question) if m.group(1).lower() not in lower)
    return min(figures, 2), min(names, 3)


def hand_features(
    evidence: Evidence,
    query_vector: np.ndarray,
    sentence_vectors: np.ndarray,
    candidates: Sequence[SentenceCandidate],
) -> np.ndarray:
    """The ``HAND_FEATURES`` of every candidate, one row each.

    ``query_vector`` is the unit vector of the retrieval query (the question
    resolved against the conversation); ``sentence_vectors`` the candidates'
    unit vectors, in order.
    """
    n = len(candidates)
    if not n:
        return np.zeros((0, len(HAND_FEATURES)), dtype=np.float32)
    question, lexical = evidence.question, evidence.lexical
    terms = [t for t in _content_terms(lexical, question) if t in evidence.terms]
    weights = lexical.idf(terms) if terms else np.zeros(0)
    cosine = sentence_vectors @ query_vector
    share = np.array([_lexical_share(lexical, terms, weights, c.text) for c in candidates])
    old = OLD_DENSE_WEIGHT * cosine + (1 - OLD_DENSE_WEIGHT) * share
    everywhere = float(bool(unsupported_specifics(question, evidence.text)))
    coverage = evidence_coverage(evidence)
    asks = (
        float(bool(_ASKS_WHEN.search(question))),
        float(bool(_ASKS_AMOUNT.search(question))),
        float(bool(_ASKS_WHO.search(question))),
    )
    rows = np.zeros((n, len(HAND_FEATURES)), dtype=np.float32)
    for i, candidate in enumerate(candidates):
        figures, names = _missing_here(question, candidate)
        rows[i] = (
            cosine[i],
            share[i],
            candidate.hit.scores.get("dense", 0.0),
            1.0 / candidate.hit.rank,
            float(_gives_kind(question, candidate.text)),
            *asks,
            everywhere,
            figures,
            names,
            coverage,
            np.log1p(len(candidate.text.split())),
            cosine[i] - cosine.max(),
            share[i] - share.max(),
            old[i] - old.max(),
        )
    return rows
