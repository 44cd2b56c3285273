"""Accuracy versus abstention: what an answerer would score at every threshold.

Each question records the answerer's confidence in its best sentence and
whether that sentence's answer is right (``top_correct``, from the answer, or
from the fallback the answerer would have given when it abstained). Sweeping
the threshold over the confidences then gives, without asking again:

* ``answered_correct``: answerable questions answered with a right answer;
* ``abstained``: unanswerable questions abstained on (None without any);
* ``coverage``: share of all questions answered;
* ``precision``: right answers among the answerable questions answered.

The answerer's real operating point (its own threshold and rules) is the one
the run measured; the curve shows the trade-off around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from seedqa.evaluation.metrics import ratio, rounded
from seedqa.evaluation.plots import plot_tradeoff

THRESHOLDS = tuple(float(t) for t in np.round(np.arange(0.0, 1.0001, 0.02), 2))


@dataclass(frozen=True)
class TradeoffPoint:
    """The figures at one threshold (see the module docstring)."""

    threshold: float
    answered_correct: float | None
    abstained: float | None
    coverage: float | None
    precision: float | None

    def to_json(self) -> dict[str, float | None]:
        """The point as a JSON object."""
        return asdict(self)


def tradeoff_curve(
    confidence: Sequence[float],
    answerable: Sequence[bool],
    top_correct: Sequence[bool],
    thresholds: Sequence[float] = THRESHOLDS,
) -> list[TradeoffPoint]:
    """The trade-off at each threshold (a question is answered when confidence >= threshold)."""
    conf = np.asarray(confidence, dtype=float)
    able = np.asarray(answerable, dtype=bool)
    right = np.asarray(top_correct, dtype=bool) & able
    points = []
    for t in thresholds:
        answered = conf >= t
        points.append(
            TradeoffPoint(
                threshold=float(t),
                answered_correct=rounded(ratio(int((answered & right).sum()), int(able.sum()))),
                abstained=rounded(ratio(int((~answered & ~able).sum()), int((~able).sum()))),
                coverage=rounded(ratio(int(answered.sum()), len(conf))),
                precision=rounded(
                    ratio(int((answered & right).sum()), int((answered & able).sum()))
                ),
            )
        )
    return points


def write_tradeoff_plot(
    curves: dict[str, tuple[list[TradeoffPoint], tuple[float, float] | None]],
    path: Path,
    title: str,
) -> Path:
    """One line per answerer, its measured operating point as a marker.

    With unanswerable questions the axes are abstention on them (x) against
    right answers on the answerable ones (y); without, coverage against
    accuracy. ``curves`` maps a label to (points, operating point (x, y)).
    """
    unanswerable = any(p.abstained is not None for points, _ in curves.values() for p in points)
    lines = {
        label: (
            [p.abstained if unanswerable else p.coverage for p in points],
            [p.answered_correct for p in points],
            operating,
        )
        for label, (points, operating) in curves.items()
    }
    if unanswerable:
        axes = ("unanswerable questions abstained on", "answerable questions answered correctly")
    else:
        axes = ("coverage (questions answered)", "answer accuracy (all questions)")
    return plot_tradeoff(lines, path, title, *axes)
