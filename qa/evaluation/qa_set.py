"""QA sets: parse a JSONL file of questions and measure retrieval, answers and abstention.

File format, one JSON object a line (blank lines are skipped)::

    {"id": "q1", "question": "How much will Xiaomi invest?",
     "answers": ["$7.18 billion"], "answerable": true,
     "evidence": ["to $7.18 billion"], "source": "seeds/xiaomi.txt"}

``answers`` and ``evidence`` must be non-empty for an answerable question
and may be empty for an unanswerable one; every evidence string must occur
verbatim (whitespace runs may differ) in the ``source`` document, or, when
``source`` is absent, in some indexed document. ``source`` is a document id
as ``seedqa docs`` lists it, or a unique trailing part of one (a file name).

Metrics (see ``QAResult.to_json`` for the JSON schema):

* retrieval ``hit@1``, ``hit@5``, ``mrr`` over answerable questions: a
  retrieved chunk is a hit when it overlaps an evidence span of the right
  document; ranks are taken over the top ``max(k, 5)`` chunks;
* answer ``accuracy``: answerable questions not abstained whose answer
  contains a gold answer (SQuAD-normalised), over all answerable questions;
* ``citation_accuracy``: answerable questions answered whose citations
  include a span overlapping an evidence span in the right document, over
  the answerable questions answered;
* abstention ``precision`` and ``recall`` with the unanswerable questions as
  positives;
* ``latency_ms`` p50/p95 of ``Assistant.ask`` (wall clock).

A ratio whose denominator is 0 is ``null``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedqa.index.build import build_index
from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
from seedqa.index.paths import default_index_dir
from seedqa.index.store import StoredIndex
from seedqa.qa.answer import DEFAULT_K, Assistant
from seedqa.qa.evaluation.errors import EvalDataError, QASetError
from seedqa.qa.evaluation.metrics import (
    abstention_scores,
    answer_matches,
    find_spans,
    overlaps,
    percentile,
    ratio,
    reciprocal_rank,
    rounded,
)
from seedqa.qa.retriever import DEFAULT_MODE, MODES, Retriever

Spans = dict[str, list[tuple[int, int]]]


@dataclass(frozen=True)
class QAItem:
    """One question of a QA set; ``line`` is its 1-based line number in the file."""

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    evidence: tuple[str, ...]
    source: str | None
    line: int


def _string_list(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QASetError(f"{where}: {key!r} must be a list of strings")
    if any(not v.strip() for v in value):
        raise QASetError(f"{where}: {key!r} contains an empty string")
    return tuple(value)


def parse_qa_line(text: str, where: str, line: int) -> QAItem:
    """Parse one line of a QA set; raise ``QASetError`` naming ``where`` (file and line)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise QASetError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise QASetError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [
        key for key in ("id", "question", "answers", "answerable", "evidence") if key not in data
    ]
    if missing:
        raise QASetError(f"{where}: missing key {', '.join(repr(k) for k in missing)}")
    identifier = data["id"]
    if (
        isinstance(identifier, bool)
        or not isinstance(identifier, str | int)
        or (isinstance(identifier, str) and not identifier.strip())
    ):
        raise QASetError(f"{where}: 'id' must be a non-empty string")
    question = data["question"]
    if not isinstance(question, str) or not question.strip():
        raise QASetError(f"{where}: 'question' must be a non-empty string")
    if not isinstance(data["answerable"], bool):
        raise QASetError(f"{where}: 'answerable' must be true or false")
    answers = _string_list(data["answers"], "answers", where)
    evidence = _string_list(data["evidence"], "evidence", where)
    if data["answerable"] and not answers:
        raise QASetError(f"{where}: an answerable question needs at least one answer")
    if data["answerable"] and not evidence:
        raise QASetError(f"{where}: an answerable question needs at least one evidence string")
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise QASetError(f"{where}: 'source' must be a document id (a non-empty string)")
    return QAItem(str(identifier), question, answers, data["answerable"], evidence, source, line)


