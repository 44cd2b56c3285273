"""Run SQuAD v1.1 as an open-domain test: every paragraph a document, each question asks all.

The corpus is the dataset's paragraphs (2,067 for dev v1.1), indexed with the
ordinary pipeline (``evaluation.corpus``). ``limit`` questions are drawn as a
seeded random sample (seed 0 by default, kept in file order); no limit asks
them all. The figures are described in ``evaluation.squad_result``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from seedqa.evaluation.corpus import CorpusIndex, corpus_index
from seedqa.evaluation.datasets.records import Question
from seedqa.evaluation.datasets.squad import (
    DEFAULT_SEED,
    load_squad,
    sample_questions,
    select_articles,
)
from seedqa.evaluation.metrics import distinct_docs
from seedqa.evaluation.normalize import answer_matches
from seedqa.evaluation.squad_result import TOP_KS, SquadOutcome, SquadResult
from seedqa.index.embed import Embedder
from seedqa.qa.answer import Assistant
from seedqa.qa.answerers import DEFAULT_ANSWERER
from seedqa.qa.inputs import DEFAULT_K
from seedqa.qa.modes import DEFAULT_MODE

#: Chunks retrieved to rank the top 20 paragraphs.
SEARCH_CHUNKS = 60


def ask_one(
    assistant: Assistant, index: CorpusIndex, question: Question, mode: str, k: int
) -> SquadOutcome:
    """Ask one question; rank its paragraph among the documents retrieved; score the answer."""
    started = time.perf_counter()
    answer = assistant.ask(question.question, k=k, mode=mode)
    latency = (time.perf_counter() - started) * 1000
    hits = index.retriever.search(answer.query, k=max(SEARCH_CHUNKS, k), mode=mode)
    ranked = distinct_docs(index.to_original(h.doc_id) for h in hits)[: max(TOP_KS)]
    rank = ranked.index(question.source) + 1 if question.source in ranked else None
    top = answer_matches(answer.fallback or answer.answer, question.answers)
    if answer.abstained:
        return SquadOutcome(question.id, rank, True, False, None, latency, answer.confidence, top)
    cited = any(index.to_original(c.doc_id) == question.source for c in answer.citations)
    first = bool(answer.citations) and index.to_original(answer.citations[0].doc_id) == (
        question.source
    )
    correct = answer_matches(answer.answer, question.answers)
    return SquadOutcome(
        question.id, rank, False, correct, cited, latency, answer.confidence, top, first
    )


def run_squad(
    path: str | Path,
    *,
    limit: int | None = None,
    seed: int = DEFAULT_SEED,
    index_dir: str | Path | None = None,
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_status: Callable[[str], None] | None = None,
    answerer: str = DEFAULT_ANSWERER,
    articles: Sequence[int] | None = None,
) -> SquadResult:
    """Evaluate open-domain retrieval and cited answers on the SQuAD file at ``path``.

    ``articles`` (indices into the file's articles) keeps only those articles'
    paragraphs as the corpus and their questions; ``answerer`` names how
    answers are chosen (``qa.answerers``).
    """
    from tqdm import tqdm

    data = select_articles(load_squad(path), articles) if articles else load_squad(path)
    questions = sample_questions(data.questions, limit, seed)
    with corpus_index(
        data.paragraphs,
        "squad",
        index_dir,
        embedder=embedder,
        progress=progress,
        on_status=on_status,
    ) as index:
        if on_status:
            on_status(index.build.summary())
        assistant = Assistant(index.retriever, k=k, mode=mode, answerer=answerer)
        outcomes = [
            ask_one(assistant, index, question, mode, k)
            for question in tqdm(questions, desc="squad questions", unit="q", disable=not progress)
        ]
        return SquadResult.summarize(
            outcomes,
            dataset=data.name,
            mode=mode,
            k=k,
            n_paragraphs=len(data.paragraphs),
            build_seconds=index.build.seconds,
            answerer=assistant.answerer.name,
        )
