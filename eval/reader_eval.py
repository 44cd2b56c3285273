"""Development check of a reader checkpoint on cached candidate groups (issue 8).

Usage: python eval/reader_eval.py --work WORK --logits NAME [--combine A ...] [--missing W]

For each set, ``WORK/groups-<set>.json`` (from ``seedqa.training.reader_data``)
and the reader's logits for its candidates, in order (``WORK/<set>.<NAME>.npy``
from ``reader_model score``), give per question a pick and a confidence
(``calibrate_reader.picks``, among the scorer's best ``--top-n``):

* ``similarity``: the scorer's first candidate; confidence its ranking score
  (a ranking signal, shown for its AUC and curve only);
* ``reader+<A>sim``: argmax of logit + A x scorer score; confidence the picked
  candidate's reader probability, with ``--missing`` taken off the logit when
  the question names a figure or name no passage mentions.

Printed per set: top-1 right, AUC (answerable vs near-miss confidence), the
share of answerable questions answered right at the best threshold that
abstains on at least 0.6 / 0.7 / 0.8 / 0.9 of the near-misses, and the result
at the threshold that abstains on ``ABSTAIN`` of the ``--calibrate`` set's
near-misses.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from seedqa.training.calibrate_reader import ABSTAIN, picks, threshold_for

LEVELS = (0.6, 0.7, 0.8, 0.9)


def summary(rows: list[tuple], threshold: float | None) -> dict:
    """Top-1, AUC, answered-right at the abstention levels and at ``threshold``."""
    ans = [(right, c) for a, right, c in rows if a]
    near = np.array([c for a, _, c in rows if not a])
    pos = np.array([c for _, c in ans])
    auc = float((pos[:, None] > near[None, :]).mean()) if len(near) and len(pos) else float("nan")
    result = {"top1": np.mean([r for r, _ in ans]), "auc": auc}
    for level in LEVELS:
        t = float(np.quantile(near, level)) if len(near) else 0.0
        result[f"@{level}"] = float(np.mean([r and c > t for r, c in ans]))
    if threshold is not None:
        result["ans@t"] = float(np.mean([r and c >= threshold for r, c in ans]))
        result["abst@t"] = float(np.mean(near < threshold)) if len(near) else float("nan")
    return result


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--logits", required=True, help="logits file name: WORK/<set>.<NAME>.npy")
    parser.add_argument("--combine", type=float, nargs="*", default=[0.0, 2.0, 4.0])
    parser.add_argument("--top-n", type=int, default=8)
    parser.add_argument("--missing", type=float, default=0.0, help="missing-specifics weight")
    parser.add_argument("--calibrate", default="users-calibrate")
    parser.add_argument(
        "--sets",
        nargs="*",
        default=["users-calibrate", "users-heldout", "dev", "seed-paraphrase", "seed", "squad-dev"],
    )
    args = parser.parse_args()
    data = {}
    for name in args.sets:
        groups = json.loads((args.work / f"groups-{name}.json").read_text(encoding="utf-8"))
        data[name] = (groups, np.load(args.work / f"{name}.{args.logits}.npy"))
    ways = {"similarity": None, **{f"reader+{a:g}sim": a for a in args.combine}}
    thresholds = {
        how: threshold_for(picks(*data[args.calibrate], a, args.top_n, args.missing), ABSTAIN)
        for how, a in ways.items()
        if a is not None
    }
    print("| set | pick | top1 | AUC | " + " | ".join(f"@{x}" for x in LEVELS), end="")
    print(" | answered @t | abstained @t |")
    print("|" + " --- |" * (5 + len(LEVELS) + 1))
    for name, (groups, logits) in data.items():
        for how, a in ways.items():
            s = summary(picks(groups, logits, a, args.top_n, args.missing), thresholds.get(how))
            cells = [f"{s['top1']:.3f}", f"{s['auc']:.3f}"] + [f"{s[f'@{x}']:.3f}" for x in LEVELS]
            cells += [f"{s.get('ans@t', float('nan')):.3f}", f"{s.get('abst@t', float('nan')):.3f}"]
            print(f"| {name} | {how} | " + " | ".join(cells) + " |")
    print("thresholds", {k: round(v, 4) for k, v in thresholds.items()})


if __name__ == "__main__":
    main()
