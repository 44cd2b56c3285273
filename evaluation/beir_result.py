"""The outcome of a BEIR retrieval run: per-query records, figures per mode, table, report."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedqa.evaluation.plots import plot_curves, plot_latency
from seedqa.evaluation.report import fmt, markdown_table, text_table


@dataclass(frozen=True)
class QueryOutcome:
    """One query of a BEIR run in one mode: its document ranking and search latency."""

    id: str
    mode: str
    ranking: tuple[str, ...]
    latency_ms: float


@dataclass
class BeirResult:
    """Per-mode figures of a BEIR run; ``to_json()`` is the documented schema."""

    dataset: str
    modes: dict[str, dict[str, Any]]
    curves: dict[str, list[float]] = field(default_factory=dict)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    n_queries: int = 0
    n_documents: int = 0
    n_chunks: int = 0
    build_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema.

        ``{"dataset", "modes": {MODE: {"ndcg@10", "recall@100", "mrr@10", "queries_per_s",
        "latency_ms": {"p50", "p95"}}}}``
        """
        return {
            "dataset": self.dataset,
            "modes": {
                mode: {k: dict(v) if isinstance(v, dict) else v for k, v in figures.items()}
                for mode, figures in self.modes.items()
            },
        }

    def summary_rows(self) -> tuple[list[str], list[list[Any]]]:
        """Headers and one row per mode of the summary table (terminal and report)."""
        headers = ["mode", "nDCG@10", "Recall@100", "MRR@10", "queries/s", "p50 ms", "p95 ms"]
        return headers, [
            [mode, m["ndcg@10"], m["recall@100"], m["mrr@10"], fmt(m["queries_per_s"], 1),
             fmt(m["latency_ms"]["p50"], 1), fmt(m["latency_ms"]["p95"], 1)]
            for mode, m in self.modes.items()
        ]  # fmt: skip

    def summary_table(self) -> str:
        """The plain-text summary table the CLI prints."""
        return text_table(*self.summary_rows())

    def write_report(self, path: str | Path) -> list[Path]:
        """Write the Markdown report at ``path`` and its PNGs beside it; return the paths."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        stem = path.with_suffix("")
        recall_png = plot_curves(
            self.curves, Path(f"{stem}-recall.png"), f"{self.dataset}: recall@k", "mean recall@k"
        )
        latency_png = plot_latency(
            self.latencies_ms,
            Path(f"{stem}-latency.png"),
            f"{self.dataset}: search latency per query",
        )
        lines = [
            f"# Retrieval evaluation: {self.dataset}",
            "",
            f"{self.n_queries} test queries over {self.n_documents} documents "
            f"({self.n_chunks} chunks; the top 100 documents per query, each scored as its "
            "best chunk; latency of single warm queries). Index built or updated in "
            f"{self.build_seconds:.1f} s.",
            "",
            markdown_table(*self.summary_rows()),
            "",
            f"![recall@k per mode]({recall_png.name})",
            "",
            f"![latency histogram]({latency_png.name})",
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return [path, recall_png, latency_png]
