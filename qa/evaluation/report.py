"""Readable output of evaluation runs: text tables, Markdown reports and PNG plots.

``write_report(result, "out/seed.md")`` writes the Markdown report and its
plots beside it (``seed-latency.png``, ``seed-outcomes.png`` for QA sets,
``NAME-recall.png`` for benchmarks), linked from the report by file name.
Plots are drawn with matplotlib's non-interactive "Agg" backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seedqa.qa.evaluation.beir import BeirResult
from seedqa.qa.evaluation.qa_set import OUTCOMES, QAResult, outcome
from seedqa.qa.evaluation.squad import SquadResult

Result = QAResult | BeirResult | SquadResult

_COLOURS = {
    "correct": "#2e7d32",
    "wrong": "#c62828",
    "missed": "#f9a825",
    "abstained": "#1565c0",
    "false answer": "#6a1b9a",
}


def fmt(value: Any, digits: int = 3) -> str:
    """Format a figure for a table: floats to ``digits`` places, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table (for the terminal)."""
    cells = [[str(h) for h in headers]] + [[fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown (GitHub) table; ``|`` in cells is escaped."""

    def cell(value: Any) -> str:
        return fmt(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_rows(result: Result) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of the summary table of ``result`` (terminal and report)."""
    if isinstance(result, QAResult):
        headers = [
            "mode",
            "n",
            "hit@1",
            "hit@5",
            "MRR",
            "answer acc",
            "citation acc",
            "abstain P",
            "abstain R",
            "p50 ms",
            "p95 ms",
        ]
        return headers, [
            [
                result.mode,
                result.n,
                result.retrieval["hit@1"],
                result.retrieval["hit@5"],
                result.retrieval["mrr"],
                result.answer["accuracy"],
                result.answer["citation_accuracy"],
                result.abstention["precision"],
                result.abstention["recall"],
                _ms(result.latency_ms["p50"]),
                _ms(result.latency_ms["p95"]),
            ]
        ]
    if isinstance(result, BeirResult):
        headers = ["mode", "nDCG@10", "Recall@100", "MRR@10", "queries/s"]
        return headers, [
            [mode, m["ndcg@10"], m["recall@100"], m["mrr@10"], fmt(m["queries_per_s"], 1)]
            for mode, m in result.modes.items()
        ]
    headers = [
        "mode",
        "n",
        "top@1",
        "top@5",
        "top@20",
        "answer acc",
        "citation acc",
        "abstained",
        "p50 ms",
        "p95 ms",
    ]
    return headers, [
        [
            result.mode,
            result.n,
            result.retrieval["top@1"],
            result.retrieval["top@5"],
            result.retrieval["top@20"],
            result.answer["accuracy"],
            result.answer["citation_accuracy"],
            result.answer["abstained"],
            _ms(result.latency_ms["p50"]),
            _ms(result.latency_ms["p95"]),
        ]
    ]


def summary_table(result: Result) -> str:
    """The plain-text summary table the CLI prints."""
    return text_table(*summary_rows(result))


# --------------------------------------------------------------------------- plots


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_latency(latencies: dict[str, Sequence[float]], path: Path, title: str) -> Path:
    """Histogram of latencies (ms), one series per label."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, values in latencies.items():
        if len(values):
            ax.hist(values, bins=40, alpha=0.6, label=f"{label} (n={len(values)})")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("count")
    ax.set_title(title)
    if latencies:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_curves(curves: dict[str, Sequence[float]], path: Path, title: str, ylabel: str) -> Path:
    """Line plot of a metric at k = 1..len(curve), one line per mode."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for label, curve in curves.items():
        ax.plot(range(1, len(curve) + 1), curve, label=label)
    ax.set_xlabel("k")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if curves:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_outcomes(labels: Sequence[str], ids: Sequence[str], path: Path, title: str) -> Path:
    """Per-question outcomes: counts per outcome and one coloured cell per question."""
    plt = _pyplot()

    fig, (bars, strip) = plt.subplots(
        2, 1, figsize=(max(7, 0.18 * len(labels)), 5), gridspec_kw={"height_ratios": [3, 1]}
    )
    counts = [sum(1 for x in labels if x == o) for o in OUTCOMES]
    bars.bar(OUTCOMES, counts, color=[_COLOURS[o] for o in OUTCOMES])
    for x, count in enumerate(counts):
        bars.text(x, count, str(count), ha="center", va="bottom")
    bars.set_ylim(0, max(counts + [1]) * 1.15)
    bars.set_ylabel("questions")
    bars.set_title(title)
    strip.bar(
        range(len(labels)),
        [1] * len(labels),
        width=1.0,
        color=[_COLOURS[x] for x in labels],
        edgecolor="white",
        linewidth=0.5,
    )
    strip.set_yticks([])
    strip.set_ylabel("each\nquestion", fontsize=7)
    strip.set_xlim(-0.5, len(labels) - 0.5)
    if len(ids) <= 80:
        strip.set_xticks(range(len(ids)), ids, rotation=90, fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- reports


def write_report(result: Result, path: str | Path) -> list[Path]:
    """Write the Markdown report of ``result`` at ``path`` and its PNGs beside it.

    Returns the paths written (the report first).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stem = path.with_suffix("")
    headers, rows = summary_rows(result)
    written: list[Path] = []
    lines: list[str] = []
    if isinstance(result, QAResult):
        labels = [outcome(e) for e in result.per_question]
        answerable = sum(1 for e in result.per_question if e["answerable"])
        outcomes_png = plot_outcomes(
            labels,
            [e["id"] for e in result.per_question],
            Path(f"{stem}-outcomes.png"),
            f"{result.name}: per-question outcomes",
        )
        latency_png = plot_latency(
            {"ask": [e["latency_ms"] for e in result.per_question]},
            Path(f"{stem}-latency.png"),
            f"{result.name}: ask latency",
        )
        written += [outcomes_png, latency_png]
        lines += [
            f"# QA set evaluation: {result.name}",
            "",
            f"{result.n} questions ({answerable} answerable, {result.n - answerable} "
            f"unanswerable); mode `{result.mode}`, k = {result.k}.",
            "",
            markdown_table(headers, rows),
            "",
            "## Outcomes",
            "",
            markdown_table(list(OUTCOMES), [[result.counts.get(o, 0) for o in OUTCOMES]]),
            "",
            f"![per-question outcomes]({outcomes_png.name})",
            "",
            f"![latency histogram]({latency_png.name})",
            "",
            "## Per question",
            "",
            markdown_table(
                ["id", "outcome", "hit rank", "citation ok", "ms", "question", "answer"],
                [
                    [
                        e["id"],
                        outcome(e),
                        e["hit_rank"],
                        e["citation_correct"],
                        _ms(e["latency_ms"]),
                        e["question"],
                        e["answer"][:160],
                    ]
                    for e in result.per_question
                ],
            ),
        ]
    elif isinstance(result, BeirResult):
        recall_png = plot_curves(
            result.curves,
            Path(f"{stem}-recall.png"),
            f"{result.dataset}: recall@k",
            "mean recall@k",
        )
        latency_png = plot_latency(
            result.latencies_ms,
            Path(f"{stem}-latency.png"),
            f"{result.dataset}: search latency per query",
        )
        written += [recall_png, latency_png]
        lines += [
            f"# Retrieval evaluation: {result.dataset}",
            "",
            f"{result.n_queries} test queries over {result.n_documents} documents "
            f"({result.n_chunks} chunks; {result.depth} chunks retrieved per query, "
            "documents ranked by their best chunk). Index built or updated in "
            f"{result.build_seconds:.1f} s.",
            "",
            markdown_table(headers, rows),
            "",
            f"![recall@k per mode]({recall_png.name})",
            "",
            f"![latency histogram]({latency_png.name})",
        ]
    else:
        curve_png = plot_curves(
            {result.mode: result.curve},
            Path(f"{stem}-recall.png"),
            f"{result.dataset}: own paragraph in top k",
            "accuracy",
        )
        latency_png = plot_latency(
            {"ask": result.latencies}, Path(f"{stem}-latency.png"), f"{result.dataset}: ask latency"
        )
        written += [curve_png, latency_png]
        lines += [
            f"# Open-domain SQuAD evaluation: {result.dataset}",
            "",
            f"{result.n} questions asked against all {result.n_paragraphs} paragraphs; "
            f"mode `{result.mode}`, k = {result.k}.",
            "",
            markdown_table(headers, rows),
            "",
            markdown_table(list(result.counts), [list(result.counts.values())]),
            "",
            f"![top-k paragraph accuracy]({curve_png.name})",
            "",
            f"![latency histogram]({latency_png.name})",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path, *written]
