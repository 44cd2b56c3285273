"""How well single signals separate answerable questions from near-misses, per set.

Reads the candidate sets that ``make train-answerer`` caches (``<work>/<set>.npz``
and ``.json``, token vectors in ``<work>/tokens.npz``) and prints, per set, the
ROC AUC of answerable versus unanswerable questions for a few signals taken at
the best candidate (by sentence cosine): above 0.5 means answerable questions
score higher. Also prints how often the answer sentence is first / in the top 3
by cosine. It needs scikit-learn (the ``eval`` extra).

Usage: .venv/bin/python eval/diagnose_answerability.py [--work .cache/train-answerer]
       [--sets hand,user-dev,seed-paraphrase,seed]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
HAND_SIGNALS = ("cosine", "coverage")
#: A question wordpiece with at least this IDF counts as a content token.
CONTENT_IDF = 2.0


def _load(work: Path, name: str) -> tuple[list[str], dict[str, np.ndarray]]:
    texts = json.loads((work / f"{name}.json").read_text(encoding="utf-8"))["texts"]
    with np.load(work / f"{name}.npz", allow_pickle=False) as data:
        return texts, {k: data[k] for k in data.files}


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)


def _token_signals(store, question: str, passages: list[str], idf: Counter, n: int) -> list[float]:
    """Weakest content token's best match, and the IDF-weighted share found verbatim."""
    q = store.get(question)
    ids, vectors = q.ids[1:-1], _unit(q.vectors[1:-1])
    if not passages or not len(ids):
        return [0.0, 0.0]
    rows = [store.get(t) for t in passages]
    found = set(np.concatenate([r.ids for r in rows]).tolist())
    best = (vectors @ _unit(np.concatenate([r.vectors[1:-1] for r in rows])).T).max(1)
    weight = np.array([np.log((n + 1) / (idf.get(int(i), 0) + 1)) for i in ids])
    content = weight > CONTENT_IDF if (weight > CONTENT_IDF).any() else weight >= weight.max()
    exact = np.array([int(i) in found for i in ids])[content]
    share = (exact * weight[content]).sum() / weight[content].sum()
    return [float(best[content].min()), float(share)]


def diagnose(work: Path, name: str, store, idf: Counter, n: int, hand_names: list[str]) -> str:
    """One line: top-1/top-3 by cosine and the AUC of each signal on set ``name``."""
    from sklearn.metrics import roc_auc_score

    texts, z = _load(work, name)
    cosine = hand_names.index("cosine")
    rows, top1, top3 = [], [], []
    for q in range(len(z["start"])):
        span = slice(z["start"][q], z["start"][q] + z["count"][q])
        hand, labels = z["hand"][span], z["label"][span]
        order = np.argsort(-hand[:, cosine]) if len(hand) else np.zeros(0, dtype=int)
        if z["answerable"][q] and len(order):
            top1.append(labels[order[0]] > 0)
            top3.append(labels[order[:3]].max() > 0)
        best = hand[order[0]] if len(order) else np.zeros(len(hand_names))
        keys = {*z["sentence"][span].tolist(), *z["previous"][span].tolist()}
        passages = [texts[i] for i in sorted(keys) if i >= 0 and texts[i] in store]
        signals = _token_signals(store, texts[z["question"][q]], passages, idf, n)
        rows.append([best[hand_names.index(h)] for h in HAND_SIGNALS] + signals)
    answerable = z["answerable"].astype(bool)
    names = [*HAND_SIGNALS, "weakest_token_match", "idf_share_found"]
    aucs = (
        " ".join(
            f"{label} {roc_auc_score(answerable, np.array(rows)[:, i]):.2f}"
            for i, label in enumerate(names)
        )
        if 0 < answerable.sum() < len(answerable)
        else "(one class only)"
    )
    return (
        f"{name:16} n={len(answerable):5} answerable={answerable.sum():5} "
        f"top-1 {np.mean(top1):.2f} top-3 {np.mean(top3):.2f} | AUC {aucs}"
    )


def main() -> None:
    """Print one line per set."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, default=ROOT / ".cache" / "train-answerer")
    parser.add_argument("--sets", default="hand,user-dev,seed-paraphrase,seed")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "answerer")
    args = parser.parse_args()
    from seedqa.training.token_store import TokenStore

    hand_names = json.loads((args.model / "config.json").read_text())["hand_features"]
    store = TokenStore(args.work / "tokens.npz")
    idf: Counter = Counter()
    documents = 0
    for name in ("hand", "squad-dev"):  # document frequencies of wordpieces
        texts, z = _load(args.work, name)
        for i in set(z["sentence"].tolist()):
            if texts[i] in store:
                idf.update(set(store.get(texts[i]).ids.tolist()))
                documents += 1
    for name in args.sets.split(","):
        print(diagnose(args.work, name, store, idf, documents, hand_names))
    sys.exit(0)


if __name__ == "__main__":
    main()
