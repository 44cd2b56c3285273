"""Rebuild the shipped reader (``models/reader``) in one command: ``make train-reader``.

Steps (each skipped when its output exists in ``--work``, so an interrupted run resumes):

1. candidate groups (``reader_data``): the users'-style training batches split by
   document into train / calibrate / held-out, the development sets, SQuAD
   train-article questions (a minority) — every question asked as ``seedqa ask`` asks it;
2. cache the frozen lower layers for the training pairs and the calibration set;
3. train the top layers and the head (``reader_model.train``, in ``STAGES``);
4. export the folder (``xenc_export.export_reader``);
5. calibrate (``calibrate_reader``): the pick weight, the weight of the
   missing-specifics input and the threshold on the held-apart calibration documents,
   written to ``models/reader/answer.json``.

Seeded (0) throughout. Needs the ``[train]`` extra (torch, transformers).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from seedqa.training.calibrate_reader import CALIBRATION_SETS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_WORK = ROOT / ".cache" / "train-reader"
FROZEN = 4
#: (epochs, learning rate) per stage; each stage continues from the previous one's weights
#: with a new optimizer and a new warm-up/decay schedule.
STAGES = ((2.0, 1.5e-4), (2.0, 1e-4))
LISTWISE = 0.5
SQUAD_GROUPS = 900
#: Loss weight of a users'-style question against a SQuAD one.
USERS_WEIGHT = 2.0


def _run(*args: str) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


def squad_sample(work: Path, n: int = SQUAD_GROUPS, seed: int = 0) -> Path:
    """A seeded sample of ``n`` SQuAD train-article groups."""
    out = work / f"groups-squad-train-{n}.json"
    if not out.exists():
        groups = json.loads((work / "groups-squad-train.json").read_text(encoding="utf-8"))
        random.Random(seed).shuffle(groups)
        out.write_text(json.dumps(groups[:n]), encoding="utf-8")
    return out


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--out", type=Path, default=ROOT / "models" / "reader")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    sets = ["users-train", "squad-train", *CALIBRATION_SETS]
    if not all((work / f"groups-{s}.json").exists() for s in sets):
        _run("seedqa.training.reader_data", "--out", str(work), "--sets", *sets)
    squad = squad_sample(work)
    train_cache = work / "train.cache"
    common = ["--frozen", str(FROZEN), "--threads", str(args.threads)]
    if not train_cache.with_suffix(".meta.npz").exists():
        _run("seedqa.training.reader_model", "cache", "--train", "--groups",
             str(work / "groups-users-train.json"), str(squad), "--weights",
             str(USERS_WEIGHT), "1", "--out", str(train_cache), *common)  # fmt: skip
    for name in CALIBRATION_SETS:
        cache = work / f"{name}.cache"
        if not cache.with_suffix(".meta.npz").exists():
            _run("seedqa.training.reader_model", "cache", "--groups",
                 str(work / f"groups-{name}.json"), "--out", str(cache), *common)  # fmt: skip
    previous: Path | None = None
    for stage, (epochs, lr) in enumerate(STAGES, start=1):
        checkpoint = work / f"reader-stage{stage}.pt"
        if not checkpoint.exists():
            init = ["--init", str(previous)] if previous else []
            _run("seedqa.training.reader_model", "train", "--cache", str(train_cache), "--out",
                 str(checkpoint), "--epochs", str(epochs), "--lr", str(lr), "--listwise",
                 str(LISTWISE), "--threads", str(args.threads), *init)  # fmt: skip
        previous = checkpoint
    _run("seedqa.training.xenc_export", "--checkpoint", str(checkpoint), "--out", str(args.out))
    for name in CALIBRATION_SETS:
        _run("seedqa.training.reader_model", "score", "--cache", str(work / f"{name}.cache"),
             "--model", str(checkpoint), "--out", str(work / f"{name}.reader.npy"))  # fmt: skip
    _run("seedqa.training.calibrate_reader", "--work", str(work), "--logits", "reader",
         "--out", str(args.out))  # fmt: skip
    print(f"reader rebuilt in {time.perf_counter() - started:.0f} s -> {args.out}")


if __name__ == "__main__":
    main()