def load_qa_set(path: str | Path) -> list[QAItem]:
    """Read and validate a QA set; errors name the file and the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such QA set file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvalDataError(f"{path}: cannot read the QA set ({error})") from None
    items: list[QAItem] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{path} line {number}"
        item = parse_qa_line(text, where, number)
        if item.id in seen:
            raise QASetError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise QASetError(f"{path}: the QA set has no questions (one JSON object a line)")
    return items


def document_texts(stored: StoredIndex) -> dict[str, str]:
    """Rebuild each indexed document's text from its chunks (gaps become spaces).

    Offsets match the original document, so spans found here are document spans.
    """
    by_doc: dict[str, list] = {}
    for chunk in stored.chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    texts = {}
    for doc_id, entry in stored.manifest.documents.items():
        pieces, position = [], 0
        for chunk in sorted(by_doc.get(doc_id, []), key=lambda c: (c.start, c.end)):
            if chunk.start > position:
                pieces.append(" " * (chunk.start - position))
                position = chunk.start
            if chunk.end > position:
                pieces.append(chunk.text[position - chunk.start :])
                position = chunk.end
        if entry.n_chars > position:
            pieces.append(" " * (entry.n_chars - position))
        texts[doc_id] = "".join(pieces)
    return texts


def _resolve_source(source: str, doc_ids: Sequence[str], where: str) -> str:
    if source in doc_ids:
        return source
    matches = [d for d in doc_ids if d.endswith("/" + source.lstrip("/"))]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise QASetError(f"{where}: source {source!r} is ambiguous ({', '.join(matches[:3])})")
    raise QASetError(f"{where}: source {source!r} is not an indexed document")


def evidence_spans(items: Sequence[QAItem], stored: StoredIndex, path: str | Path) -> list[Spans]:
    """Locate each item's evidence in the indexed documents; raise ``QASetError`` if absent."""
    texts = document_texts(stored)
    doc_ids = sorted(texts)
    located = []
    for item in items:
        where = f"{path} line {item.line}"
        docs = [_resolve_source(item.source, doc_ids, where)] if item.source else doc_ids
        spans: Spans = {}
        for evidence in item.evidence:
            found = False
            for doc_id in docs:
                places = find_spans(texts[doc_id], evidence)
                if places:
                    spans.setdefault(doc_id, []).extend(places)
                    found = True
            if not found:
                place = f"source {docs[0]}" if item.source else "any indexed document"
                raise QASetError(f"{where}: evidence {evidence[:60]!r} does not occur in {place}")
        located.append(spans)
    return located


def _span_hits(spans: Spans, doc_id: str, start: int, end: int) -> bool:
    return any(overlaps(start, end, s, e) for s, e in spans.get(doc_id, ()))


def outcome(entry: dict[str, Any]) -> str:
    """Classify an entry: correct, wrong, missed, abstained (correctly) or false answer."""
    if entry["answerable"]:
        if entry["abstained"]:
            return "missed"
        return "correct" if entry["answer_correct"] else "wrong"
    return "abstained" if entry["abstained"] else "false answer"


OUTCOMES = ("correct", "wrong", "missed", "abstained", "false answer")


