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
from bench_common import (
    _START,
    CPU_THREADS,
    DEFAULT_SCIFACT,
    DEFAULT_SQUAD,
    REPO,
    RESULTS,
    Clock,
    corpus_id,
    dense_run,
    evaluate,
    load_avg,
    log,
    rate,
    read_scifact,
    select_docs,
    write_docs,
)
from bench_faiss import section_faiss
from bench_report import save, summary_rows

from seedqa.index.build import build_index
from seedqa.index.embed import Embedder, resolve_model
from seedqa.index.store import load_index

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
    bf16 = stored.vectors.vectors(np.arange(len(stored.vectors)))
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

    scifact = read_scifact(args.scifact)
    queries, qrels = scifact.queries, scifact.qrels
    docs = select_docs(scifact.documents, limit)
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
    log(f"SciFact: {len(docs)} of {len(scifact.documents)} docs, {len(queries)} test queries")
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

