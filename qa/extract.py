"""The answer stage's core: score the sentences of retrieved chunks and pick the answer.

Each candidate sentence gets a score from the embedder (cosine to the
question) and lexical evidence (the IDF-weighted share of the question's
terms it contains). The answer is the best sentence plus up to two more that
score nearly as well, with near-duplicates removed, in reading order. When the
best evidence is too weak, or the question asks for something specific
(a year, a figure, a name, a kind of answer) that the evidence does not give,
the answerer abstains. The confidence model and its threshold were fitted by
``eval/calibrate_answerer.py``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from seedqa.index.records import Span
from seedqa.index.stores import LexicalStore
from seedqa.qa.evidence import Evidence
from seedqa.qa.retriever import Hit

#: Weight of the embedding cosine in a sentence's score (the rest is lexical evidence).
DENSE_WEIGHT = 0.4
#: Logistic confidence that a sentence answers: bias and weights of (sentence cosine,
#: lexical share, chunk cosine, evidence coverage). Fitted on SQuAD by
#: eval/calibrate_answerer.py.
CONFIDENCE_BIAS = -12.455
CONFIDENCE_WEIGHTS = (6.102, 4.279, -0.624, 6.361)
#: Abstain when the best sentence's confidence is below this.
ANSWER_THRESHOLD = 0.38
#: Extra sentences must score within this margin of the best one.
EXTRA_MARGIN = 0.06
MAX_SENTENCES = 3
DUPLICATE_COSINE = 0.95

#: Stemmed question words: they say what is asked, not what it is about.
_QUESTION_TERMS = frozenset(
    "who whom whose what when where which whi how mani much did doe do is are was "
    "were name call kind type".split()
)
_NUMBER = re.compile(r"\d[\d,.]*")
_YEAR = re.compile(r"\b\d{3,4}s?\b")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_DATE_WORDS = re.compile(
    rf"\b({_MONTHS}|century|decade|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|yesterday|today|ago|since|until|years?|era|period|age|dynasty|season|spring|summer"
    r"|autumn|winter|bc|ad|bce)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
    r"forty|fifty|hundred|thousand|million|billion|trillion|half|dozen|percent|several|few)\b",
    re.IGNORECASE,
)
_ASKS_WHEN = re.compile(
    r"^\s*(when|what (year|date|month|day|time)|which (year|date|month))\b", re.IGNORECASE
)
_ASKS_AMOUNT = re.compile(
    r"\b(how (much|many|long|large|big|old|far|often)|what (percentage|percent|share|amount|"
    r"proportion|fraction|number|figure|sum)|by how much)\b",
    re.IGNORECASE,
)
_ASKS_WHO = re.compile(r"^\s*(who|whom|whose)\b", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w&-]*[A-Za-z0-9])")


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved chunk, scored as possible answer evidence."""

    hit: Hit
    span: Span
    text: str
    dense: float
    lexical: float
    score: float
    fits_kind: bool = True
    vector: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]


@dataclass(frozen=True)
class Extraction:
    """The sentences chosen to answer (empty when abstaining) and why.

    ``closest`` is, on an abstention, the hit holding the sentence that came
    closest to answering (when the answerer knows it); ``fallback`` the
    sentence it would have answered with (evaluation draws accuracy-versus-
    abstention curves from it).
    """

    sentences: list[Candidate]
    abstained: bool
    reason: str
    confidence: float
    closest: Hit | None = None
    fallback: list[Candidate] = field(default_factory=list)


def _candidates(hits: Sequence[Hit]) -> list[tuple[Hit, Span, str]]:
    seen: set[tuple[str, int, int]] = set()
    texts: set[tuple[str, str]] = set()
    found = []
    for hit in hits:
        for span in hit.chunk.sentences:
            key = (hit.doc_id, span.start, span.end)
            text = hit.text[span.start - hit.start : span.end - hit.start]
            if key in seen or (hit.doc_id, text) in texts or len(text) < 3:
                continue
            seen.add(key)
            texts.add((hit.doc_id, text))
            found.append((hit, span, text))
    return found


def _content_terms(lexical: LexicalStore, text: str) -> list[str]:
    """The distinct BM25 terms of ``text`` that carry content (no question words)."""
    return [t for t in dict.fromkeys(lexical.tokenize(text)) if t not in _QUESTION_TERMS]


def _lexical_share(
    lexical: LexicalStore, question_terms: list[str], weights: np.ndarray, text: str
) -> float:
    if not question_terms or weights.sum() <= 0:
        return 0.0
    present = set(lexical.tokenize(text))
    matched = sum(w for t, w in zip(question_terms, weights, strict=True) if t in present)
    return float(matched / weights.sum())


def _numbers(text: str) -> set[str]:
    return {n.rstrip(".,").replace(",", "") for n in _NUMBER.findall(text)}


def _gives_kind(question: str, sentence: str) -> bool:
    """True when ``sentence`` holds the kind of thing the question asks for."""
    if _ASKS_WHEN.search(question):
        return bool(_YEAR.search(sentence) or _DATE_WORDS.search(sentence))
    if _ASKS_AMOUNT.search(question):
        return bool(_NUMBER.search(sentence) or _NUMBER_WORDS.search(sentence))
    if _ASKS_WHO.search(question):
        asked = question.lower()
        return any(
            not word.isupper() and word.lower() not in asked
            for word in _CAPITALISED.findall(sentence)
        )
    return True


