"""The answerers side by side (reader, answer model, similarity scorer), on every set, in one run.

Sets: the seed set (50), the seed paraphrase set (40), the users'-style
development corpus (89 questions over 5 documents), the held-out users'-style
documents (``users-heldout``: a quarter of every batch of
``training/data/users``, never trained or tuned on) and the SQuAD v1.1 test
articles of ``training/squad_split.json`` (open-domain over all their
paragraphs). Each set is indexed once; both answerers answer every question
over the same index, one after the other. Writes, under
``eval/results/answerer/``, each run's ``seedqa eval`` JSON and report, one
accuracy-versus-abstention plot per set with both answerers' curves, and
``summary.{md,json}``.

Usage: .venv/bin/python eval/compare_answerers.py
       [--sets seed,seed-paraphrase,dev,users-heldout,squad-test]
       [--squad-limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "eval" / "results" / "answerer"
CACHE = ROOT / "eval" / ".cache" / "answerer"
ANSWERERS = ("reader", "model", "similarity")
QA_SETS = {
    "seed": (ROOT / "eval" / "seed_questions.jsonl", ROOT / "seeds"),
    "seed-paraphrase": (ROOT / "eval" / "seed_paraphrase.jsonl", ROOT / "seeds"),
    "dev": (ROOT / "eval" / "dev_questions.jsonl", ROOT / "eval" / "dev_corpus"),
}


def _squad_file() -> Path:
    for base in ROOT.parents:
        candidate = base / "shared" / "datasets" / "squad" / "dev-v1.1.json"
        if candidate.exists():
            return candidate
    raise SystemExit("SQuAD v1.1 dev not found in ../shared/datasets/squad")


def users_heldout() -> tuple[Path, Path]:
    """The held-out users'-style documents (never trained on or tuned on) as one corpus."""
    from seedqa.training.reader_data import HANDWRITTEN, USERS, gather, split_documents

    batches = [HANDWRITTEN, *sorted(p for p in USERS.iterdir() if p.is_dir())]
    folder = CACHE / "users-heldout-corpus"
    questions = gather(split_documents(batches)["heldout"], folder)
    return questions, folder / "docs"


def _write(result, name: str, answerer: str) -> dict:
    data = result.to_json()
    (OUT / f"{name}-{answerer}.json").write_text(
        json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    result.write_report(OUT / f"{name}-{answerer}.md")
    return data


def run_qa(name: str, embedder) -> dict[str, object]:
    from seedqa.evaluation.datasets.qa_set import load_qa_set
    from seedqa.evaluation.evidence import evidence_spans
    from seedqa.evaluation.qa_run import evaluate_qa_set
    from seedqa.index.build import build_index
    from seedqa.qa.answer import Assistant
    from seedqa.qa.retriever import Retriever

    questions, corpus = users_heldout() if name == "users-heldout" else QA_SETS[name]
    index_dir = CACHE / name
    build_index([corpus], index_dir, embedder=embedder)
    retriever = Retriever.load(index_dir, embedder=embedder)
    items = load_qa_set(questions)
    spans = evidence_spans(items, retriever.stored, questions)
    results = {}
    for answerer in ANSWERERS:
        assistant = Assistant(retriever, answerer=answerer)
        results[answerer] = evaluate_qa_set(
            items, assistant, spans, progress=True, name=questions.name
        )
    return results


def run_squad_test(embedder, limit: int | None) -> dict[str, object]:
    from seedqa.evaluation.squad_run import run_squad

    split = json.loads((ROOT / "training" / "squad_split.json").read_text(encoding="utf-8"))
    articles = [a["index"] for a in split["test"]]
    return {
        answerer: run_squad(
            _squad_file(),
            limit=limit,
            index_dir=CACHE / "squad-test",
            progress=True,
            embedder=embedder,
            answerer=answerer,
            articles=articles,
        )
        for answerer in ANSWERERS
    }


def _row(name: str, answerer: str, data: dict) -> list[str]:
    answer = data["answer"]
    abstention = data.get("abstention", {})

    def f(value: object) -> str:
        return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)

    return [
        name,
        answerer,
        str(data["n"]),
        f(answer["accuracy"]),
        f(abstention.get("recall")),
        f(abstention.get("precision")),
        f(answer.get("abstained")),
        f(answer["citation_accuracy"]),
        f(answer["first_citation_source"]),
        f(data["latency_ms"]["p50"]),
        f(data["latency_ms"]["p95"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="seed,seed-paraphrase,dev,users-heldout,squad-test")
    parser.add_argument("--squad-limit", type=int, default=None)
    args = parser.parse_args()
    from seedqa.evaluation.tradeoff import write_tradeoff_plot
    from seedqa.index.embed import Embedder

    OUT.mkdir(parents=True, exist_ok=True)
    embedder = Embedder.load()
    started = time.perf_counter()
    load_before = [round(x, 2) for x in os.getloadavg()]
    rows, summary = [], {}
    for name in args.sets.split(","):
        if name == "squad-test":
            results = run_squad_test(embedder, args.squad_limit)
        else:
            results = run_qa(name, embedder)
        summary[name] = {a: _write(r, name, a) for a, r in results.items()}
        write_tradeoff_plot(
            {a: (r.tradeoff, r.operating_point) for a, r in results.items()},
            OUT / f"{name}-tradeoff.png",
            f"{name}: reader, model and similarity scorer",
        )
        rows.extend(_row(name, a, summary[name][a]) for a in results)
    headers = ["set", "answerer", "n", "answer acc", "abstain R", "abstain P", "abstained (SQuAD)",
               "citation acc", "1st cite source", "p50 ms", "p95 ms"]  # fmt: skip
    load_after = [round(x, 2) for x in os.getloadavg()]
    lines = [
        "| " + " | ".join(headers) + " |",
        "| " + " | ".join("---" for _ in headers) + " |",
        *("| " + " | ".join(r) + " |" for r in rows),
        "",
        f"Load average before {load_before}, after {load_after}; "
        f"{time.perf_counter() - started:.0f} s on {os.cpu_count()} CPUs.",
    ]
    (OUT / "summary.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    slim = {
        name: {a: {k: v for k, v in d.items() if k != "per_question"} for a, d in by.items()}
        for name, by in summary.items()
    }
    (OUT / "summary.json").write_text(json.dumps(slim, indent=1) + "\n", encoding="utf-8")
    print("\n".join(lines))
    sys.exit(0)


if __name__ == "__main__":
    main()
