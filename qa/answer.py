"""Cited extractive answers: ``Assistant.ask(question)`` returns an ``Answer``.

Example:
    >>> from seedqa import Assistant
    >>> assistant = Assistant.load(".seedqa")
    >>> answer = assistant.ask("How much will Xiaomi invest in 5G, AI and IoT?")
    >>> print(answer.answer)  # doctest: +SKIP
    In an open letter from its CEO, Xiaomi has promised ... to $7.18 billion. [1]
    >>> answer.citations[0].text  # the exact sentence, equal to doc.text[start:end]

Every statement of an answer is a sentence quoted from a document, followed
by its marker ``[n]``; ``citations[n - 1]`` points at that sentence's exact
character span. When the documents do not answer, ``abstained`` is True and
the answer says so instead of guessing.

"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seedqa.index.records import page_at
from seedqa.index.state import IndexState
from seedqa.qa.answerers import DEFAULT_ANSWERER, make_answerer
from seedqa.qa.errors import InvalidQuestion
from seedqa.qa.evidence import Evidence, SentenceVectors
from seedqa.qa.extract import Extraction
from seedqa.qa.followup import resolve_query
from seedqa.qa.inputs import DEFAULT_K, check_k, check_mode, clean_question
from seedqa.qa.retriever import DEFAULT_MODE, Hit, Retriever

__all__ = ["ABSTAIN_MESSAGE", "DEFAULT_K", "Answer", "Assistant", "Citation", "InvalidQuestion"]

ABSTAIN_MESSAGE = "The documents don't answer this question"
CLOSEST_MESSAGE = "The documents don't say. The closest passage is [{rank}], in “{title}”."


@dataclass(frozen=True)
class Citation:
    """One cited sentence: ``text == document.text[start:end]`` exactly."""

    n: int
    doc_id: str
    title: str
    start: int
    end: int
    page: int | None
    text: str
    score: float
    passage: str = field(repr=False, default="")
    passage_start: int = field(repr=False, default=0)

    def to_json(self) -> dict[str, Any]:
        """The citation schema of ``seedqa ask --json``."""
        data = asdict(self)
        data.pop("passage")
        data.pop("passage_start")
        return data


@dataclass(frozen=True)
class Answer:
    """An answer with inline ``[n]`` markers, its citations, the hits used and timings.

    ``query`` is the retrieval query (the question resolved against the
    conversation), ``reason`` why it abstained, and ``generation`` the index
    generation that answered. ``confidence`` is the answerer's probability
    that its best sentence answers, and ``fallback`` (on an abstention) the
    sentence it would have answered with; neither is part of ``to_json``.
    """

    question: str
    answer: str
    citations: list[Citation]
    abstained: bool
    hits: list[Hit]
    timings_ms: dict[str, float]
    query: str = ""
    reason: str = ""
    generation: str = ""
    confidence: float = 0.0
    fallback: str = ""

    def to_json(self) -> dict[str, Any]:
        """The documented JSON schema of ``seedqa ask --json`` and the web API."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
            "hits": [h.to_json() for h in self.hits],
            "timings_ms": self.timings_ms,
        }


class Assistant:
    """Answers questions from an index with cited sentences; safe to share across threads.

    ``sentence_vectors`` is the sentence-embedding cache of an earlier
    assistant with the same embedder (e.g. over the previous index
    generation), so that a reload does not embed every sentence again.
    ``answerer`` names how a sentence is chosen and when to abstain
    (``seedqa.qa.answerers.ANSWERERS``).
    """

    def __init__(
        self,
        retriever: Retriever,
        k: int = DEFAULT_K,
        mode: str = DEFAULT_MODE,
        sentence_vectors: SentenceVectors | None = None,
        answerer: str = DEFAULT_ANSWERER,
    ) -> None:
        self.retriever = retriever
        self.k = check_k(k)
        self.mode = check_mode(mode)
        if sentence_vectors is None or sentence_vectors.embedder is not retriever.embedder:
            sentence_vectors = SentenceVectors(retriever.embedder)
        self.sentence_vectors = sentence_vectors
        self.answerer = make_answerer(answerer, retriever.embedder)

    @classmethod
    def load(cls, index_dir: str | Path | IndexState | None = None, **options: Any) -> Assistant:
        """Load the index at ``index_dir`` (default ``.seedqa``; see ``Retriever.load``)."""
        k = options.pop("k", DEFAULT_K)
        mode = options.pop("mode", DEFAULT_MODE)
        sentences = options.pop("sentence_vectors", None)
        answerer = options.pop("answerer", DEFAULT_ANSWERER)
        retriever = Retriever.load(index_dir, **options)
        return cls(retriever, k=k, mode=mode, sentence_vectors=sentences, answerer=answerer)

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        k: int | None = None,
        mode: str | None = None,
    ) -> Answer:
        """Answer ``question``; ``history`` (earlier turns) resolves follow-ups.

        ``history`` items are ``(question, answer)`` pairs, dicts with a
        ``question`` key, or chat messages with ``role``/``content``.
        """
        started = time.perf_counter()
        text = clean_question(question)
        query = resolve_query(text, history)
        hits = self.retriever.search(query, k=k or self.k, mode=mode or self.mode)
        retrieved = time.perf_counter()
        evidence = Evidence(
            text, query, tuple(hits), self.retriever.stored.lexical, self.sentence_vectors
        )
        extraction = self.answerer.extract(evidence)
        finished = time.perf_counter()
        citations = [
            Citation(
                n=n,
                doc_id=c.hit.doc_id,
                title=c.hit.title,
                start=c.span.start,
                end=c.span.end,
                page=self._page(c.hit, c.span.start),
                text=c.text,
                score=round(c.score, 4),
                passage=c.hit.text,
                passage_start=c.hit.start,
            )
            for n, c in enumerate(extraction.sentences, start=1)
        ]
        if extraction.abstained:
            answer = _abstention(extraction)
        else:
            answer = " ".join(f"{c.text} [{c.n}]" for c in citations)
        return Answer(
            question=question if isinstance(question, str) else text,
            answer=answer,
            citations=citations,
            abstained=extraction.abstained,
            hits=hits,
            timings_ms={
                "retrieve": round((retrieved - started) * 1000, 1),
                "answer": round((finished - retrieved) * 1000, 1),
                "total": round((finished - started) * 1000, 1),
            },
            query=query,
            reason=extraction.reason,
            generation=self.retriever.stored.generation,
            confidence=round(extraction.confidence, 4),
            fallback=" ".join(c.text for c in extraction.fallback),
        )

    def _page(self, hit: Hit, offset: int) -> int | None:
        entry = self.retriever.stored.manifest.documents.get(hit.doc_id)
        return page_at(entry.page_starts, offset) if entry else hit.page


def _abstention(extraction: Extraction) -> str:
    """The answer text of an abstention: the closest passage (hit rank) or the reason."""
    if extraction.closest is not None:
        closest = extraction.closest
        return CLOSEST_MESSAGE.format(rank=closest.rank, title=closest.title or closest.doc_id)
    return f"{ABSTAIN_MESSAGE} ({extraction.reason})."