def unsupported_specifics(question: str, evidence: str) -> list[str]:
    """Return the figures and names of ``question`` that ``evidence`` never mentions.

    A question that names a year, figure or proper name absent from every
    retrieved passage asks about something the documents do not cover.
    """
    evidence_lower = evidence.lower()
    missing = [n for n in _numbers(question) - _numbers(evidence) if n]
    for match in _CAPITALISED.finditer(question):
        word = match.group(1)
        if word.lower() not in evidence_lower:
            missing.append(word)
    return missing


def score_sentences(evidence: Evidence) -> list[Candidate]:
    """Score every sentence of the evidence's hits as an answer to its question, best first.

    The retrieval query (the question resolved against the conversation)
    drives the embedding similarity; lexical evidence counts the terms of
    the question itself.
    """
    found = _candidates(evidence.hits)
    if not found:
        return []
    lexical = evidence.lexical
    query_vector = evidence.embedder.embed_query(evidence.query)
    sentence_vectors = evidence.sentences.get([text for _, _, text in found])
    dense = sentence_vectors @ query_vector
    # Lexical evidence counts only question terms that occur in the retrieved passages:
    # terms found nowhere cannot tell sentences apart (``evidence_coverage`` scores them).
    asked = _content_terms(lexical, evidence.question) or _content_terms(lexical, evidence.query)
    terms = [t for t in asked if t in evidence.terms]
    weights = lexical.idf(terms) if terms else np.zeros(0)
    scored = []
    for (hit, span, text), cosine, vector in zip(found, dense, sentence_vectors, strict=True):
        share = _lexical_share(lexical, terms, weights, text)
        score = DENSE_WEIGHT * float(cosine) + (1 - DENSE_WEIGHT) * share
        fits = _gives_kind(evidence.question, text)
        scored.append(Candidate(hit, span, text, float(cosine), share, score, fits, vector))
    scored.sort(key=lambda c: (-c.score, c.hit.rank, c.span.start))
    return scored


def evidence_coverage(evidence: Evidence) -> float:
    """Share of the question's distinct content terms found anywhere in the hits.

    A question whose terms appear in none of the retrieved passages ("How many
    employees...?" over a text that never mentions employees) is usually not
    answered by them. Terms are counted, not IDF-weighted, so that the value
    means the same in a one-document index and in a large one.
    """
    terms = _content_terms(evidence.lexical, evidence.question)
    if not terms:
        return 1.0
    return sum(1 for t in terms if t in evidence.terms) / len(terms)


def confidence_features(candidate: Candidate, coverage: float) -> list[float]:
    """The features the confidence model reads, in ``CONFIDENCE_WEIGHTS`` order."""
    return [
        candidate.dense,
        candidate.lexical,
        candidate.hit.scores.get("dense", 0.0),
        coverage,
    ]


def confidence(candidate: Candidate, coverage: float = 1.0) -> float:
    """Calibrated probability that ``candidate`` answers the question.

    ``coverage`` is ``evidence_coverage`` of the question over the hits.
    """
    features = confidence_features(candidate, coverage)
    z = CONFIDENCE_BIAS + sum(w * x for w, x in zip(CONFIDENCE_WEIGHTS, features, strict=True))
    return float(1.0 / (1.0 + np.exp(-z)))


def extract_answer(evidence: Evidence) -> Extraction:
    """Choose the sentences of the evidence's hits that answer its question, or abstain."""
    question = evidence.question
    scored = score_sentences(evidence)
    if not scored:
        return Extraction([], True, "nothing relevant was retrieved", 0.0)
    fitting = [c for c in scored if c.fits_kind]
    fallback = (fitting or scored)[:1]
    missing = unsupported_specifics(question, evidence.text)
    if missing:
        reason = f"the documents do not mention {', '.join(missing[:3])}"
        return Extraction([], True, reason, 0.0, fallback=fallback)
    coverage = evidence_coverage(evidence)
    best_confidence = confidence(fitting[0], coverage) if fitting else 0.0
    if best_confidence < ANSWER_THRESHOLD:
        return Extraction([], True, "the evidence is too weak", best_confidence, fallback=fallback)
    best = fitting[0]
    chosen = [best]
    for candidate in fitting[1:]:
        if len(chosen) >= MAX_SENTENCES or candidate.score < best.score - EXTRA_MARGIN:
            break
        if confidence(candidate, coverage) < ANSWER_THRESHOLD:
            continue
        if any(float(candidate.vector @ c.vector) >= DUPLICATE_COSINE for c in chosen):
            continue
        chosen.append(candidate)
    first_rank: dict[str, int] = {}
    for candidate in chosen:
        first_rank.setdefault(candidate.hit.doc_id, candidate.hit.rank)
    chosen.sort(key=lambda c: (first_rank[c.hit.doc_id], c.span.start))
    return Extraction(chosen, False, "", best_confidence)
