"""Run a QA set: index the corpus (optionally), ask every question, score the answers.

See ``evaluation.qa_result`` for the figures and ``evaluation.datasets.qa_set``
for the file format.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from seedqa.evaluation.datasets.qa_set import load_qa_set
from seedqa.evaluation.datasets.records import Question
from seedqa.evaluation.evidence import Spans, evidence_spans, span_hits
from seedqa.evaluation.normalize import answer_matches
from seedqa.evaluation.qa_result import QAOutcome, QAResult
from seedqa.index.build import build_index
from seedqa.index.embed import Embedder
from seedqa.index.paths import default_index_dir
from seedqa.qa.answer import Assistant
from seedqa.qa.answerers import DEFAULT_ANSWERER
from seedqa.qa.inputs import DEFAULT_K, check_mode
from seedqa.qa.modes import DEFAULT_MODE
from seedqa.qa.retriever import Retriever


def ask_one(assistant: Assistant, item: Question, spans: Spans, mode: str, k: int) -> QAOutcome:
    """Ask one question and score its retrieval, answer and citations against ``spans``."""
    started = time.perf_counter()
    answer = assistant.ask(item.question, k=k, mode=mode)
    latency = (time.perf_counter() - started) * 1000
    hit_rank = None
    top_correct = first_source = None
    if item.answerable:
        hits = answer.hits
        depth = max(k, 5)
        if len(hits) < depth:
            hits = assistant.retriever.search(answer.query or item.question, depth, mode)
        hit_rank = next((h.rank for h in hits if span_hits(spans, h.doc_id, h.start, h.end)), None)
        correct = not answer.abstained and answer_matches(answer.answer, item.answers)
        top_correct = answer_matches(answer.fallback or answer.answer, item.answers)
        cited = None
        if not answer.abstained:
            cited = any(span_hits(spans, c.doc_id, c.start, c.end) for c in answer.citations)
            first_source = bool(answer.citations) and answer.citations[0].doc_id in spans
    else:
        correct, cited = answer.abstained, None
    return QAOutcome(
        id=item.id,
        question=item.question,
        answerable=item.answerable,
        abstained=answer.abstained,
        answer=answer.answer,
        answer_correct=correct,
        citation_correct=cited,
        hit_rank=hit_rank,
        latency_ms=round(latency, 1),
        confidence=answer.confidence,
        top_correct=top_correct,
        first_citation_source=first_source,
    )


def evaluate_qa_set(
    items: Sequence[Question],
    assistant: Assistant,
    spans: Sequence[Spans],
    *,
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    progress: bool = False,
    name: str = "",
) -> QAResult:
    """Ask every question of ``items`` and score the answers against ``spans`` (evidence).

    The answerer is ``assistant``'s (its name is recorded in the result).
    """
    from tqdm import tqdm

    if items:  # warm up (first model calls) outside the timings
        assistant.retriever.search(items[0].question, k=1, mode=mode)
    pairs = list(zip(items, spans, strict=True))
    outcomes = [
        ask_one(assistant, item, item_spans, mode, k)
        for item, item_spans in tqdm(pairs, desc="questions", unit="q", disable=not progress)
    ]
    return QAResult.summarize(outcomes, name=name, mode=mode, k=k, answerer=assistant.answerer.name)


def run_qa_set(
    path: str | Path,
    *,
    corpus: Sequence[str | Path] | None = None,
    index_dir: str | Path | None = None,
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_status: Callable[[str], None] | None = None,
    answerer: str = DEFAULT_ANSWERER,
) -> QAResult:
    """Run the QA set at ``path`` and return its figures.

    With ``corpus`` the paths are first indexed into ``index_dir`` (kept) or
    a temporary index; without it the existing index at ``index_dir``
    (default ``$SEEDQA_INDEX_DIR`` or ``.seedqa``) is used. ``answerer``
    names how answers are chosen (``qa.answerers``).
    """
    check_mode(mode)
    items = load_qa_set(path)
    with tempfile.TemporaryDirectory(prefix="seedqa-eval-") as scratch:
        if corpus:
            embedder = embedder or Embedder.load()
            directory = Path(index_dir) if index_dir else Path(scratch) / "index"
            report = build_index(
                corpus, directory, embedder=embedder, progress=progress, on_status=on_status
            )
            if on_status:
                on_status(report.summary())
        else:
            directory = Path(index_dir) if index_dir else default_index_dir()
        retriever = Retriever.load(directory, embedder=embedder)
        spans = evidence_spans(items, retriever.stored, path)
        assistant = Assistant(retriever, k=k, mode=mode, answerer=answerer)
        return evaluate_qa_set(
            items, assistant, spans, mode=mode, k=k, progress=progress, name=Path(path).name
        )
