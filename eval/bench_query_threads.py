"""How many threads should one query use? The encoder and FAISS, 1 against 2, interleaved.

For single warm queries (the SciFact test queries), in one process:

* the query encoder on ONNX Runtime with 1 and with 2 intra-op threads (two
  embedders, each query encoded by both in alternating order);
* FAISS exact search over the index's vectors with 1 and 2 OpenMP threads, for
  the pool sizes a query asks for (50 chunks for ``search(k=5)``, about 420
  for 100 documents).

Prints p50/p95 per setting and writes eval/results/query_threads.json.

Usage::

    nice .venv/bin/python eval/bench_query_threads.py --index-dir eval/.cache/scifact
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import faiss
import numpy as np

REPO = Path(__file__).resolve().parents[1]


def percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 3),
        "p95_ms": round(float(np.percentile(values, 95)), 3),
    }


def load_embedder(threads: int):
    from seedqa.index.embed import Embedder

    os.environ["SEEDQA_THREADS"] = str(threads)
    try:
        return Embedder.load()
    finally:
        os.environ.pop("SEEDQA_THREADS", None)


def time_encoders(queries: list[str], threads: tuple[int, ...]) -> dict:
    embedders = {n: load_embedder(n) for n in threads}
    for embedder in embedders.values():
        embedder.embed_query("warm up")
    times: dict[int, list[float]] = {n: [] for n in threads}
    for i, text in enumerate(queries):
        for n in threads if i % 2 == 0 else threads[::-1]:
            started = time.perf_counter()
            embedders[n].embed_query(text)
            times[n].append((time.perf_counter() - started) * 1000)
    return {f"encoder_onnx_threads_{n}": percentiles(t) for n, t in times.items()}


def time_faiss(index, vectors: np.ndarray, pools: tuple[int, ...], threads: tuple[int, ...]):
    result = {}
    for pool in pools:
        times: dict[int, list[float]] = {n: [] for n in threads}
        for i, vector in enumerate(vectors):
            for n in threads if i % 2 == 0 else threads[::-1]:
                faiss.omp_set_num_threads(n)
                started = time.perf_counter()
                index.search(vector[None, :], pool)
                times[n].append((time.perf_counter() - started) * 1000)
        for n, t in times.items():
            result[f"faiss_k{pool}_threads_{n}"] = percentiles(t)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, default=REPO / "eval" / ".cache" / "scifact")
    parser.add_argument("--scifact", type=Path, default=REPO.parent / "shared/datasets/scifact")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "results" / "query_threads")
    args = parser.parse_args()

    from seedqa.qa.retriever import Retriever

    queries = [
        json.loads(line)["text"]
        for line in (args.scifact / "queries.jsonl").read_text().splitlines()
        if line.strip()
    ][:300]
    load_before = [round(x, 2) for x in os.getloadavg()]
    result = {"load_before": load_before, "cores": os.cpu_count()}
    result.update(time_encoders(queries, (1, 2)))
    retriever = Retriever.load(args.index_dir)
    vectors = retriever.embedder.embed_queries(queries)
    result["n_vectors"] = int(retriever.stored.vectors.ntotal)
    result.update(time_faiss(retriever.stored.vectors, vectors, (50, 420), (1, 2)))
    result["load_after"] = [round(x, 2) for x in os.getloadavg()]
    for key, value in result.items():
        print(f"{key:32} {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
