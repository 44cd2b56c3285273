"""SQuAD v1.1 as an open-domain test: every paragraph is a document, questions ask them all.

The corpus is the dataset's paragraphs (2,067 for dev v1.1), each a document
with id ``AA-PPP`` (article and paragraph index), indexed with the ordinary
pipeline. ``limit`` questions are drawn as a seeded random sample (seed 0 by
default, kept in file order); no limit asks them all.

Measures:

* ``top@1``, ``top@5``, ``top@20``: the question's own paragraph is among the
  first 1/5/20 distinct documents of ``Retriever.search`` (60 chunks);
* answer ``accuracy``: not abstained and the answer contains a gold answer
  (SQuAD-normalised), over all questions;
* ``citation_accuracy``: answered questions with a citation inside the
  question's own paragraph, over the questions answered;
* ``abstained``: the share of questions abstained on (all are answerable);
* ``latency_ms`` p50/p95 of ``Assistant.ask``.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedqa.index.embed import Embedder
from seedqa.qa.answer import DEFAULT_K, Assistant
from seedqa.qa.evaluation.corpus import corpus_index
from seedqa.qa.evaluation.errors import EvalDataError
from seedqa.qa.evaluation.metrics import answer_matches, distinct_docs, percentile, ratio, rounded
from seedqa.qa.retriever import DEFAULT_MODE

TOP_KS = (1, 5, 20)
#: Chunks retrieved to rank the top 20 paragraphs.
SEARCH_CHUNKS = 60
DEFAULT_SEED = 0


@dataclass(frozen=True)
class SquadQuestion:
    """One SQuAD question with its gold answers and its paragraph's id."""

    id: str
    question: str
    answers: tuple[str, ...]
    paragraph: str


@dataclass
class SquadData:
    """Paragraphs (id → context) and questions of a SQuAD file."""

    name: str
    paragraphs: dict[str, str]
    questions: list[SquadQuestion]


def load_squad(path: str | Path) -> SquadData:
    """Read a SQuAD v1.1 JSON file; errors name the file and what is wrong."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such SQuAD file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EvalDataError(f"{path}: not a readable SQuAD JSON file ({error})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise EvalDataError(f"{path}: expected SQuAD JSON with a 'data' list of articles")
    paragraphs: dict[str, str] = {}
    questions: list[SquadQuestion] = []
    try:
        for a, article in enumerate(raw["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                pid = f"{a:02d}-{p:03d}"
                paragraphs[pid] = str(paragraph["context"])
                for qa in paragraph["qas"]:
                    answers = tuple(dict.fromkeys(str(x["text"]) for x in qa["answers"]))
                    questions.append(
                        SquadQuestion(str(qa["id"]), str(qa["question"]), answers, pid)
                    )
    except (KeyError, TypeError) as error:
        raise EvalDataError(f"{path}: malformed SQuAD record (missing {error})") from None
    if not questions:
        raise EvalDataError(f"{path}: no questions")
    return SquadData(path.name, paragraphs, questions)


def sample_questions(
    questions: list[SquadQuestion], limit: int | None, seed: int = DEFAULT_SEED
) -> list[SquadQuestion]:
    """A seeded random sample of ``limit`` questions in file order (all when no limit)."""
    if not limit or limit >= len(questions):
        return list(questions)
    chosen = sorted(random.Random(seed).sample(range(len(questions)), limit))
    return [questions[i] for i in chosen]


@dataclass
class SquadResult:
    """Figures of a SQuAD run; ``to_json()`` is the documented schema."""

    dataset: str
    n: int
    mode: str
    k: int
    retrieval: dict[str, float | None]
    answer: dict[str, float | None]
    latency_ms: dict[str, float | None]
    curve: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    n_paragraphs: int = 0
    build_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema.

        ``{"dataset", "n", "mode", "k", "retrieval": {"top@1", "top@5", "top@20"},
        "answer": {"accuracy", "citation_accuracy", "abstained"}, "latency_ms":
        {"p50", "p95"}}``
        """
        return {
            "dataset": self.dataset,
            "n": self.n,
            "mode": self.mode,
            "k": self.k,
            "retrieval": dict(self.retrieval),
            "answer": dict(self.answer),
            "latency_ms": dict(self.latency_ms),
        }


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
) -> SquadResult:
    """Evaluate open-domain retrieval and cited answers on the SQuAD file at ``path``."""
    from tqdm import tqdm

    data = load_squad(path)
    questions = sample_questions(data.questions, limit, seed)
    depth = max(TOP_KS)
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
        assistant = Assistant(index.retriever, k=k, mode=mode)
        ranks: list[int | None] = []
        latencies: list[float] = []
        counts = {"correct": 0, "wrong": 0, "missed": 0}
        answered = cited = 0
        for question in tqdm(questions, desc="squad questions", unit="q", disable=not progress):
            started = time.perf_counter()
            answer = assistant.ask(question.question, k=k, mode=mode)
            latencies.append((time.perf_counter() - started) * 1000)
            hits = index.retriever.search(answer.query, k=max(SEARCH_CHUNKS, k), mode=mode)
            ranked = distinct_docs(index.to_original(h.doc_id) for h in hits)[:depth]
            ranks.append(
                ranked.index(question.paragraph) + 1 if question.paragraph in ranked else None
            )
            if answer.abstained:
                counts["missed"] += 1
                continue
            answered += 1
            good = answer_matches(answer.answer, question.answers)
            counts["correct" if good else "wrong"] += 1
            cited += any(
                index.to_original(c.doc_id) == question.paragraph for c in answer.citations
            )
        n = len(questions)
        return SquadResult(
            dataset=data.name,
            n=n,
            mode=mode,
            k=k,
            retrieval={
                f"top@{t}": rounded(ratio(sum(1 for r in ranks if r and r <= t), n)) for t in TOP_KS
            },
            answer={
                "accuracy": rounded(ratio(counts["correct"], n)),
                "citation_accuracy": rounded(ratio(cited, answered)),
                "abstained": rounded(ratio(counts["missed"], n)),
            },
            latency_ms={
                "p50": rounded(percentile(latencies, 50), 1),
                "p95": rounded(percentile(latencies, 95), 1),
            },
            curve=[
                ratio(sum(1 for r in ranks if r and r <= t), n) or 0.0 for t in range(1, depth + 1)
            ],
            latencies=latencies,
            counts=counts,
            n_paragraphs=len(data.paragraphs),
            build_seconds=index.build.seconds,
        )
