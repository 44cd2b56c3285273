"""Benchmark the indexing pipeline and the vector-store choices on real data.

Sections (all on CPU, numbers printed and written to eval/results/):

1. Indexing throughput: ``build_index`` over SciFact documents written as
   ``.txt`` files (bf16, end to end), against raw
   ``SentenceTransformer.encode`` (fp32) on exactly the same chunk texts;
   our ``Embedder`` in bf16 and fp32 on a sample of those chunks, and the
   cosine between bf16 and fp32 vectors.
2. bf16 vs fp32 retrieval quality: dense nDCG@10 on the SciFact test queries
   (document score = best chunk score among the top 100 chunks), reusing the
   vectors of section 1 (bf16 from the index, fp32 from the raw baseline).
3. Re-indexing an unchanged corpus (library and CLI), and a one-file edit.
4. FAISS study on real MiniLM vectors (chunks, sentences, SQuAD texts):
   exact vs HNSW vs IVF latency and recall@10, and the recommended
   ``EXACT_MAX_VECTORS`` / ``HNSW_EF_SEARCH``.

Usage::

    .venv/bin/python eval/bench_index.py            # full run (~25 min on an idle 2-core CPU)
    .venv/bin/python eval/bench_index.py --quick    # smoke test (~3 min)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import faiss
import numpy as np
import torch

from seedqa.index import vectors as vector_settings
from seedqa.index.build import build_index
from seedqa.index.embed import Embedder, resolve_model
from seedqa.index.store import load_index

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


def read_scifact(directory: Path) -> tuple[list[dict], dict[str, str], dict[str, dict[str, int]]]:
    """Return (corpus rows, test query texts by id, test qrels)."""
    with open(directory / "corpus.jsonl", encoding="utf-8") as handle:
        corpus = [json.loads(line) for line in handle if line.strip()]
    qrels: dict[str, dict[str, int]] = {}
    with open(directory / "qrels/test.tsv", encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            qid, did, score = line.rstrip("\n").split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    queries = {}
    with open(directory / "queries.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["_id"] in qrels:
                queries[row["_id"]] = row["text"]
    return corpus, queries, qrels


def select_docs(corpus: list[dict], limit: int | None) -> list[dict]:
    """All documents, or a seeded random sample of ``limit`` of them (in corpus order)."""
    if limit is None or limit >= len(corpus):
        return corpus
    rng = np.random.default_rng(0)
    keep = np.sort(rng.choice(len(corpus), size=limit, replace=False))
    return [corpus[i] for i in keep]


def write_docs(docs: list[dict], directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for row in docs:
        text = f"{row['title']}\n\n{row['text']}"
        (directory / f"{row['_id']}.txt").write_text(text, encoding="utf-8")


def corpus_id(doc_id: str) -> str:
    """``scifact/4983.txt`` (the loader's id: root name / relative path) -> ``4983``."""
    return doc_id.rsplit("/", 1)[-1].removesuffix(".txt")


# ---------------------------------------------------------------- section 1


def section_indexing(
    docs_dir: Path, index_dir: Path, n_docs: int, sample_size: int
) -> tuple[dict, dict]:
    """Build the index, run the raw fp32 baseline and the Embedder comparison."""
    from sentence_transformers import SentenceTransformer

    out: dict = {"documents": n_docs, "load_avg_start": load_avg()}
    marks: list[tuple[float, str]] = []

    def on_status(message: str) -> None:
        marks.append((time.perf_counter(), message.split()[0].lower()))

    log(f"section 1: build_index over {n_docs} SciFact documents (bf16, model loaded inside)")
    with Clock() as clock:
        report = build_index([docs_dir], index_dir, on_status=on_status)
    wall = clock.wall
    marks.append((time.perf_counter(), "end"))
    phases = {
        f"{name}_s": round(marks[i + 1][0] - at, 2) for i, (at, name) in enumerate(marks[:-1])
    }
    embed_s = phases.get("embedding_s", float("nan"))
    out["build"] = {
        "chunks": report.chunks,
        "embedded": report.embedded,
        "over_window": report.over_window,
        "wall_s": round(wall, 2),
        "chunks_per_s_end_to_end": rate(report.chunks, wall),
        "cpu_s": round(clock.cpu, 1),
        "chunks_per_cpu_s": rate(report.chunks, clock.cpu),
        "phases": phases,
        "chunks_per_s_embedding_phase": rate(report.embedded, embed_s),
    }
    log(
        f"  build: {report.chunks} chunks in {wall:.1f} s = "
        f"{out['build']['chunks_per_s_end_to_end']} chunks/s end to end; phases {phases}"
    )

    stored = load_index(index_dir)
    texts = [chunk.text for chunk in stored.chunks]
    bf16 = stored.vectors.reconstruct_n(0, stored.vectors.ntotal)
    chunk_docs = [corpus_id(chunk.doc_id) for chunk in stored.chunks]
    out["mean_chunk_chars"] = round(float(np.mean([len(t) for t in texts])), 1)

    log(f"  baseline: raw SentenceTransformer.encode fp32 on the same {len(texts)} chunks")
    model_path = resolve_model(None)[1]
    started = time.perf_counter()
    model = SentenceTransformer(model_path, device="cpu")
    load_s = time.perf_counter() - started
    model.encode(texts[:32], batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    with Clock() as clock:
        raw = model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            show_progress_bar=False,
            convert_to_numpy=True,
        ).astype(np.float32)
    raw_s = clock.wall
    cos = np.sum(bf16 * raw, axis=1)
    out["baseline_raw_fp32"] = {
        "model_load_s": round(load_s, 2),
        "encode_s": round(raw_s, 2),
        "chunks_per_s": rate(len(texts), raw_s),
        "cpu_s": round(clock.cpu, 1),
        "chunks_per_cpu_s": rate(len(texts), clock.cpu),
    }
    out["cosine_index_bf16_vs_raw_fp32"] = {
        "min": round(float(cos.min()), 6),
        "p01": round(float(np.percentile(cos, 1)), 6),
        "mean": round(float(cos.mean()), 6),
    }
    log(
        f"  baseline: {out['baseline_raw_fp32']['chunks_per_s']} chunks/s; cosine bf16 vs fp32 "
        f"{out['cosine_index_bf16_vs_raw_fp32']}"
    )
    del model

    sample = np.unique(np.linspace(0, len(texts) - 1, min(sample_size, len(texts))).astype(int))
    sample_texts = [texts[i] for i in sample]
    log(f"  Embedder bf16 vs fp32 on a strided sample of {len(sample)} chunks")
    embedders = {p: Embedder.load(precision=p) for p in ("bf16", "fp32")}
    for embedder in embedders.values():
        embedder.embed_documents(sample_texts[:32])
    # ABBA order over two halves, so that a change in machine load hits both alike.
    halves = [sample_texts[: len(sample) // 2], sample_texts[len(sample) // 2 :]]
    parts: dict[str, list[np.ndarray]] = {"bf16": [], "fp32": []}
    wall_s = {"bf16": 0.0, "fp32": 0.0}
    cpu_s = {"bf16": 0.0, "fp32": 0.0}
    for half, order in zip(halves, (("bf16", "fp32"), ("fp32", "bf16")), strict=True):
        for precision in order:
            with Clock() as clock:
                parts[precision].append(embedders[precision].embed_documents(half))
            wall_s[precision] += clock.wall
            cpu_s[precision] += clock.cpu
    sample_vectors = {p: np.concatenate(v) for p, v in parts.items()}
    sample_rates = {p: rate(len(sample), wall_s[p]) for p in wall_s}
    sample_cpu_rates = {p: rate(len(sample), cpu_s[p]) for p in cpu_s}
    sample_cos = np.sum(sample_vectors["bf16"] * sample_vectors["fp32"], axis=1)
    out["embedder_sample"] = {
        "chunks": int(len(sample)),
        "bf16_chunks_per_s": sample_rates["bf16"],
        "fp32_chunks_per_s": sample_rates["fp32"],
        "speedup_bf16": round(sample_rates["bf16"] / sample_rates["fp32"], 2),
        "bf16_chunks_per_cpu_s": sample_cpu_rates["bf16"],
        "fp32_chunks_per_cpu_s": sample_cpu_rates["fp32"],
        "speedup_bf16_cpu": round(sample_cpu_rates["bf16"] / sample_cpu_rates["fp32"], 2),
        "cosine_bf16_vs_fp32_min": round(float(sample_cos.min()), 6),
        "cosine_bf16_vs_fp32_mean": round(float(sample_cos.mean()), 6),
        "max_abs_diff_fp32_vs_raw": float(np.abs(sample_vectors["fp32"] - raw[sample]).max()),
        "max_abs_diff_bf16_vs_index": float(np.abs(sample_vectors["bf16"] - bf16[sample]).max()),
    }
    out["load_avg_end"] = load_avg()
    log(f"  Embedder sample: {out['embedder_sample']}")
    state = {
        "texts": texts,
        "chunks": stored.chunks,
        "chunk_docs": chunk_docs,
        "bf16": np.ascontiguousarray(bf16, dtype=np.float32),
        "fp32": np.ascontiguousarray(raw, dtype=np.float32),
        "embedders": embedders,
    }
    return out, state


# ---------------------------------------------------------------- section 2


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


def section_quality(state: dict, queries: dict[str, str], qrels: dict) -> dict:
    present = set(state["chunk_docs"])
    qrels = {
        q: {d: s for d, s in rel.items() if d in present}
        for q, rel in qrels.items()
        if any(d in present for d in rel)
    }
    qids = sorted(qrels)
    texts = [queries[q] for q in qids]
    log(f"section 2: dense nDCG@10 on {len(qids)} SciFact test queries, fp32 vs bf16")
    out: dict = {"queries": len(qids), "docs_in_corpus": len(present)}
    per_query = {}
    state["query_vectors"] = {}
    for precision in ("fp32", "bf16"):
        query_vectors = state["embedders"][precision].embed_queries(texts)
        state["query_vectors"][precision] = query_vectors
        run = dense_run(state[precision], query_vectors, qids, state["chunk_docs"])
        means, per_query[precision] = evaluate(run, qrels)
        out[precision] = {k: round(v, 5) for k, v in means.items()}
        log(f"  {precision}: {out[precision]}")
    diffs = np.array([per_query["bf16"][q] - per_query["fp32"][q] for q in qids])
    out["ndcg@10_diff_bf16_minus_fp32"] = round(out["bf16"]["ndcg@10"] - out["fp32"]["ndcg@10"], 5)
    out["queries_changed"] = int(np.sum(np.abs(diffs) > 1e-9))
    out["queries_better_bf16"] = int(np.sum(diffs > 1e-9))
    out["queries_worse_bf16"] = int(np.sum(diffs < -1e-9))
    out["max_abs_query_diff"] = round(float(np.abs(diffs).max()), 5) if len(diffs) else 0.0
    out["changed_queries"] = {
        q: {"fp32": round(per_query["fp32"][q], 4), "bf16": round(per_query["bf16"][q], 4)}
        for q, d in zip(qids, diffs, strict=True)
        if abs(d) > 1e-9
    }
    out["bf16_ok"] = abs(out["ndcg@10_diff_bf16_minus_fp32"]) <= 0.002
    log(
        f"  diff bf16 - fp32 = {out['ndcg@10_diff_bf16_minus_fp32']:+.5f} "
        f"({out['queries_changed']} queries changed: {out['queries_better_bf16']} better, "
        f"{out['queries_worse_bf16']} worse with bf16); |diff| <= 0.002: {out['bf16_ok']}"
    )
    return out


# ---------------------------------------------------------------- section 3


def timed_build(paths: list[Path], index_dir: Path, embedder: Embedder | None) -> dict:
    started = time.perf_counter()
    report = build_index(paths, index_dir, embedder=embedder)
    return {
        "wall_s": round(time.perf_counter() - started, 3),
        "documents": report.documents,
        "chunks": report.chunks,
        "embedded": report.embedded,
        "wrote": report.wrote,
    }


def section_reindex(docs_dir: Path, index_dir: Path, work: Path, embedder: Embedder) -> dict:
    log("section 3: re-index time of unchanged corpora")
    seeds = REPO / "seeds"
    out: dict = {}
    seed_index = work / "seeds-index"
    out["seeds_first"] = timed_build([seeds], seed_index, embedder)
    out["seeds_second"] = timed_build([seeds], seed_index, embedder)
    out["scifact_second"] = timed_build([docs_dir], index_dir, embedder)
    edited = sorted(docs_dir.glob("*.txt"))[0]
    with open(edited, "a", encoding="utf-8") as handle:
        handle.write(" An added sentence changes this document.")
    out["scifact_one_file_edited"] = timed_build([docs_dir], index_dir, embedder)
    for name in ("seeds_first", "seeds_second", "scifact_second", "scifact_one_file_edited"):
        log(f"  {name}: {out[name]}")

    cli = Path(sys.executable).parent / "seedqa"
    cli_index = work / "cli-index"
    runs = []
    for _ in range(2):
        started = time.perf_counter()
        done = subprocess.run(
            [str(cli), "index", "seeds", "--index-dir", str(cli_index)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        runs.append(
            {
                "wall_s": round(time.perf_counter() - started, 3),
                "returncode": done.returncode,
                "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "",
            }
        )
    out["cli_first"], out["cli_second"] = runs
    log(f"  CLI `seedqa index seeds`: first {runs[0]}, second {runs[1]}")
    return out


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


# ------------------------------------------------------------------ report


def summary_rows(results: dict) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    s1 = results.get("indexing")
    if s1:
        build, sample = s1["build"], s1["embedder_sample"]
        rows += [
            ("docs / chunks", f"{s1['documents']} / {build['chunks']}"),
            (
                "build_index end to end (bf16)",
                f"{build['chunks_per_s_end_to_end']} chunks/s ({build['wall_s']} s); "
                f"{build['chunks_per_cpu_s']} chunks/CPU-s",
            ),
            ("  embedding phase only", f"{build['chunks_per_s_embedding_phase']} chunks/s"),
            (
                "raw SentenceTransformer fp32",
                f"{s1['baseline_raw_fp32']['chunks_per_s']} chunks/s "
                f"({s1['baseline_raw_fp32']['encode_s']} s); "
                f"{s1['baseline_raw_fp32']['chunks_per_cpu_s']} chunks/CPU-s",
            ),
            (
                f"Embedder bf16 / fp32 ({sample['chunks']} chunks)",
                f"{sample['bf16_chunks_per_s']} / {sample['fp32_chunks_per_s']} chunks/s "
                f"(x{sample['speedup_bf16']}); per CPU-s {sample['bf16_chunks_per_cpu_s']} / "
                f"{sample['fp32_chunks_per_cpu_s']} (x{sample['speedup_bf16_cpu']})",
            ),
            (
                "cosine bf16 vs fp32 (all chunks)",
                f"min {s1['cosine_index_bf16_vs_raw_fp32']['min']:.4f}, "
                f"mean {s1['cosine_index_bf16_vs_raw_fp32']['mean']:.5f}",
            ),
        ]
    s2 = results.get("quality")
    if s2:
        rows += [
            (
                f"nDCG@10 fp32 / bf16 ({s2['queries']} q)",
                f"{s2['fp32']['ndcg@10']:.4f} / {s2['bf16']['ndcg@10']:.4f}",
            ),
            (
                "nDCG@10 diff bf16 - fp32",
                f"{s2['ndcg@10_diff_bf16_minus_fp32']:+.4f} (ok: {s2['bf16_ok']})",
            ),
            (
                "recall@100 fp32 / bf16",
                f"{s2['fp32']['recall@100']:.4f} / {s2['bf16']['recall@100']:.4f}",
            ),
        ]
    s3 = results.get("reindex")
    if s3:
        rows += [
            (
                "re-index seeds unchanged",
                f"{s3['seeds_second']['wall_s']} s, {s3['seeds_second']['embedded']} embedded",
            ),
            (
                "re-index SciFact unchanged",
                f"{s3['scifact_second']['wall_s']} s, {s3['scifact_second']['embedded']} embedded",
            ),
            (
                "SciFact, one file edited",
                f"{s3['scifact_one_file_edited']['wall_s']} s, "
                f"{s3['scifact_one_file_edited']['embedded']} embedded",
            ),
            (
                "CLI `seedqa index seeds` 1st / 2nd",
                f"{s3['cli_first']['wall_s']} s / {s3['cli_second']['wall_s']} s",
            ),
        ]
    s4 = results.get("faiss")
    if s4:
        for row in s4["rows"]:
            ef = s4["recommendation"]["recommended_hnsw_ef_search"]
            best = row["hnsw"][ef]
            rows.append(
                (
                    f"n={row['n']}: flat p50 / HNSW ef{ef}",
                    f"{row['flat']['p50_ms']} ms / {best['p50_ms']} ms, "
                    f"recall@10 {best['recall@10']}",
                )
            )
        for row in s4.get("flat_latency_only", []):
            rows.append((f"n={row['n']} (tiled): flat p50", f"{row['p50_ms']} ms"))
        rec = s4["recommendation"]
        rows += [
            ("query embedding p50 (bf16, 1 query)", f"{s4['query_embed_p50_ms']} ms"),
            ("flat p50 hits 5 ms / 10 ms at", f"~{rec['n_at_5ms']} / ~{rec['n_at_10ms']} vectors"),
            (
                "recommended EXACT_MAX_VECTORS / efSearch",
                f"{rec['recommended_exact_max_vectors']} / {rec['recommended_hnsw_ef_search']} "
                f"(current {rec['current']['EXACT_MAX_VECTORS']} / "
                f"{rec['current']['HNSW_EF_SEARCH']})",
            ),
        ]
    return rows


def markdown(results: dict) -> str:
    lines = [
        "# Index benchmark (eval/bench_index.py)",
        "",
        f"Machine: {results['machine']['cpus']} CPU threads, {results['machine']['platform']}; "
        f"run at {results['started_at']}, mode {results['mode']}, "
        f"total {results.get('total_s', '?')} s.",
        "",
        "| measure | value |",
        "| --- | --- |",
    ]
    lines += [f"| {k.strip()} | {v} |" for k, v in summary_rows(results)]
    s4 = results.get("faiss")
    if s4:
        lines += [
            "",
            "## FAISS study (single query = 1 thread, p50 ms; recall@10 vs exact)",
            "",
            "| n | flat p50 | flat batch q/s | HNSW build s | "
            + " | ".join(f"HNSW ef{ef} (recall, p50)" for ef in HNSW_EFS)
            + " | IVF np8 | IVF np16 |",
            "| " + " | ".join(["---:"] * (4 + len(HNSW_EFS) + 2)) + " |",
        ]
        for row in s4["rows"]:
            cells = [
                str(row["n"]),
                f"{row['flat']['p50_ms']}",
                f"{row['flat']['batch_qps']:.0f}",
                f"{row['hnsw_build_s']}",
            ]
            cells += [
                f"{row['hnsw'][ef]['recall@10']:.3f}, {row['hnsw'][ef]['p50_ms']}"
                for ef in HNSW_EFS
            ]
            for nprobe in (8, 16):
                ivf = row.get("ivf", {}).get(nprobe)
                cells.append(f"{ivf['recall@10']:.3f}, {ivf['p50_ms']}" if ivf else "-")
            lines.append("| " + " | ".join(cells) + " |")
        for row in s4.get("flat_latency_only", []):
            cells = [f"{row['n']} (tiled, latency only)", str(row["p50_ms"])]
            cells += [f"{row['batch_qps']:.0f}"] + ["-"] * (1 + len(HNSW_EFS) + 2)
            lines.append("| " + " | ".join(cells) + " |")
        lines += [
            "",
            f"Pool: {s4['pool']} real all-MiniLM-L6-v2 bf16 vectors (SciFact chunks, SciFact "
            f"sentences, SQuAD dev paragraphs/questions); {s4['queries']} SciFact test queries.",
        ]
    loads = [
        f"{key} {results[key].get('load_avg_start')} -> {results[key].get('load_avg_end')}"
        for key in ("indexing", "faiss")
        if key in results and "load_avg_start" in results[key]
    ]
    if loads:
        lines += ["", "Load average (1/5/15 min) during the run: " + "; ".join(loads) + "."]
    return "\n".join(lines) + "\n"


def save(results: dict, directory: Path = RESULTS) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench_index.json").write_text(
        json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8"
    )
    (directory / "bench_index.md").write_text(markdown(results), encoding="utf-8")


def run_section(results: dict, key: str, action: Callable[[], dict], directory: Path) -> None:
    results[key] = action()
    results["total_s"] = round(time.perf_counter() - _START, 1)
    save(results, directory)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=DEFAULT_SCIFACT, help="BEIR SciFact dir")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD v1.1 dev json")
    parser.add_argument("--limit-docs", type=int, default=None, help="SciFact docs (default all)")
    parser.add_argument("--quick", action="store_true", help="small smoke run (~300 docs)")
    parser.add_argument(
        "--sizes", type=str, default=None, help="FAISS study sizes, e.g. 2000,10000,25000,50000"
    )
    parser.add_argument(
        "--embed-sample", type=int, default=None, help="chunks for the Embedder bf16/fp32 test"
    )
    parser.add_argument(
        "--flat-sizes",
        type=str,
        default=None,
        help="extra sizes for exact-search latency only (tiled real vectors)",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=RESULTS, help="where bench_index.json/.md go"
    )
    parser.add_argument("--no-ivf", action="store_true", help="skip IVF in the FAISS study")
    args = parser.parse_args(argv)

    limit = args.limit_docs if args.limit_docs is not None else (300 if args.quick else None)
    default_sizes = "1000,2000,5000" if args.quick else "2000,10000,25000,50000"
    sizes = sorted(int(s) for s in (args.sizes or default_sizes).split(","))
    default_flat = "20000" if args.quick else "100000,200000"
    flat_sizes = sorted(int(s) for s in (args.flat_sizes or default_flat).split(",") if s)
    sample_size = args.embed_sample or (128 if args.quick else 480)

    corpus, queries, qrels = read_scifact(args.scifact)
    docs = select_docs(corpus, limit)
    results: dict = {
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "mode": "quick" if args.quick else "full",
        "machine": {
            "cpus": CPU_THREADS,
            "platform": platform.platform(),
            "torch_threads": torch.get_num_threads(),
            "faiss": faiss.__version__,
        },
        "settings": {
            "limit_docs": limit,
            "sizes": sizes,
            "flat_sizes": flat_sizes,
            "embed_sample": sample_size,
        },
    }
    log(f"SciFact: {len(docs)} of {len(corpus)} docs, {len(queries)} test queries")
    work = Path(tempfile.mkdtemp(prefix="seedqa-bench-"))
    try:
        docs_dir, index_dir = work / "scifact", work / "scifact-index"
        write_docs(docs, docs_dir)
        state: dict = {"query_texts": [queries[q] for q in sorted(queries)]}

        def indexing() -> dict:
            out, found = section_indexing(docs_dir, index_dir, len(docs), sample_size)
            state.update(found)
            return out

        out = args.results_dir
        run_section(results, "indexing", indexing, out)
        run_section(results, "quality", lambda: section_quality(state, queries, qrels), out)
        run_section(
            results,
            "reindex",
            lambda: section_reindex(docs_dir, index_dir, work, state["embedders"]["bf16"]),
            out,
        )
        run_section(
            results,
            "faiss",
            lambda: section_faiss(state, args.squad, sizes, flat_sizes, not args.no_ivf),
            out,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\nSummary")
    rows = summary_rows(results)
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    print(f"\nTotal {results['total_s']} s; wrote {args.results_dir / 'bench_index.json'} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
