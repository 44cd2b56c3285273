"""Warm ``ask`` latency on the seed index: the reader, the answer model and the similarity scorer.

All answerers run in the same process over the same index and questions
(the seed sets: 90 questions), after one warm-up pass, interleaved question by
question so that machine load hits both alike. The query-embedding cache is
cleared before every timed ask, so each one embeds its question as a new
question would. Prints and writes p50/p95 per answerer with the load average
before and after.

Usage: .venv/bin/python eval/bench_ask.py [--rounds 3] [--out eval/results/bench_ask]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUESTION_FILES = (ROOT / "eval" / "seed_questions.jsonl", ROOT / "eval" / "seed_paraphrase.jsonl")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "bench_ask")
    args = parser.parse_args()
    from seedqa.index.build import build_index
    from seedqa.index.embed import Embedder
    from seedqa.qa.answer import Assistant
    from seedqa.qa.retriever import Retriever

    questions = [
        json.loads(line)["question"]
        for path in QUESTION_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    embedder = Embedder.load()
    with tempfile.TemporaryDirectory() as scratch:
        build_index([ROOT / "seeds"], Path(scratch) / "index", embedder=embedder)
        retriever = Retriever.load(Path(scratch) / "index", embedder=embedder)
        assistants = {
            name: Assistant(retriever, answerer=name) for name in ("reader", "model", "similarity")
        }
        for assistant in assistants.values():  # warm-up: model loads and caches
            for question in questions:
                assistant.ask(question)
        before = load_average()
        timings: dict[str, list[float]] = {name: [] for name in assistants}
        started = time.perf_counter()
        for _ in range(args.rounds):
            for question in questions:
                for name, assistant in assistants.items():
                    embedder.clear_query_cache()  # time the encoder, as for a new question
                    t = time.perf_counter()
                    assistant.ask(question)
                    timings[name].append((time.perf_counter() - t) * 1000)
        after = load_average()
    result = {
        "questions": len(questions),
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "load_average_before": before,
        "load_average_after": after,
        "seconds": round(time.perf_counter() - started, 1),
        "answerers": {
            name: {
                "p50_ms": round(float(np.percentile(values, 50)), 1),
                "p95_ms": round(float(np.percentile(values, 95)), 1),
                "mean_ms": round(statistics.fmean(values), 1),
            }
            for name, values in timings.items()
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        "| answerer | p50 ms | p95 ms | mean ms |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {name} | {v['p50_ms']} | {v['p95_ms']} | {v['mean_ms']} |"
            for name, v in result["answerers"].items()
        ),
        "",
        f"{len(questions)} questions x {args.rounds} rounds, warm, seed index, "
        f"{result['cpus']} CPUs; load average before {before}, after {after}.",
    ]
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    sys.exit(0)


if __name__ == "__main__":
    main()
