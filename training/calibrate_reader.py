"""Calibrate how the reader answers: its pick weight and threshold (``models/reader/answer.json``).

Usage: python -m seedqa.training.calibrate_reader --work WORK --logits NAME [--out models/reader]

Reads the candidate groups of the calibration sets (``CALIBRATION_SETS``: the
held-apart users'-style documents, never trained on; ``WORK/groups-<set>.json``)
and the reader's logits for them
(``WORK/<set>.<NAME>.npy``).
For each pick weight ``combine`` in ``COMBINE_GRID`` the answerer picks
argmax(logit + combine x scorer score) among the scorer's best ``TOP_N``; for
each ``missing_weight`` in ``MISSING_GRID`` that much is taken off the pick's
logit when the question names a figure or name found in none of the passages
(the earlier hand rule, now an input with a calibrated weight); the threshold
is the probability that abstains on ``ABSTAIN`` of the calibration
near-misses (each set weighing alike), and the pair kept is the one that then
answers the most answerable questions right (mean over the sets).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from seedqa.qa.reader_answerer import SETTINGS_FILE, ReaderSettings

TOP_N = 8
COMBINE_GRID = (0.0, 1.0, 2.0, 4.0, 8.0)
MISSING_GRID = (0.0, 2.0, 5.0, 10.0)
#: The calibration sets: the held-apart users'-style documents (``split_documents``; 653
#: answerable and 385 near-miss questions, never trained on). ``--sets`` can add others (each
#: set then weighs alike); the development sets are left for choosing between checkpoints.
CALIBRATION_SETS = ("users-calibrate",)
#: Share of the calibration near-misses the threshold abstains on.
ABSTAIN = 0.80


def picks(
    groups: list[dict],
    logits: np.ndarray,
    combine: float | None,
    top_n: int = TOP_N,
    missing_weight: float = 0.0,
) -> list[tuple[bool, bool, float]]:
    """(answerable, picked sentence right, confidence) per question.

    ``combine=None`` is the similarity scorer alone (its first candidate, its
    ranking score as the confidence); otherwise the reader's pick and its
    probability, with ``missing_weight`` taken off the logit when the question
    names a figure or name found in none of the passages.
    ``logits`` are in the groups' candidate order (all candidates of every group).
    """
    out, at = [], 0
    for g in groups:
        cands = g["candidates"]
        z = logits[at : at + len(cands)]
        at += len(cands)
        keep = [i for i, c in enumerate(cands) if c["position"] < top_n]
        if not keep:
            out.append((g["answerable"], False, 0.0))
            continue
        if combine is None:
            best, conf = keep[0], float(cands[keep[0]]["score"])
        else:
            mixed = [z[i] + combine * cands[i]["score"] for i in keep]
            best = keep[int(np.argmax(mixed))]
            logit = z[best] - (missing_weight if g["missing"] else 0.0)
            conf = float(1.0 / (1.0 + np.exp(-logit)))
        out.append((g["answerable"], bool(cands[best]["correct"]), conf))
    if at != len(logits):
        raise ValueError(f"{len(logits)} logits for {at} candidates")
    return out


def threshold_for(rows: list[tuple[bool, bool, float]], abstain: float) -> float:
    """The confidence below which ``abstain`` of the near-misses fall."""
    near = np.array([c for a, _, c in rows if not a])
    return float(np.quantile(near, abstain)) if len(near) else 0.5


def answered_right(rows: list[tuple[bool, bool, float]], threshold: float) -> float:
    """Share of answerable questions answered, and right, at ``threshold``."""
    return float(np.mean([right and c >= threshold for a, right, c in rows if a]))


def pooled_threshold(sets: list[list[tuple[bool, bool, float]]], abstain: float) -> float:
    """The confidence below which ``abstain`` of the near-misses fall, each set weighing alike."""
    values, weights = [], []
    for rows in sets:
        near = [c for a, _, c in rows if not a]
        values += near
        weights += [1.0 / len(near)] * len(near) if near else []
    if not values:
        return 0.5
    order = np.argsort(values)
    cumulative = np.cumsum(np.array(weights)[order]) / sum(weights)
    return float(np.array(values)[order][int(np.searchsorted(cumulative, abstain))])


def calibrate(sets: list[tuple[list[dict], np.ndarray]]) -> tuple[ReaderSettings, dict]:
    """The settings that answer the most questions at ``ABSTAIN`` abstention.

    ``sets`` holds each calibration set's groups and logits; the threshold
    abstains on ``ABSTAIN`` of the near-misses with every set weighing alike, and
    the answered share is the mean over the sets.
    """
    best: tuple[float, ReaderSettings] | None = None
    table = {}
    for combine in COMBINE_GRID:
        for missing in MISSING_GRID:
            rows_per_set = [picks(g, z, combine, missing_weight=missing) for g, z in sets]
            threshold = pooled_threshold(rows_per_set, ABSTAIN)
            score = float(np.mean([answered_right(rows, threshold) for rows in rows_per_set]))
            table[f"combine {combine:g}, missing {missing:g}"] = {
                "threshold": round(threshold, 4),
                "answered_right": round(score, 4),
            }
            settings = ReaderSettings(
                top_n=TOP_N, combine=combine, threshold=round(threshold, 4), missing_weight=missing
            )
            if best is None or score > best[0]:
                best = (score, settings)
    assert best is not None
    return best[1], table


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--logits", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", nargs="*", default=list(CALIBRATION_SETS))
    args = parser.parse_args()
    sets = [
        (
            json.loads((args.work / f"groups-{name}.json").read_text(encoding="utf-8")),
            np.load(args.work / f"{name}.{args.logits}.npy"),
        )
        for name in args.sets
    ]
    settings, table = calibrate(sets)
    record = {
        **asdict(settings),
        "calibrated_on": args.sets,
        "abstain_target": ABSTAIN,
        "grid": table,
    }
    (args.out / SETTINGS_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
