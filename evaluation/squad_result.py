"""The outcome of an open-domain SQuAD run: per-question records, figures, table, report.

Measures:

* ``top@1``, ``top@5``, ``top@20``: the question's own paragraph is among the
  first 1/5/20 distinct documents of ``Retriever.search`` (60 chunks);
* answer ``accuracy``: not abstained and the answer contains a gold answer
  (``evaluation.normalize``), over all questions;
* ``citation_accuracy``: answered questions with a citation inside the
  question's own paragraph, over the questions answered;
* ``first_citation_source``: answered questions whose first citation is in
  the question's own paragraph, over the questions answered;
* ``abstained``: the share of questions abstained on (all are answerable);
* ``latency_ms`` p50/p95 of ``Assistant.ask``;
* ``tradeoff``: coverage versus accuracy over thresholds on the answerer's
  confidence (``evaluation.tradeoff``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedqa.evaluation.metrics import percentile, ratio, rounded
from seedqa.evaluation.plots import plot_curves, plot_latency
from seedqa.evaluation.report import markdown_table, ms, text_table
from seedqa.evaluation.tradeoff import TradeoffPoint, tradeoff_curve, write_tradeoff_plot

TOP_KS = (1, 5, 20)


@dataclass(frozen=True)
class SquadOutcome:
    """What happened to one SQuAD question.

    ``paragraph_rank`` is the rank of its own paragraph among the distinct
    documents retrieved (None beyond 20); ``citation_correct`` and
    ``first_citation_source`` are None when it abstained; ``confidence`` is
    the answerer's confidence in its best sentence and ``top_correct``
    whether that sentence's answer holds a gold answer (also when abstained).
    """

    id: str
    paragraph_rank: int | None
    abstained: bool
    answer_correct: bool
    citation_correct: bool | None
    latency_ms: float
    confidence: float = 0.0
    top_correct: bool = False
    first_citation_source: bool | None = None

    @property
    def label(self) -> str:
        """correct, wrong or missed (abstained: every SQuAD question is answerable)."""
        if self.abstained:
            return "missed"
        return "correct" if self.answer_correct else "wrong"


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
    outcomes: list[SquadOutcome] = field(default_factory=list, repr=False)
    answerer: str = ""

    @classmethod
    def summarize(
        cls,
        outcomes: Sequence[SquadOutcome],
        *,
        dataset: str,
        mode: str,
        k: int,
        n_paragraphs: int = 0,
        build_seconds: float = 0.0,
        answerer: str = "",
    ) -> SquadResult:
        """Aggregate per-question outcomes into the figures."""
        n = len(outcomes)
        ranks = [o.paragraph_rank for o in outcomes]
        counts = {"correct": 0, "wrong": 0, "missed": 0}
        for outcome in outcomes:
            counts[outcome.label] += 1
        answered = n - counts["missed"]
        cited = sum(1 for o in outcomes if o.citation_correct)
        first = sum(1 for o in outcomes if o.first_citation_source)
        latencies = [o.latency_ms for o in outcomes]

        def within(top: int) -> int:
            return sum(1 for r in ranks if r and r <= top)

        return cls(
            dataset=dataset,
            n=n,
            mode=mode,
            k=k,
            retrieval={f"top@{t}": rounded(ratio(within(t), n)) for t in TOP_KS},
            answer={
                "accuracy": rounded(ratio(counts["correct"], n)),
                "citation_accuracy": rounded(ratio(cited, answered)),
                "first_citation_source": rounded(ratio(first, answered)),
                "abstained": rounded(ratio(counts["missed"], n)),
            },
            latency_ms={
                "p50": rounded(percentile(latencies, 50), 1),
                "p95": rounded(percentile(latencies, 95), 1),
            },
            curve=[ratio(within(t), n) or 0.0 for t in range(1, max(TOP_KS) + 1)],
            latencies=latencies,
            counts=counts,
            n_paragraphs=n_paragraphs,
            build_seconds=build_seconds,
            outcomes=list(outcomes),
            answerer=answerer,
        )

    @property
    def tradeoff(self) -> list[TradeoffPoint]:
        """Coverage versus accuracy over confidence thresholds (``evaluation.tradeoff``)."""
        return tradeoff_curve(
            [o.confidence for o in self.outcomes],
            [True] * len(self.outcomes),
            [o.top_correct for o in self.outcomes],
        )

    @property
    def operating_point(self) -> tuple[float, float] | None:
        """(coverage, accuracy) as measured, the marker on the curve."""
        accuracy, abstained = self.answer["accuracy"], self.answer["abstained"]
        return None if accuracy is None or abstained is None else (1 - abstained, accuracy)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema.

        ``{"dataset", "answerer", "n", "mode", "k", "retrieval": {"top@1", "top@5",
        "top@20"}, "answer": {"accuracy", "citation_accuracy", "first_citation_source",
        "abstained"}, "latency_ms": {"p50", "p95"}, "tradeoff": [...]}``
        """
        return {
            "dataset": self.dataset,
            "answerer": self.answerer,
            "n": self.n,
            "mode": self.mode,
            "k": self.k,
            "retrieval": dict(self.retrieval),
            "answer": dict(self.answer),
            "latency_ms": dict(self.latency_ms),
            "tradeoff": [p.to_json() for p in self.tradeoff],
        }

    def summary_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Headers and the one row of the summary table (terminal and report)."""
        headers = ["answerer", "mode", "n", "top@1", "top@5", "top@20", "answer acc",
                   "citation acc", "1st cite source", "abstained", "p50 ms",
                   "p95 ms"]  # fmt: skip
        row = [
            self.answerer,
            self.mode,
            self.n,
            self.retrieval["top@1"],
            self.retrieval["top@5"],
            self.retrieval["top@20"],
            self.answer["accuracy"],
            self.answer["citation_accuracy"],
            self.answer["first_citation_source"],
            self.answer["abstained"],
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
        curve_png = plot_curves(
            {self.mode: self.curve},
            Path(f"{stem}-recall.png"),
            f"{self.dataset}: own paragraph in top k",
            "accuracy",
        )
        latency_png = plot_latency(
            {"ask": self.latencies}, Path(f"{stem}-latency.png"), f"{self.dataset}: ask latency"
        )
        tradeoff_png = write_tradeoff_plot(
            {self.answerer or "answerer": (self.tradeoff, self.operating_point)},
            Path(f"{stem}-tradeoff.png"),
            f"{self.dataset}: accuracy versus coverage",
        )
        lines = [
            f"# Open-domain SQuAD evaluation: {self.dataset}",
            "",
            f"{self.n} questions asked against all {self.n_paragraphs} paragraphs; "
            f"mode `{self.mode}`, k = {self.k}.",
            "",
            markdown_table(*self.summary_rows()),
            "",
            markdown_table(list(self.counts), [list(self.counts.values())]),
            "",
            f"![top-k paragraph accuracy]({curve_png.name})",
            "",
            f"![latency histogram]({latency_png.name})",
            "",
            f"![accuracy versus coverage]({tradeoff_png.name})",
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [path, curve_png, latency_png, tradeoff_png]
