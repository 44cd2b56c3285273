"""PNG plots of evaluation runs (matplotlib from the optional ``eval`` extra, Agg backend)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from seedqa.evaluation.errors import require_extra


def _pyplot():
    """Return pyplot on the non-interactive Agg backend (from the ``eval`` extra)."""
    matplotlib = require_extra("matplotlib", "matplotlib")
    matplotlib.use("Agg")
    return require_extra("matplotlib.pyplot", "matplotlib")


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


def plot_outcomes(
    labels: Sequence[str],
    ids: Sequence[str],
    path: Path,
    title: str,
    colours: dict[str, str],
) -> Path:
    """Per-question outcomes: counts per outcome and one coloured cell per question.

    ``colours`` maps each outcome label to its colour, in the order shown.
    """
    plt = _pyplot()
    outcomes = list(colours)

    fig, (bars, strip) = plt.subplots(
        2, 1, figsize=(max(7, 0.18 * len(labels)), 5), gridspec_kw={"height_ratios": [3, 1]}
    )
    counts = [sum(1 for x in labels if x == o) for o in outcomes]
    bars.bar(outcomes, counts, color=[colours[o] for o in outcomes])
    for x, count in enumerate(counts):
        bars.text(x, count, str(count), ha="center", va="bottom")
    bars.set_ylim(0, max(counts + [1]) * 1.15)
    bars.set_ylabel("questions")
    bars.set_title(title)
    strip.bar(
        range(len(labels)),
        [1] * len(labels),
        width=1.0,
        color=[colours[x] for x in labels],
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


def plot_tradeoff(
    lines: dict[str, tuple[Sequence[float | None], Sequence[float | None], tuple | None]],
    path: Path,
    title: str,
    xlabel: str,
    ylabel: str,
) -> Path:
    """One line per label (x values, y values, and an optional marked point (x, y))."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, (xs, ys, point) in lines.items():
        line = ax.plot(xs, ys, marker=".", markersize=3, label=label)[0]
        if point is not None:
            ax.plot(*point, marker="o", markersize=9, color=line.get_color())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title)
    if lines:
        ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
