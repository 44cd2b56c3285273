"""The cross-encoder experiment against the similarity scorer and the answer model, same run.

Usage: python eval/xenc_eval.py --data DIR --probs NAME=FILE.npy [...] [--out REPORT.json]

``DIR`` holds ``eval_pairs.json`` and ``eval_questions.json`` (``training/xenc_pairs.py``)
and the indexes it built. The shipped answerers ask every question through
``Assistant`` over the same indexes (``evaluate_qa_set``, as ``compare_answerers.py``
does); a cross-encoder's confidence is its best candidate probability, and its
answer that candidate (right when it contains a gold answer, ``answer_matches``).

Per set and answerer: AUC of the confidence (answerable vs near-miss), top-1 right
(answerable questions whose best sentence holds the answer) and the answerable
questions answered correctly at the best threshold that abstains on at least
0.6 / 0.7 / 0.8 / 0.9 of the near-misses (and at 0, answering everything).
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from pathlib import Path

import numpy as np

from seedqa.evaluation.normalize import answer_matches

ABSTAIN = (0.0, 0.6, 0.7, 0.8, 0.9)
#: (set, shipped answerer) -> per-question outcomes of the last ``shipped`` run
PER_QUESTION: dict[tuple[str, str], list[dict]] = {}


def auc(positive: list[float], negative: list[float]) -> float | None:
    """Probability that a random answerable question outscores a random near-miss."""
    if not positive or not negative:
        return None
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def curve(conf: np.ndarray, able: np.ndarray, right: np.ndarray) -> dict[str, float]:
    """Answered correctly at the best threshold meeting each abstention level."""
    out = {}
    thresholds = np.concatenate([np.unique(conf), [np.inf]])
    for level in ABSTAIN:
        best = 0.0
        for t in thresholds:
            abstained = float((conf[~able] < t).mean()) if (~able).any() else 1.0
            if abstained >= level:
                best = max(best, float(((conf >= t) & able & right).sum() / able.sum()))
        out[f"{level:.1f}"] = round(best, 3)
    return out


def summarise(conf, able, right) -> dict[str, object]:
    """AUC, top-1 right and the abstention curve of one answerer on one set."""
    conf, able, right = np.asarray(conf, float), np.asarray(able, bool), np.asarray(right, bool)
    return {
        "auc": None if (a := auc(list(conf[able]), list(conf[~able]))) is None else round(a, 3),
        "top1_right": round(float(right[able].mean()), 3),
        "answered_correct_at_abstention": curve(conf, able, right),
    }


def shipped(data: Path, questions: list[dict]) -> dict[str, dict[str, dict]]:
    """The similarity scorer and the answer model, asked through Assistant."""
    from seedqa.evaluation.datasets.qa_set import load_qa_set
    from seedqa.evaluation.evidence import evidence_spans
    from seedqa.evaluation.qa_run import evaluate_qa_set
    from seedqa.index.embed import Embedder
    from seedqa.qa.answer import Assistant
    from seedqa.qa.retriever import Retriever
    from seedqa.training.xenc_pairs import EVAL_SETS

    embedder = Embedder.load()
    results: dict[str, dict[str, dict]] = defaultdict(dict)
    for name, (path, _docs) in EVAL_SETS.items():
        retriever = Retriever.load(data / f"index-{name}", embedder=embedder)
        items = load_qa_set(path)
        spans = evidence_spans(items, retriever.stored, path)
        for answerer in ("similarity", "model"):
            run = evaluate_qa_set(items, Assistant(retriever, answerer=answerer), spans)
            per = run.to_json()["per_question"]
            PER_QUESTION[(name, answerer)] = per
            results[name][answerer] = summarise(
                [q["confidence"] or 0.0 for q in per],
                [q["answerable"] for q in per],
                [bool(q["top_correct"]) for q in per],
            )
    return results


def cross_encoder(data: Path, probs: np.ndarray, questions: list[dict]) -> dict[str, dict]:
    """Best-candidate confidence and correctness of one probability file."""
    pairs = json.loads((data / "eval_pairs.json").read_text(encoding="utf-8"))
    best: dict[str, tuple[float, str]] = {}
    for pair, p in zip(pairs, probs, strict=True):
        if pair["group"] not in best or p > best[pair["group"]][0]:
            best[pair["group"]] = (float(p), pair["sentence"])
    by_set: dict[str, list] = defaultdict(lambda: [[], [], []])
    for q in questions:
        conf, sentence = best.get(f"{q['set']}:{q['id']}", (0.0, ""))
        row = by_set[q["set"]]
        row[0].append(conf)
        row[1].append(q["answerable"])
        row[2].append(q["answerable"] and answer_matches(sentence, q["answers"]))
    return {name: summarise(*row) for name, row in by_set.items()}


def squad_dev(data: Path, probs: dict[str, np.ndarray]) -> dict[str, dict]:
    """SQuAD dev-article sample (``squad_pairs.json``): cross-encoders against the
    similarity scorer's ranking signals of the same cached candidates (the best
    sentence by 0.4 cosine + 0.6 lexical share, its score, and the best cosine)."""
    pairs = json.loads((data / "squad_pairs.json").read_text(encoding="utf-8"))
    questions = json.loads((data / "squad_questions.json").read_text(encoding="utf-8"))
    able = [q["answerable"] for q in questions]
    sim_right = [q["answerable"] and q["top_label"] == 1 for q in questions]
    out = {
        "similarity rank score": summarise([q["rank_score"] for q in questions], able, sim_right),
        "sentence cosine": summarise([q["cosine"] for q in questions], able, sim_right),
    }
    for label, p in probs.items():
        best: dict[str, tuple[float, int]] = {}
        for pair, v in zip(pairs, p, strict=True):
            if pair["group"] not in best or v > best[pair["group"]][0]:
                best[pair["group"]] = (float(v), pair["label"])
        rows = [best[f"squad-dev:{q['id']}"] for q in questions]
        out[label] = summarise(
            [r[0] for r in rows], able, [a and r[1] == 1 for a, r in zip(able, rows, strict=True)]
        )
    return out


def combined(data: Path, probs: np.ndarray, questions: list[dict]) -> dict[str, dict]:
    """The similarity scorer picks the sentence, the cross-encoder decides whether to answer.

    Confidence: the cross-encoder's best candidate probability; right: the similarity
    scorer's answer (or would-be answer) holds a gold answer (its ``top_correct``).
    """
    pairs = json.loads((data / "eval_pairs.json").read_text(encoding="utf-8"))
    best: dict[str, float] = {}
    for pair, p in zip(pairs, probs, strict=True):
        best[pair["group"]] = max(best.get(pair["group"], 0.0), float(p))
    out = {}
    for name in {q["set"] for q in questions}:
        per = PER_QUESTION[(name, "similarity")]
        out[name] = summarise(
            [best.get(f"{name}:{q['id']}", 0.0) for q in per],
            [q["answerable"] for q in per],
            [bool(q["top_correct"]) for q in per],
        )
    return out


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--probs", nargs="*", default=[])
    parser.add_argument("--no-shipped", action="store_true")
    parser.add_argument("--squad-probs", nargs="*", default=[])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    questions = json.loads((args.data / "eval_questions.json").read_text(encoding="utf-8"))
    results: dict[str, dict[str, dict]] = defaultdict(dict)
    load_before = os.getloadavg()
    if not args.no_shipped:
        for name, by in shipped(args.data, questions).items():
            results[name].update(by)
    for spec in args.probs:
        label, file = spec.split("=", 1)
        for name, summary in cross_encoder(args.data, np.load(file), questions).items():
            results[name][label] = summary
        if PER_QUESTION:
            for name, summary in combined(args.data, np.load(file), questions).items():
                results[name][f"similarity picks + {label} decides"] = summary
    if args.squad_probs:
        specs = dict(spec.split("=", 1) for spec in args.squad_probs)
        results["squad-dev"] = squad_dev(args.data, {k: np.load(v) for k, v in specs.items()})
    lines = [
        "| set | answerer | AUC | top-1 right | " + " | ".join(f"@{a}" for a in ABSTAIN) + " |"
    ]
    lines.append("|" + " --- |" * (4 + len(ABSTAIN)))
    for name, by in results.items():
        for label, s in by.items():
            cells = [str(v) for v in s["answered_correct_at_abstention"].values()]
            lines.append(
                f"| {name} | {label} | {s['auc']} | {s['top1_right']} | " + " | ".join(cells) + " |"
            )
    lines.append(f"\nload average before {load_before}, after {os.getloadavg()}")
    print("\n".join(lines))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
        args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
