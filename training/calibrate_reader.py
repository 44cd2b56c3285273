"""Calibrate how the reader answers: its pick weight and threshold (``models/reader/answer.json``).

Usage: python -m seedqa.training.calibrate_reader --work WORK --logits NAME [--out models/reader]

Reads the calibration documents' candidate groups (``WORK/groups-users-calibrate.json``,
never trained on) and the reader's logits for them (``WORK/users-calibrate.<NAME>.npy``).
For each pick weight ``combine`` in ``COMBINE_GRID`` the answerer picks
argmax(logit + combine x scorer score) among the scorer's best ``TOP_N``; the
threshold is the reader probability that abstains on ``ABSTAIN`` of the
calibration near-misses, and the weight kept is the one that then answers the
most answerable questions right.
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
#: Share of the calibration near-misses the threshold abstains on.
ABSTAIN = 0.85


def picks(
    groups: list[dict], logits: np.ndarray, combine: float | None, top_n: int = TOP_N
) -> list[tuple[bool, bool, float]]:
    """(answerable, picked sentence right, confidence) per question.

    ``combine=None`` is the similarity scorer alone (its first candidate, its
    ranking score as the confidence); otherwise the reader's pick and probability.
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
            conf = float(1.0 / (1.0 + np.exp(-z[best])))
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


def calibrate(groups: list[dict], logits: np.ndarray) -> tuple[ReaderSettings, dict]:
    """The settings that answer the most calibration questions at ``ABSTAIN`` abstention."""
    best: tuple[float, ReaderSettings] | None = None
    table = {}
    for combine in COMBINE_GRID:
        rows = picks(groups, logits, combine)
        threshold = threshold_for(rows, ABSTAIN)
        score = answered_right(rows, threshold)
        table[str(combine)] = {"threshold": round(threshold, 4), "answered_right": round(score, 4)}
        settings = ReaderSettings(top_n=TOP_N, combine=combine, threshold=round(threshold, 4))
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
    args = parser.parse_args()
    groups = json.loads((args.work / "groups-users-calibrate.json").read_text(encoding="utf-8"))
    logits = np.load(args.work / f"users-calibrate.{args.logits}.npy")
    settings, table = calibrate(groups, logits)
    record = {
        **asdict(settings),
        "calibrated_on": "users-calibrate (training/data/users, split_documents)",
        "abstain_target": ABSTAIN,
        "grid": table,
    }
    (args.out / SETTINGS_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
