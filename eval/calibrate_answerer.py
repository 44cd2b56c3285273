"""Calibrate the extractive answerer: sentence ranking weight and abstention threshold.

Data: SQuAD v1.1 dev questions from the odd-numbered articles (the SQuAD
evaluation and the seed question set are not used). Each question is asked
twice against the index of all 2,067 paragraphs:
- answerable: the normal top-5 hits (its own paragraph usually among them);
- unanswerable: the top hits with the question's own paragraph and every
  passage containing a gold answer removed, which leaves passages that share
  the question's words without answering it: the hard case for abstention.

It picks DENSE_WEIGHT (how sentences are ranked) by top-1 sentence accuracy,
fits the logistic confidence on the best sentence's features, and chooses the
threshold that maximises selective accuracy (right answers plus right
abstentions). Answers are matched with the evaluation package's normaliser
(``seedqa.evaluation.normalize``), the same one ``seedqa eval`` uses. Prints
the constants to put in qa/extract.py and writes eval/results/calibration.json.

Usage: .venv/bin/python eval/calibrate_answerer.py [--limit 800]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from tune_fusion import CACHE, SHARED  # noqa: E402

from seedqa.evaluation.corpus import CorpusIndex, corpus_index  # noqa: E402
from seedqa.evaluation.datasets import Question, load_squad  # noqa: E402
from seedqa.evaluation.normalize import answer_matches  # noqa: E402
from seedqa.qa import extract  # noqa: E402
from seedqa.qa.answer import Assistant  # noqa: E402
from seedqa.qa.evidence import Evidence  # noqa: E402


def sample_questions(limit: int) -> list[Question]:
    """A seeded sample of SQuAD dev questions from the odd-numbered articles."""
    data = load_squad(SHARED / "squad" / "dev-v1.1.json")
    pool = [q for q in data.questions if int(q.source.split("-")[0]) % 2 == 1]
    rng = np.random.default_rng(7)
    return [pool[i] for i in rng.choice(len(pool), size=min(limit, len(pool)), replace=False)]


def collect(limit: int) -> list[dict]:
    """Ask every sampled question twice; keep each candidate sentence's features."""
    data = load_squad(SHARED / "squad" / "dev-v1.1.json")
    with corpus_index(data.paragraphs, "squad", CACHE / "squad", progress=True) as index:
        return [
            instance
            for question in tqdm(sample_questions(limit), desc="questions")
            for instance in question_instances(index, Assistant(index.retriever), question)
        ]


def question_instances(index: CorpusIndex, assistant: Assistant, item: Question) -> list[dict]:
    """The answerable and the unanswerable instance of one question."""
    retriever = assistant.retriever
    question, answers = item.question, item.answers
    hits = retriever.search(question, k=5)
    negatives = [
        h
        for h in retriever.search(question, k=20)
        if index.to_original(h.doc_id) != item.source and not answer_matches(h.text, answers)
    ][:5]
    instances = []
    for answerable, hit_set in ((True, hits), (False, negatives)):
        evidence = Evidence(
            question, question, tuple(hit_set), retriever.stored.lexical, assistant.sentence_vectors
        )
        coverage = extract.evidence_coverage(evidence)
        instances.append(
            {
                "answerable": answerable,
                "missing": bool(extract.unsupported_specifics(question, evidence.text)),
                "candidates": [
                    {
                        "features": extract.confidence_features(c, coverage),
                        "fits_kind": c.fits_kind,
                        "correct": answerable and answer_matches(c.text, answers),
                    }
                    for c in extract.score_sentences(evidence)
                ],
            }
        )
    return instances


def best_of(candidates: list[dict], weight: float) -> dict | None:
    fitting = [c for c in candidates if c["fits_kind"]]
    if not fitting:
        return None
    return max(fitting, key=lambda c: weight * c["features"][0] + (1 - weight) * c["features"][1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--reuse", action="store_true", help="reuse the collected features")
    args = parser.parse_args()
    stash = CACHE / f"calibration-{args.limit}.json"
    if args.reuse and stash.exists():
        instances = json.loads(stash.read_text())
    else:
        instances = collect(args.limit)
        stash.write_text(json.dumps(instances))

    ranking = []
    for weight in np.round(np.arange(0.0, 1.01, 0.1), 2):
        correct = [
            best["correct"]
            for item in instances
            if item["answerable"] and any(c["correct"] for c in item["candidates"])
            for best in [best_of(item["candidates"], weight)]
            if best is not None
        ]
        ranking.append((float(np.mean(correct)), float(weight)))
        print(f"dense weight {weight:.1f}: top-1 sentence accuracy {np.mean(correct):.3f}")
    dense_weight = max(ranking)[1]

    rows, labels, missing, answerable = [], [], [], []
    for item in instances:
        best = best_of(item["candidates"], dense_weight)
        if best is None:
            continue
        rows.append(best["features"])
        labels.append(best["correct"])
        missing.append(item["missing"])
        answerable.append(item["answerable"])
    x, y = np.array(rows), np.array(labels, dtype=bool)
    missing_flags, answerable_flags = np.array(missing), np.array(answerable)
    model = LogisticRegression(C=10.0).fit(x, y)
    probability = model.predict_proba(x)[:, 1]
    best_threshold, best_accuracy = 0.5, 0.0
    for threshold in np.arange(0.2, 0.91, 0.02):
        answer = (probability >= threshold) & ~missing_flags
        accuracy = float(np.mean(np.where(answer, y, ~y)))
        if accuracy > best_accuracy:
            best_threshold, best_accuracy = float(threshold), accuracy
    answer = (probability >= best_threshold) & ~missing_flags
    result = {
        "instances": len(y),
        "features": ["sentence cosine", "lexical share", "chunk cosine", "evidence coverage"],
        "dense_weight": dense_weight,
        "bias": round(float(model.intercept_[0]), 3),
        "weights": [round(float(w), 3) for w in model.coef_[0]],
        "threshold": round(best_threshold, 2),
        "selective_accuracy": round(best_accuracy, 4),
        "abstention_recall_unanswerable": round(float(np.mean(~answer[~answerable_flags])), 4),
        "answered_correctly_answerable": round(
            float(np.mean(answer[answerable_flags] & y[answerable_flags])), 4
        ),
        "ranking_grid": ranking,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "eval" / "results" / "calibration.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
