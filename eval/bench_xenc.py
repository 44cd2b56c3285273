"""Warm latency of the answer cross-encoder: ``CrossEncoder.score`` for 1, 5, 10 and 20 candidates.

Usage:
  python eval/bench_xenc.py [--model-dir models/reader] [--repeats 60] [--threads 2]

Each call scores one users'-style development question against N real
development-corpus sentences (each with the sentence before it), as one padded
batch on ONNX Runtime. Sizes are interleaved so that load changes hit all of
them alike. Baseline in the same run: the default embedder (the same 6-layer
MiniLM graph, ONNX Runtime, same threads) embedding the same N sentences alone.
Prints p50/p95 in ms, the CPU time per call (all threads; on a quiet machine the
wall time is about that divided by the threads) and the load average; writes
eval/results/bench_xenc.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import numpy as np

from seedqa.index.embed import resolve_model
from seedqa.index.model_files import read_model_spec
from seedqa.index.onnx_encoder import OnnxEncoder
from seedqa.qa.cross_encoder import CrossEncoder
from seedqa.qa.cross_encoder_files import READER_DIR
from seedqa.training.xenc_parity import dev_pairs

REPO = Path(__file__).resolve().parents[1]
SIZES = (1, 5, 10, 20)


def ms(samples: list[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000.0, q)), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=READER_DIR)
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "results" / "bench_xenc")
    args = parser.parse_args()
    started = time.perf_counter()
    encoder = CrossEncoder.load(args.model_dir, threads=args.threads)
    load_seconds = time.perf_counter() - started
    embedder = OnnxEncoder.load(read_model_spec(Path(resolve_model(None)[1])), args.threads)
    groups = dev_pairs(REPO)
    questions = [g[0].question for g in groups]
    pool = list(dict.fromkeys((p.sentence, p.previous) for g in groups for p in g))
    rng = random.Random(0)
    times: dict[str, dict[int, list[float]]] = {
        "score": {},
        "score_cpu": {},
        "tokenize": {},
        "embed": {},
    }
    for kind in times:
        times[kind] = {n: [] for n in SIZES}
    load_before = os.getloadavg()
    for repeat in range(args.repeats + 5):
        for n in rng.sample(SIZES, len(SIZES)):
            question, candidates = rng.choice(questions), rng.sample(pool, n)
            steps = {
                "score": (encoder.score, (question, candidates)),
                "tokenize": (encoder.tokenizer.batch, (question, candidates)),
                "embed": (embedder.encode, ([s for s, _ in candidates],)),
            }
            for kind, (step, step_args) in steps.items():
                begin, cpu = time.perf_counter(), time.process_time()
                step(*step_args)
                if repeat >= 5:  # the first five rounds warm up
                    times[kind][n].append(time.perf_counter() - begin)
                    if kind == "score":  # CPU seconds of all threads: robust to load
                        times["score_cpu"][n].append(time.process_time() - cpu)
    result = {
        "threads": args.threads,
        "repeats": args.repeats,
        "first_load_seconds": round(load_seconds, 2),
        "frozen_layers": encoder.config.frozen_layers,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "rows": [
            {"candidates": n}
            | {f"{kind}_p{q}_ms": ms(t[n], q) for kind, t in times.items() for q in (50, 95)}
            for n in SIZES
        ],
    }
    lines = [
        "| candidates | score p50 ms | score p95 ms | CPU ms per score p50 (all threads) | "
        "of which tokenise p50 | baseline: embed the sentences p50 | p95 |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ] + [
        f"| {r['candidates']} | {r['score_p50_ms']} | {r['score_p95_ms']} | "
        f"{r['score_cpu_p50_ms']} | {r['tokenize_p50_ms']} | {r['embed_p50_ms']} | "
        f"{r['embed_p95_ms']} |"
        for r in result["rows"]
    ]
    lines.append(
        f"\n{args.threads} threads, {args.repeats} warm calls per size; load average "
        f"{result['load_average_before']} before, {result['load_average_after']} after."
    )
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    args.out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
