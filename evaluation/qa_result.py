"""The outcome of a QA-set run: per-question records, the figures, the table and the report.

Metrics (the ``--json`` schema is documented on ``QAResult.to_json``):

* retrieval ``hit@1``, ``hit@5``, ``mrr`` over answerable questions: a
  retrieved chunk is a hit when it overlaps an evidence span of the right
  document; ranks are taken over the top ``max(k, 5)`` chunks;
* answer ``accuracy``: answerable questions not abstained whose answer
  contains a gold answer (``evaluation.normalize``), over all answerable ones;
* ``citation_accuracy``: answerable questions answered whose citations
  include a span overlapping an evidence span in the right document, over
  the answerable questions answered;
* ``first_citation_source``: answerable questions answered whose first
  citation is in the right document, over the answerable questions answered;
* abstention ``precision`` and ``recall`` with the unanswerable questions as
  positives;
* ``latency_ms`` p50/p95 of ``Assistant.ask`` (wall clock);
* ``tradeoff``: the accuracy-versus-abstention curve over thresholds on the
  answerer's confidence (``evaluation.tradeoff``).

A ratio whose denominator is 0 is ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from seedqa.evaluation.metrics import (
    abstention_scores,
    percentile,
    ratio,
    reciprocal_rank,
    rounded,
)
from seedqa.evaluation.plots import plot_latency, plot_outcomes
from seedqa.evaluation.report import markdown_table, ms, text_table
from seedqa.evaluation.tradeoff import TradeoffPoint, tradeoff_curve, write_tradeoff_plot

#: Outcome labels in the order tables and plots show them, with their plot colours.
OUTCOME_COLOURS = {
    "correct": "#2e7d32",
    "wrong": "#c62828",
    "missed": "#f9a825",
    "abstained": "#1565c0",
    "false answer": "#6a1b9a",
}
OUTCOMES = tuple(OUTCOME_COLOURS)


@dataclass(frozen=True)
class QAOutcome:
    """What happened to one question of a QA set.

    ``answer_correct`` is, for an answerable question, answered and holding
    a gold answer, and for an unanswerable one, abstained on;
    ``citation_correct`` is None unless answerable and answered; ``hit_rank``
    is the 1-based rank of the first evidence chunk (None if none, or
    unanswerable).
    """

    id: str
    question: str
    answerable: bool
    abstained: bool
    answer: str
    answer_correct: bool
    citation_correct: bool | None
    hit_rank: int | None
    latency_ms: float
    confidence: float = 0.0
    top_correct: bool | None = None
    first_citation_source: bool | None = None

    @property
    def label(self) -> str:
        """correct, wrong, missed, abstained (correctly) or false answer."""
        if self.answerable:
            if self.abstained:
                return "missed"
            return "correct" if self.answer_correct else "wrong"
        return "abstained" if self.abstained else "false answer"

    def to_json(self) -> dict[str, Any]:
        """The per-question entry of the ``--json`` schema."""
        return asdict(self)


@dataclass
class QAResult:
    """The figures of a QA-set run; ``to_json()`` is the documented ``--json`` schema."""

    n: int
    retrieval: dict[str, float | None]
    answer: dict[str, float | None]
    abstention: dict[str, float | None]
    latency_ms: dict[str, float | None]
    outcomes: list[QAOutcome]
    name: str = ""
    mode: str = "hybrid"
    k: int = 5
    counts: dict[str, int] = field(default_factory=dict)
    answerer: str = ""

    @classmethod
    def summarize(
        cls,
        outcomes: Sequence[QAOutcome],
        *,
        name: str = "",
        mode: str = "hybrid",
        k: int = 5,
        answerer: str = "",
    ) -> QAResult:
        """Aggregate per-question outcomes into the figures."""
        answerable = [o for o in outcomes if o.answerable]
        answered = [o for o in answerable if not o.abstained]
        ranks = [o.hit_rank for o in answerable]
        precision, recall = abstention_scores(
            [o.abstained for o in outcomes], [o.answerable for o in outcomes]
        )
        latencies = [o.latency_ms for o in outcomes]
        counts = {label: 0 for label in OUTCOMES}
        for outcome in outcomes:
            counts[outcome.label] += 1
        correct = sum(1 for o in answerable if o.answer_correct)
        return cls(
            n=len(outcomes),
            retrieval={
                "hit@1": rounded(ratio(sum(1 for r in ranks if r == 1), len(ranks))),
                "hit@5": rounded(ratio(sum(1 for r in ranks if r and r <= 5), len(ranks))),
                "mrr": rounded(ratio(sum(reciprocal_rank(r) for r in ranks), len(ranks))),
            },
            answer={
                "accuracy": rounded(ratio(correct, len(answerable))),
                "citation_accuracy": rounded(
                    ratio(sum(1 for o in answered if o.citation_correct), len(answered))
                ),
                "first_citation_source": rounded(
                    ratio(sum(1 for o in answered if o.first_citation_source), len(answered))
                ),
            },
            abstention={"precision": rounded(precision), "recall": rounded(recall)},
            latency_ms={
                "p50": rounded(percentile(latencies, 50), 1),
                "p95": rounded(percentile(latencies, 95), 1),
            },
            outcomes=list(outcomes),
            name=name,
            mode=mode,
            k=k,
            counts=counts,
            answerer=answerer,
        )

    @property
    def tradeoff(self) -> list[TradeoffPoint]:
        """The accuracy-versus-abstention curve (``evaluation.tradeoff``)."""
        return tradeoff_curve(
            [o.confidence for o in self.outcomes],
            [o.answerable for o in self.outcomes],
            [bool(o.top_correct) for o in self.outcomes],
        )

    @property
    def operating_point(self) -> tuple[float, float] | None:
        """(abstention recall, answer accuracy) as measured, the marker on the curve."""
        recall, accuracy = self.abstention["recall"], self.answer["accuracy"]
        return None if recall is None or accuracy is None else (recall, accuracy)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema.

        ``{"n", "answerer", "retrieval": {"hit@1", "hit@5", "mrr"}, "answer":
        {"accuracy", "citation_accuracy", "first_citation_source"}, "abstention":
        {"precision", "recall"}, "latency_ms": {"p50", "p95"}, "tradeoff": [...],
        "per_question": [...]}``; an undefined ratio (0/0) is null. ``tradeoff``
        holds ``TradeoffPoint.to_json()`` objects. Each per-question entry is
        ``QAOutcome.to_json()``: ``id``, ``question``, ``answerable``,
        ``abstained``, ``answer``, ``answer_correct``, ``citation_correct``,
        ``hit_rank``, ``latency_ms``, ``confidence``, ``top_correct`` and
        ``first_citation_source``.
        """
        return {
            "n": self.n,
            "answerer": self.answerer,
            "retrieval": dict(self.retrieval),
            "answer": dict(self.answer),
            "abstention": dict(self.abstention),
            "latency_ms": dict(self.latency_ms),
            "tradeoff": [p.to_json() for p in self.tradeoff],
            "per_question": [o.to_json() for o in self.outcomes],
        }

    def summary_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Headers and the one row of the summary table (terminal and report)."""
        headers = ["answerer", "mode", "n", "hit@1", "hit@5", "MRR", "answer acc",
                   "citation acc", "1st cite source", "abstain P", "abstain R", "p50 ms",
                   "p95 ms"]  # fmt: skip
        row = [
            self.answerer,
            self.mode,
            self.n,
            self.retrieval["hit@1"],
            self.retrieval["hit@5"],
            self.retrieval["mrr"],
            self.answer["accuracy"],
            self.answer["citation_accuracy"],
            self.answer["first_citation_source"],
            self.abstention["precision"],
            self.abstention["recall"],
            ms(self.latency_ms["p50"]),
            ms(self.latency_ms["p95"]),
        ]
        return headers, [row]

    def summary_table(self) -> str:
        """The plain-text summary table the CLI prints."""
        return text_table(*self.summary_rows())

    def write_report(self, path: str | Path) -> list[Path]:
        """Write the Markdown report at ``path`` and its PNGs beside it; return the paths."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        stem = path.with_suffix("")
        outcomes_png = plot_outcomes(
            [o.label for o in self.outcomes],
            [o.id for o in self.outcomes],
            Path(f"{stem}-outcomes.png"),
            f"{self.name}: per-question outcomes",
            OUTCOME_COLOURS,
        )
        latency_png = plot_latency(
            {"ask": [o.latency_ms for o in self.outcomes]},
            Path(f"{stem}-latency.png"),
            f"{self.name}: ask latency",
        )
        tradeoff_png = write_tradeoff_plot(
            {self.answerer or "answerer": (self.tradeoff, self.operating_point)},
            Path(f"{stem}-tradeoff.png"),
            f"{self.name}: accuracy versus abstention",
        )
        answerable = sum(1 for o in self.outcomes if o.answerable)
        lines = [
            f"# QA set evaluation: {self.name}",
            "",
            f"{self.n} questions ({answerable} answerable, {self.n - answerable} "
            f"unanswerable); mode `{self.mode}`, k = {self.k}.",
            "",
            markdown_table(*self.summary_rows()),
            "",
            "## Outcomes",
            "",
            markdown_table(list(OUTCOMES), [[self.counts.get(o, 0) for o in OUTCOMES]]),
            "",
            f"![per-question outcomes]({outcomes_png.name})",
            "",
            f"![latency histogram]({latency_png.name})",
            "",
            f"![accuracy versus abstention]({tradeoff_png.name})",
            "",
            "## Per question",
            "",
            markdown_table(
                ["id", "outcome", "hit rank", "citation ok", "ms", "question", "answer"],
                [
                    [
                        o.id,
                        o.label,
                        o.hit_rank,
                        o.citation_correct,
                        ms(o.latency_ms),
                        o.question,
                        o.answer[:160],
                    ]
                    for o in self.outcomes
                ],
            ),  # fmt: skip
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [path, outcomes_png, latency_png, tradeoff_png]
