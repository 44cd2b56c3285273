"""Retrain the answer-sentence model end to end: ``make train-answerer``.

Usage: python -m seedqa.training.train_answerer [--work DIR] [--out models/answerer] [--threads N]

1. build the datasets (``build_dataset``; cached in the work directory);
2. train the head on the SQuAD train articles and the hand-written questions;
3. calibrate the abstention threshold on the development data (SQuAD dev
   articles, with perturbed and evidence-removed questions, and the
   users'-style development sets in ``eval/``);
4. write ``model.npz``, ``config.json`` (threshold included) and the metrics to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from seedqa.index.embed import resolve_model
from seedqa.qa.answer_features import HAND_FEATURES
from seedqa.qa.answer_model import FORMAT_VERSION, MODEL_DIR
from seedqa.training import build_dataset
from seedqa.training.calibrate import Outcomes, choose_threshold, outcomes
from seedqa.training.model_card import write_card
from seedqa.training.token_store import TokenStore
from seedqa.training.train import Dataset, Settings, load, predict, train

TRAIN_SETS = ("squad-train", "hand")
DEV_SETS = ("squad-dev", "user-dev", "seed-paraphrase", "seed")


def numeric_vocab() -> np.ndarray:
    """Flag, for every wordpiece id of the embedder's vocabulary, whether it holds a digit."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(None)[1])
    vocab = tokenizer.get_vocab()
    flags = np.zeros(max(vocab.values()) + 1, dtype=bool)
    for token, index in vocab.items():
        flags[index] = any(ch.isdigit() for ch in token)
    return flags


def dev_outcomes(model, dataset: Dataset, numeric: np.ndarray) -> Outcomes:
    """Per-question outcomes of ``dataset`` under ``model``."""
    probabilities = predict(model, dataset, numeric)
    labels = [dataset.arrays["label"][dataset.rows(i)] for i in range(dataset.n)]
    kinds = [m["kind"] for m in dataset.meta]
    return outcomes(dataset.name, probabilities, labels, dataset.arrays["answerable"], kinds)


def report(sets: dict[str, Outcomes], threshold: float) -> dict[str, dict]:
    """Figures at ``threshold`` and whole curves for every development set."""
    figures = {}
    for name, result in sets.items():
        figures[name] = {
            "questions": int(len(result.best)),
            "answerable": int(result.answerable.sum()),
            **result.at(threshold),
            "curve": result.curve(),
        }
    return figures


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=build_dataset.DEFAULT_WORK)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=Settings.epochs)
    parser.add_argument(
        "--inputs",
        choices=("both", "reading", "hand"),
        default="both",
        help="what the final layer reads (the shipped model reads both)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if not all((args.work / f"{n}.npz").exists() for n in TRAIN_SETS + DEV_SETS):
        build_dataset.build(build_dataset.DEFAULT_SQUAD, args.work)
    built = time.perf_counter()
    settings = Settings(epochs=args.epochs, inputs=args.inputs)
    store = TokenStore(args.work / "tokens.npz")
    numeric = numeric_vocab()
    training = [load(args.work, n, store, settings) for n in TRAIN_SETS]
    model = train(training, numeric, settings)
    trained = time.perf_counter()
    load_average = round(os.getloadavg()[0], 1)
    dev_data = [load(args.work, n, store, settings) for n in DEV_SETS]
    dev = {d.name: dev_outcomes(model, d, numeric) for d in dev_data}
    counts = {
        d.name: {
            "questions": d.n,
            "answerable": int(d.arrays["answerable"].sum()),
            "candidates": int(len(d.arrays["label"])),
        }
        for d in training + dev_data
    }
    threshold = choose_threshold(list(dev.values()))
    figures = report(dev, threshold)
    for name, fig in figures.items():
        print(
            f"{name:16s} answered correctly {fig['answered_correct']}  abstained {fig['abstained']}"
            f"  top-1 right {fig['top1_right']}"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    params = model.export()
    np.savez_compressed(args.out / "model.npz", numeric_vocab=numeric, **params)
    config = {
        "format": FORMAT_VERSION,
        "embedder": "all-MiniLM-L6-v2",
        "threshold": threshold,
        "margin": 0.1,
        "max_sentence_tokens": settings.max_tokens,
        "hand_features": list(HAND_FEATURES),
        "settings": asdict(settings),
        "load_average": load_average,
        "seconds": {
            "build_dataset": round(built - started, 1),
            "train": round(trained - built, 1),
        },
    }
    (args.out / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    (args.out / "metrics.json").write_text(
        json.dumps({"threshold": threshold, "sets": figures}, indent=1) + "\n", encoding="utf-8"
    )
    write_card(args.out, counts)
    print(f"threshold {threshold}; wrote {args.out} in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
