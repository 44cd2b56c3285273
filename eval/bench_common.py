"""Shared pieces of the index benchmark (eval/bench_index.py): paths, clocks, data."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np

from seedqa.evaluation.datasets import BeirData, load_beir

REPO = Path(__file__).resolve().parents[1]

DEFAULT_SCIFACT = REPO.parent / "shared/datasets/scifact"
DEFAULT_SQUAD = REPO.parent / "shared/datasets/squad/dev-v1.1.json"
RESULTS = REPO / "eval/results"
#: efSearch is the smallest tried value reaching this recall@10 at the largest real size:
#: HNSW only serves indexes above EXACT_MAX_VECTORS, where recall drops as n grows.
TARGET_RECALL = 0.99
CPU_THREADS = os.cpu_count() or 1
HNSW_EFS = (32, 64, 96, 128)
TOP_CHUNKS = 100
_START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _START:7.1f}s] {message}", flush=True)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 2) if seconds > 0 else float("nan")


class Clock:
    """Wall and process CPU seconds (all threads) of a block: CPU time is robust to load."""

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def percentile_ms(samples: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(samples) * 1000.0, q)), 3)



# --------------------------------------------------------------------- data


def read_scifact(directory: Path) -> BeirData:
    """SciFact through the evaluation package's BEIR loader (test queries and qrels)."""
    return load_beir(directory)


def select_docs(documents: dict[str, str], limit: int | None) -> list[tuple[str, str]]:
    """All ``(id, text)`` documents, or a seeded random sample of ``limit`` (corpus order)."""
    corpus = list(documents.items())
    if limit is None or limit >= len(corpus):
        return corpus
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(corpus), size=limit, replace=False))
    return [corpus[i] for i in keep]


def write_docs(docs: list[tuple[str, str]], directory: Path) -> None:
    """Write each document (title and text, as the BEIR loader joins them) as ``<id>.txt``."""
    directory.mkdir(parents=True, exist_ok=True)
    for doc_id, text in docs:
        (directory / f"{doc_id}.txt").write_text(text, encoding="utf-8")


def corpus_id(doc_id: str) -> str:
    """``scifact/4983.txt`` (the loader's id: root name / relative path) -> ``4983``."""
    return doc_id.rsplit("/", 1)[-1].removesuffix(".txt")


def dense_run(
    vectors: np.ndarray, queries: np.ndarray, qids: list[str], chunk_docs: list[str]
) -> dict[str, dict[str, float]]:
    """Doc score = max chunk score among the top ``TOP_CHUNKS`` chunks."""
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.omp_set_num_threads(CPU_THREADS)
    scores, ids = index.search(queries, min(TOP_CHUNKS, index.ntotal))
    run: dict[str, dict[str, float]] = {}
    for qid, row_scores, row_ids in zip(qids, scores, ids, strict=True):
        docs: dict[str, float] = {}
        for score, row in zip(row_scores, row_ids, strict=True):
            if row < 0:
                continue
            doc = chunk_docs[row]
            docs[doc] = max(docs.get(doc, -1e9), float(score))
        run[qid] = docs
    return run


def evaluate(run: dict, qrels: dict) -> tuple[dict[str, float], dict[str, float]]:
    import pytrec_eval

    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100"})
    per_query = evaluator.evaluate(run)
    ndcg = {q: per_query.get(q, {}).get("ndcg_cut_10", 0.0) for q in qrels}
    means = {
        "ndcg@10": float(np.mean(list(ndcg.values()))),
        "recall@100": float(np.mean([per_query.get(q, {}).get("recall_100", 0.0) for q in qrels])),
    }
    return means, ndcg
