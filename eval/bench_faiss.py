"""Section 4 of the index benchmark: the FAISS study on real MiniLM vectors.

Exact vs HNSW vs IVF latency and recall@10, and the recommended
``EXACT_MAX_VECTORS`` / ``HNSW_EF_SEARCH`` (see eval/bench_index.py).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import faiss
import numpy as np
from bench_common import (
    CPU_THREADS,
    HNSW_EFS,
    TARGET_RECALL,
    Clock,
    load_avg,
    log,
    percentile_ms,
    rate,
)

from seedqa.index import vectors as vector_settings

# ---------------------------------------------------------------- section 4


def extra_texts(state: dict, squad_path: Path) -> list[str]:
    """Real texts to embed beyond the chunks: SciFact sentences and SQuAD dev texts."""
    seen = set(state["texts"])
    candidates: list[str] = []
    for chunk in state["chunks"]:
        for sentence in chunk.sentence_texts():
            if len(sentence) >= 20 and sentence not in seen:
                seen.add(sentence)
                candidates.append(sentence)
    if squad_path.exists():
        data = json.loads(squad_path.read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                for text in [paragraph["context"]] + [qa["question"] for qa in paragraph["qas"]]:
                    if text not in seen:
                        seen.add(text)
                        candidates.append(text)
    return candidates


def single_query_latency(index: faiss.Index, queries: np.ndarray, k: int = 10) -> list[float]:
    faiss.omp_set_num_threads(1)
    for query in queries[:10]:
        index.search(query[None, :], k)
    samples = []
    for query in queries:
        started = time.perf_counter()
        index.search(query[None, :], k)
        samples.append(time.perf_counter() - started)
    return samples


def recall_at(ids: np.ndarray, truth: np.ndarray) -> float:
    hits = [len(set(a[a >= 0]) & set(b)) / len(b) for a, b in zip(ids, truth, strict=True)]
    return round(float(np.mean(hits)), 4)


def study_size(pool: np.ndarray, queries: np.ndarray, n: int, with_ivf: bool) -> dict:
    vectors = np.ascontiguousarray(pool[:n])
    d = vectors.shape[1]
    row: dict = {"n": n}
    flat = faiss.IndexFlatIP(d)
    flat.add(vectors)
    latency = single_query_latency(flat, queries)
    faiss.omp_set_num_threads(CPU_THREADS)
    best = math.inf
    for _ in range(3):
        started = time.perf_counter()
        _, truth = flat.search(queries, 10)
        best = min(best, time.perf_counter() - started)
    row["flat"] = {
        "p50_ms": percentile_ms(latency, 50),
        "p95_ms": percentile_ms(latency, 95),
        "batch_qps": rate(len(queries), best),
    }

    faiss.omp_set_num_threads(CPU_THREADS)
    hnsw = faiss.IndexHNSWFlat(d, vector_settings.HNSW_M, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = vector_settings.HNSW_EF_CONSTRUCTION
    started = time.perf_counter()
    hnsw.add(vectors)
    row["hnsw_build_s"] = round(time.perf_counter() - started, 2)
    row["hnsw"] = {}
    for ef in HNSW_EFS:
        hnsw.hnsw.efSearch = ef
        latency = single_query_latency(hnsw, queries)
        faiss.omp_set_num_threads(CPU_THREADS)
        _, ids = hnsw.search(queries, 10)
        row["hnsw"][ef] = {
            "recall@10": recall_at(ids, truth),
            "p50_ms": percentile_ms(latency, 50),
            "p95_ms": percentile_ms(latency, 95),
        }

    if with_ivf:
        nlist = max(1, min(int(4 * math.sqrt(n)), n // 39))
        faiss.omp_set_num_threads(CPU_THREADS)
        quantizer = faiss.IndexFlatIP(d)
        ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        started = time.perf_counter()
        ivf.train(vectors)
        ivf.add(vectors)
        row["ivf"] = {"nlist": nlist, "build_s": round(time.perf_counter() - started, 2)}
        for nprobe in (8, 16):
            ivf.nprobe = nprobe
            latency = single_query_latency(ivf, queries)
            faiss.omp_set_num_threads(CPU_THREADS)
            _, ids = ivf.search(queries, 10)
            row["ivf"][nprobe] = {
                "recall@10": recall_at(ids, truth),
                "p50_ms": percentile_ms(latency, 50),
            }
    return row


def flat_latency_only(pool: np.ndarray, queries: np.ndarray, n: int) -> dict:
    """Exact-search latency at ``n`` vectors made by tiling the real pool with tiny noise.

    Flat search cost does not depend on the values, so this extends the latency
    curve past the real pool; no recall is measured here.
    """
    rng = np.random.default_rng(1)
    reps = math.ceil(n / len(pool))
    tiled = np.concatenate([pool] * reps)[:n]
    tiled = tiled + rng.normal(0, 0.01, tiled.shape).astype(np.float32)
    tiled /= np.linalg.norm(tiled, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(pool.shape[1])
    flat.add(np.ascontiguousarray(tiled, dtype=np.float32))
    del tiled
    latency = single_query_latency(flat, queries)
    faiss.omp_set_num_threads(CPU_THREADS)
    started = time.perf_counter()
    flat.search(queries, 10)
    batch_s = time.perf_counter() - started
    return {
        "n": n,
        "p50_ms": percentile_ms(latency, 50),
        "p95_ms": percentile_ms(latency, 95),
        "batch_qps": rate(len(queries), batch_s),
    }


def crossing(points: list[tuple[int, float]], ms: float) -> int | None:
    """Vector count where exact p50 latency reaches ``ms`` (interpolated or extrapolated)."""
    points = sorted(points)
    for (n0, t0), (n1, t1) in zip(points, points[1:], strict=False):
        if t0 < ms <= t1:
            return int(n0 + (ms - t0) * (n1 - n0) / (t1 - t0))
    if len(points) < 2 or points[0][1] >= ms:
        return None
    (n0, t0), (n1, t1) = points[-2], points[-1]
    slope = (t1 - t0) / (n1 - n0)
    return int(n1 + (ms - t1) / slope) if slope > 0 else None


def recommend(rows: list[dict], flat_only: list[dict]) -> dict:
    """Pick the exact-search threshold (p50 reaches 5 ms) and efSearch (TARGET_RECALL)."""
    points = [(r["n"], r["flat"]["p50_ms"]) for r in rows]
    points += [(r["n"], r["p50_ms"]) for r in flat_only]
    n_at = {ms: crossing(points, ms) for ms in (5, 10)}
    largest = rows[-1]
    good_efs = [ef for ef in HNSW_EFS if largest["hnsw"][ef]["recall@10"] >= TARGET_RECALL]
    ef = good_efs[0] if good_efs else HNSW_EFS[-1]
    threshold = n_at[5]
    nice = None
    if threshold is not None:
        step = 50_000 if threshold >= 100_000 else 10_000 if threshold >= 20_000 else 5_000
        nice = max(step, int(threshold // step) * step)
    measured_ns = sorted(n for n, _ in points)
    return {
        "n_at_5ms": n_at[5],
        "n_at_10ms": n_at[10],
        "n_at_5ms_extrapolated": bool(n_at[5] and n_at[5] > measured_ns[-1]),
        "recommended_exact_max_vectors": nice,
        "recommended_hnsw_ef_search": ef,
        "target_recall@10": TARGET_RECALL,
        "at_largest_n": largest["n"],
        "hnsw_at_recommended_ef": largest["hnsw"][ef],
        "current": {
            "EXACT_MAX_VECTORS": vector_settings.EXACT_MAX_VECTORS,
            "HNSW_EF_SEARCH": vector_settings.HNSW_EF_SEARCH,
        },
    }


def section_faiss(
    state: dict, squad_path: Path, sizes: list[int], flat_sizes: list[int], with_ivf: bool
) -> dict:
    target = max(sizes)
    base = state["bf16"]
    out: dict = {"load_avg_start": load_avg()}
    need = max(0, target - len(base))
    candidates = extra_texts(state, squad_path)
    rng = np.random.default_rng(0)
    chosen = [candidates[i] for i in rng.permutation(len(candidates))[:need]]
    log(
        f"section 4: FAISS study; pool = {len(base)} chunk vectors + {len(chosen)} of "
        f"{len(candidates)} SciFact sentences / SQuAD dev texts (bf16)"
    )
    embedder = state["embedders"]["bf16"]
    with Clock() as clock:
        extra = embedder.embed_documents(chosen) if chosen else np.zeros((0, base.shape[1]))
    out["extra_texts_embedded"] = len(chosen)
    out["extra_embed_s"] = round(clock.wall, 1)
    out["extra_texts_per_s"] = rate(len(chosen), clock.wall)
    out["extra_texts_per_cpu_s"] = rate(len(chosen), clock.cpu)
    pool = np.concatenate([base, extra.astype(np.float32)])
    pool = np.ascontiguousarray(pool[rng.permutation(len(pool))])
    out["pool"] = len(pool)
    reached = [n for n in sizes if n <= len(pool)]
    out["sizes"] = reached
    queries = embedder.embed_queries(state["query_texts"])
    out["queries"] = len(queries)

    latency = []
    for text in list(state["query_texts"])[:50]:
        started = time.perf_counter()
        embedder.embed_query(text)
        latency.append(time.perf_counter() - started)
    out["query_embed_p50_ms"] = percentile_ms(latency, 50)
    log(
        f"  pool of {len(pool)} vectors ({out['extra_texts_per_s']} texts/s); "
        f"query embedding p50 {out['query_embed_p50_ms']} ms"
    )

    rows = []
    for n in reached:
        row = study_size(pool, queries, n, with_ivf)
        rows.append(row)
        hnsw = ", ".join(
            f"ef{ef} r={v['recall@10']:.3f} {v['p50_ms']:.2f}ms" for ef, v in row["hnsw"].items()
        )
        ivf = ""
        if "ivf" in row:
            ivf = "; IVF" + "".join(
                f" np{p} r={row['ivf'][p]['recall@10']:.3f} {row['ivf'][p]['p50_ms']:.2f}ms"
                for p in (8, 16)
            )
        log(
            f"  n={n}: flat p50 {row['flat']['p50_ms']:.2f} ms, p95 {row['flat']['p95_ms']:.2f}"
            f" ms, batch {row['flat']['batch_qps']:.0f} q/s; HNSW build "
            f"{row['hnsw_build_s']} s: {hnsw}{ivf}"
        )
    out["rows"] = rows
    out["flat_latency_only"] = []
    for n in flat_sizes:
        row = flat_latency_only(pool, queries, n)
        out["flat_latency_only"].append(row)
        log(
            f"  n={n} (tiled real vectors, latency only): flat p50 {row['p50_ms']:.2f} ms, "
            f"p95 {row['p95_ms']:.2f} ms, batch {row['batch_qps']:.0f} q/s"
        )
    out["recommendation"] = recommend(rows, out["flat_latency_only"])
    out["load_avg_end"] = load_avg()
    log(f"  recommendation: {out['recommendation']}")
    return out