@dataclass
class QAResult:
    """The outcome of a QA-set run; ``to_json()`` is the documented ``--json`` schema."""

    n: int
    retrieval: dict[str, float | None]
    answer: dict[str, float | None]
    abstention: dict[str, float | None]
    latency_ms: dict[str, float | None]
    per_question: list[dict[str, Any]]
    name: str = ""
    mode: str = DEFAULT_MODE
    k: int = DEFAULT_K
    counts: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema.

        ``{"n", "retrieval": {"hit@1", "hit@5", "mrr"}, "answer": {"accuracy",
        "citation_accuracy"}, "abstention": {"precision", "recall"}, "latency_ms":
        {"p50", "p95"}, "per_question": [...]}``; an undefined ratio (0/0) is null.

        Each per-question entry has ``id``, ``question``, ``answerable``,
        ``abstained``, ``answer``, ``answer_correct`` (answerable: answered
        and contains a gold answer; unanswerable: abstained),
        ``citation_correct`` (null unless answerable and answered),
        ``hit_rank`` (1-based rank of the first evidence chunk, null if none
        or unanswerable) and ``latency_ms``.
        """
        return {
            "n": self.n,
            "retrieval": dict(self.retrieval),
            "answer": dict(self.answer),
            "abstention": dict(self.abstention),
            "latency_ms": dict(self.latency_ms),
            "per_question": [dict(entry) for entry in self.per_question],
        }


def evaluate_qa_set(
    items: Sequence[QAItem],
    assistant: Assistant,
    spans: Sequence[Spans],
    *,
    mode: str = DEFAULT_MODE,
    k: int = DEFAULT_K,
    progress: bool = False,
    name: str = "",
) -> QAResult:
    """Ask every question of ``items`` and score the answers against ``spans`` (evidence)."""
    from tqdm import tqdm

    depth = max(k, 5)
    entries = []
    if items:  # warm up (first model calls) outside the timings
        assistant.retriever.search(items[0].question, k=1, mode=mode)
    for item, item_spans in tqdm(
        list(zip(items, spans, strict=True)), desc="questions", unit="q", disable=not progress
    ):
        started = time.perf_counter()
        answer = assistant.ask(item.question, k=k, mode=mode)
        latency = (time.perf_counter() - started) * 1000
        hit_rank = None
        if item.answerable:
            hits = answer.hits
            if len(hits) < depth:
                hits = assistant.retriever.search(answer.query or item.question, depth, mode)
            hit_rank = next(
                (h.rank for h in hits if _span_hits(item_spans, h.doc_id, h.start, h.end)), None
            )
        if item.answerable:
            correct = not answer.abstained and answer_matches(answer.answer, item.answers)
            cited = (
                None
                if answer.abstained
                else any(_span_hits(item_spans, c.doc_id, c.start, c.end) for c in answer.citations)
            )
        else:
            correct, cited = answer.abstained, None
        entries.append(
            {
                "id": item.id,
                "question": item.question,
                "answerable": item.answerable,
                "abstained": answer.abstained,
                "answer": answer.answer,
                "answer_correct": correct,
                "citation_correct": cited,
                "hit_rank": hit_rank,
                "latency_ms": round(latency, 1),
            }
        )
    return summarize_qa(entries, name=name, mode=mode, k=k)


def summarize_qa(
    entries: list[dict[str, Any]], *, name: str = "", mode: str = DEFAULT_MODE, k: int = DEFAULT_K
) -> QAResult:
    """Aggregate per-question entries into a ``QAResult``."""
    answerable = [e for e in entries if e["answerable"]]
    answered = [e for e in answerable if not e["abstained"]]
    ranks = [e["hit_rank"] for e in answerable]
    precision, recall = abstention_scores(
        [e["abstained"] for e in entries], [e["answerable"] for e in entries]
    )
    latencies = [e["latency_ms"] for e in entries]
    counts = {label: 0 for label in OUTCOMES}
    for entry in entries:
        counts[outcome(entry)] += 1
    return QAResult(
        n=len(entries),
        retrieval={
            "hit@1": rounded(ratio(sum(1 for r in ranks if r == 1), len(ranks))),
            "hit@5": rounded(ratio(sum(1 for r in ranks if r and r <= 5), len(ranks))),
            "mrr": rounded(ratio(sum(reciprocal_rank(r) for r in ranks), len(ranks))),
        },
        answer={
            "accuracy": rounded(
                ratio(sum(1 for e in answerable if e["answer_correct"]), len(answerable))
            ),
            "citation_accuracy": rounded(
                ratio(sum(1 for e in answered if e["citation_correct"]), len(answered))
            ),
        },
        abstention={"precision": rounded(precision), "recall": rounded(recall)},
        latency_ms={
            "p50": rounded(percentile(latencies, 50), 1),
            "p95": rounded(percentile(latencies, 95), 1),
        },
        per_question=entries,
        name=name,
        mode=mode,
        k=k,
        counts=counts,
    )


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
) -> QAResult:
    """Run the QA set at ``path`` and return its metrics.

    With ``corpus`` the paths are first indexed into ``index_dir`` (kept) or
    a temporary index; without it the existing index at ``index_dir``
    (default ``$SEEDQA_INDEX_DIR`` or ``.seedqa``) is used.
    """
    if mode not in MODES:
        raise InvalidSetting(f"mode {mode!r} is not valid; use one of {', '.join(MODES)}")
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
        assistant = Assistant(retriever, k=k, mode=mode)
        return evaluate_qa_set(
            items, assistant, spans, mode=mode, k=k, progress=progress, name=Path(path).name
        )
