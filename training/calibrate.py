"""Decision quality of a trained head: outcomes per question, curves, and the threshold.

A question is answered when its best candidate's probability reaches the
threshold. An answerable question counts as right when it is answered with a
sentence that holds the answer (label 1, or -1: contains a gold answer
string); an unanswerable one when it is abstained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

THRESHOLDS = np.round(np.arange(0.02, 0.99, 0.01), 2)


@dataclass(frozen=True)
class Outcomes:
    """Per-question best probability, whether the best sentence is right, and answerability."""

    name: str
    best: np.ndarray
    right: np.ndarray
    answerable: np.ndarray
    kinds: tuple[str, ...]

    def at(self, threshold: float) -> dict[str, float]:
        """Answered-correctly share (answerable) and abstained share (unanswerable)."""
        answered = self.best >= threshold
        a, u = self.answerable, ~self.answerable
        return {
            "answered_correct": float(np.mean(answered[a] & self.right[a])) if a.any() else None,
            "abstained": float(np.mean(~answered[u])) if u.any() else None,
            "top1_right": float(np.mean(self.right[a])) if a.any() else None,
        }

    def curve(self) -> list[dict[str, float]]:
        """The whole accuracy-versus-abstention trade-off over ``THRESHOLDS``."""
        return [{"threshold": float(t), **self.at(float(t))} for t in THRESHOLDS]

    def subset(self, keep: np.ndarray, name: str) -> Outcomes:
        """The questions selected by boolean mask ``keep``."""
        return Outcomes(
            name,
            self.best[keep],
            self.right[keep],
            self.answerable[keep],
            tuple(k for k, flag in zip(self.kinds, keep, strict=True) if flag),
        )


def outcomes(
    name: str,
    probabilities: Sequence[np.ndarray],
    labels: Sequence[np.ndarray],
    answerable: np.ndarray,
    kinds: Sequence[str],
) -> Outcomes:
    """Reduce per-candidate probabilities to per-question outcomes."""
    best = np.array([float(p.max()) if len(p) else 0.0 for p in probabilities])
    right = np.array(
        [
            bool(len(p)) and int(lab[int(np.argmax(p))]) != 0
            for p, lab in zip(probabilities, labels, strict=True)
        ]
    )
    return Outcomes(name, best, right & answerable, np.asarray(answerable, bool), tuple(kinds))


def balanced(sets: Sequence[Outcomes], threshold: float) -> float:
    """Mean over ``sets`` of the mean of answered-correct and abstained shares."""
    scores = []
    for s in sets:
        at = s.at(threshold)
        parts = [v for k, v in at.items() if k != "top1_right" and v is not None]
        scores.append(float(np.mean(parts)))
    return float(np.mean(scores))


def choose_threshold(sets: Sequence[Outcomes]) -> float:
    """The threshold that maximises ``balanced`` over ``sets`` (ties: the middle one)."""
    scores = np.array([balanced(sets, float(t)) for t in THRESHOLDS])
    best = np.flatnonzero(scores >= scores.max() - 1e-9)
    return float(THRESHOLDS[best[len(best) // 2]])
