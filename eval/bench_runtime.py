"""Benchmark the embedding runtimes side by side: ONNX Runtime against torch, same run.

Sections (CPU only; numbers printed and written to eval/results/bench_runtime.{json,md}):

1. Agreement: cosine between ONNX Runtime (fp32) vectors and torch vectors
   (sentence-transformers fp32, and bf16 autocast as seedqa used to build
   indexes) on a strided sample of real SciFact chunks.
2. Batch throughput (index builds) on that sample: ONNX Runtime at several batch
   sizes against torch bf16 (the old default build) and torch fp32, in
   rotating order over several rounds so that a change in machine load hits
   every runtime alike; wall and CPU seconds.
3. Retrieval quality: SciFact dense nDCG@10 and Recall@100 with every chunk and
   query embedded by each runtime (document score = best chunk among the top
   100), and how many queries change their top 10.
4. Single-query latency: one SciFact test query at a time (the ``ask`` path),
   ONNX Runtime and torch at 1 and 2 threads, interleaved query by query;
   p50/p95.

Usage::

    .venv/bin/python eval/bench_runtime.py                   # full (~20 min on an idle 2-core CPU)
    .venv/bin/python eval/bench_runtime.py --limit-docs 300  # quick
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
from bench_common import (
    DEFAULT_SCIFACT,
    RESULTS,
    Clock,
    dense_run,
    evaluate,
    load_avg,
    log,
    percentile_ms,
    rate,
    read_scifact,
    select_docs,
)

from seedqa.index.chunk import chunk_document
from seedqa.index.embed import Embedder, resolve_model
from seedqa.index.model_files import read_model_spec
from seedqa.index.onnx_encoder import OnnxEncoder
from seedqa.index.records import Document

ONNX_BATCHES = (16, 32, 64)


def scifact_chunks(docs: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Chunk texts and their SciFact doc ids, chunked as ``seedqa index`` does."""
    texts, doc_ids = [], []
    for doc_id, text in docs:
        doc = Document(doc_id, text.split("\n", 1)[0], text, doc_id, "txt")
        for chunk in chunk_document(doc):
            texts.append(chunk.text)
            doc_ids.append(doc_id)
    return texts, doc_ids


def cosine_stats(a: np.ndarray, b: np.ndarray) -> dict:
    cos = np.sum(a * b, axis=1)
    return {
        "min": round(float(cos.min()), 6),
        "p01": round(float(np.percentile(cos, 1)), 6),
        "mean": round(float(cos.mean()), 7),
    }


def load_runtimes() -> dict[str, Embedder]:
    """Every contender, loaded once: ONNX (default threads) and torch bf16 / fp32."""
    return {
        "onnx": Embedder.load(runtime="onnx"),
        "torch_bf16": Embedder.load(runtime="torch", precision="bf16"),
        "torch_fp32": Embedder.load(runtime="torch", precision="fp32"),
    }


def section_agreement(embedders: dict[str, Embedder], sample: list[str]) -> tuple[dict, dict]:
    log(f"section 1: agreement on {len(sample)} chunks")
    vectors = {name: e.embed_documents(sample) for name, e in embedders.items()}
    out = {
        "chunks": len(sample),
        "onnx_vs_torch_fp32": cosine_stats(vectors["onnx"], vectors["torch_fp32"]),
        "onnx_vs_torch_bf16": cosine_stats(vectors["onnx"], vectors["torch_bf16"]),
        "torch_bf16_vs_torch_fp32": cosine_stats(vectors["torch_bf16"], vectors["torch_fp32"]),
    }
    for key, value in out.items():
        log(f"  {key}: {value}")
    return out, vectors


def section_throughput(embedders: dict[str, Embedder], sample: list[str], rounds: int) -> dict:
    log(f"section 2: batch throughput on {len(sample)} chunks, {rounds} rounds")
    onnx = embedders["onnx"]._encoder
    contenders = {
        f"onnx_batch{b}": (lambda b=b: onnx.encode(sample, batch_size=b)) for b in ONNX_BATCHES
    }
    contenders["torch_bf16"] = lambda: embedders["torch_bf16"].embed_documents(sample)
    contenders["torch_fp32"] = lambda: embedders["torch_fp32"].embed_documents(sample)
    wall = {name: 0.0 for name in contenders}
    cpu = {name: 0.0 for name in contenders}
    names = list(contenders)
    for round_index in range(rounds):
        shift = round_index % len(names)
        order = names[shift:] + names[:shift]
        if round_index % 2:
            order.reverse()
        for name in order:
            with Clock() as clock:
                contenders[name]()
            wall[name] += clock.wall
            cpu[name] += clock.cpu
    total = len(sample) * rounds
    out = {
        name: {"chunks_per_s": rate(total, wall[name]), "chunks_per_cpu_s": rate(total, cpu[name])}
        for name in names
    }
    best_onnx = max(
        (n for n in names if n.startswith("onnx")), key=lambda n: out[n]["chunks_per_s"]
    )
    out["best_onnx"] = best_onnx
    out["onnx_over_torch_bf16"] = round(
        out[best_onnx]["chunks_per_s"] / out["torch_bf16"]["chunks_per_s"], 3
    )
    out["onnx_over_torch_bf16_cpu"] = round(
        out[best_onnx]["chunks_per_cpu_s"] / out["torch_bf16"]["chunks_per_cpu_s"], 3
    )
    for key, value in out.items():
        log(f"  {key}: {value}")
    return out


def section_quality(
    embedders: dict[str, Embedder],
    texts: list[str],
    doc_ids: list[str],
    queries: dict[str, str],
    qrels: dict,
    reference: np.ndarray | None = None,
) -> dict:
    """Dense SciFact quality per runtime.

    With ``reference`` (the vectors of an index built by the old torch-bf16 code for
    exactly ``texts``), torch bf16 is not re-run: its chunk vectors come from that
    index, and its queries from torch fp32, as the old ``ask`` embedded them.
    """
    present = set(doc_ids)
    qrels = {q: rel for q, rel in qrels.items() if any(d in present for d in rel)}
    qids = sorted(qrels)
    query_texts = [queries[q] for q in qids]
    log(f"section 3: SciFact dense quality, {len(texts)} chunks, {len(qids)} queries")
    out: dict = {"chunks": len(texts), "queries": len(qids)}
    runs, per_query = {}, {}
    names = ["onnx"] if reference is not None else list(embedders)
    for name in names:
        with Clock() as clock:
            chunk_vectors = embedders[name].embed_documents(texts)
        query_vectors = embedders[name].embed_queries(query_texts)
        runs[name] = dense_run(chunk_vectors, query_vectors, qids, doc_ids)
        means, per_query[name] = evaluate(runs[name], qrels)
        out[name] = {k: round(v, 5) for k, v in means.items()}
        out[name]["embed_chunks_per_s"] = rate(len(texts), clock.wall)
        out[name]["embed_chunks_per_cpu_s"] = rate(len(texts), clock.cpu)
        log(f"  {name}: {out[name]}")
        if name == "onnx" and reference is not None:
            out["onnx_vs_reference_index"] = cosine_stats(chunk_vectors, reference)
    if reference is not None:
        query_vectors = embedders["torch_fp32"].embed_queries(query_texts)
        runs["torch_bf16"] = dense_run(reference, query_vectors, qids, doc_ids)
        means, per_query["torch_bf16"] = evaluate(runs["torch_bf16"], qrels)
        out["torch_bf16"] = {k: round(v, 5) for k, v in means.items()}
        out["torch_bf16"]["source"] = "vectors of the reference index (old torch bf16 build)"
        log(f"  torch_bf16 (reference index): {out['torch_bf16']}")

    def top10(run: dict, qid: str) -> list[str]:
        return [d for d, _ in sorted(run[qid].items(), key=lambda kv: -kv[1])[:10]]

    for other in [n for n in ("torch_fp32", "torch_bf16") if n in runs]:
        same = sum(top10(runs["onnx"], q) == top10(runs[other], q) for q in qids)
        diff = out["onnx"]["ndcg@10"] - out[other]["ndcg@10"]
        out[f"onnx_vs_{other}"] = {
            "ndcg@10_diff": round(diff, 5),
            "queries_same_top10": same,
            "queries_ndcg_changed": int(
                sum(abs(per_query["onnx"][q] - per_query[other][q]) > 1e-9 for q in qids)
            ),
        }
        log(f"  onnx vs {other}: {out[f'onnx_vs_{other}']}")
    return out


def reference_index(directory: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Chunk texts, SciFact doc ids and vectors of an index built over SciFact ``.txt`` files."""
    from seedqa.index.store import load_index

    stored = load_index(directory)
    if stored.manifest.precision != "bf16":
        raise SystemExit(f"{directory} holds {stored.manifest.precision} vectors, not bf16")
    texts = [c.text for c in stored.chunks]
    doc_ids = [c.doc_id.rsplit("/", 1)[-1].removesuffix(".txt") for c in stored.chunks]
    return texts, doc_ids, stored.vectors.vectors(np.arange(len(stored.vectors)))


def section_latency(query_texts: list[str], repeats: int) -> dict:
    """Single short queries through each runtime and thread count, interleaved."""
    import torch

    log(f"section 4: single-query latency, {len(query_texts)} queries x {repeats}")
    spec = read_model_spec(Path(resolve_model(None)[1]))
    onnx = {threads: OnnxEncoder.load(spec, threads=threads) for threads in (1, 2)}
    torch_fp32 = Embedder.load(runtime="torch", precision="fp32")._encoder

    def torch_at(threads: int):
        def run(text: str) -> None:
            torch.set_num_threads(threads)
            torch_fp32.encode([text])

        return run

    contenders = {
        "onnx_1_thread": lambda text: onnx[1].encode([text]),
        "onnx_2_threads": lambda text: onnx[2].encode([text]),
        "torch_fp32_1_thread": torch_at(1),
        "torch_fp32_2_threads": torch_at(2),
    }
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for run in contenders.values():
        for text in query_texts[:10]:
            run(text)
    for _ in range(repeats):
        for text in query_texts:
            for name, run in contenders.items():
                started = time.perf_counter()
                run(text)
                samples[name].append(time.perf_counter() - started)
    torch.set_num_threads(os.cpu_count() or 1)
    out = {
        name: {"p50_ms": percentile_ms(s, 50), "p95_ms": percentile_ms(s, 95), "n": len(s)}
        for name, s in samples.items()
    }
    out["mean_query_chars"] = round(float(np.mean([len(t) for t in query_texts])), 1)
    for key, value in out.items():
        log(f"  {key}: {value}")
    return out


def markdown(results: dict) -> str:
    lines = ["# Embedding runtimes: ONNX Runtime vs torch", ""]
    lines += [
        f"Run {results['started_at']}; load average start {results['load_avg_start']}, "
        f"end {results.get('load_avg_end')}.",
        "",
    ]
    agreement = results.get("agreement", {})
    if agreement:
        lines += ["| agreement (cosine) | min | p01 | mean |", "| --- | ---: | ---: | ---: |"]
        for key in ("onnx_vs_torch_fp32", "onnx_vs_torch_bf16", "torch_bf16_vs_torch_fp32"):
            v = agreement[key]
            lines.append(f"| {key} | {v['min']} | {v['p01']} | {v['mean']} |")
        lines.append("")
    throughput = results.get("throughput", {})
    if throughput:
        lines += ["| batch throughput | chunks/s | chunks per CPU-s |", "| --- | ---: | ---: |"]
        for key, v in throughput.items():
            if isinstance(v, dict):
                lines.append(f"| {key} | {v['chunks_per_s']} | {v['chunks_per_cpu_s']} |")
        lines += [
            "",
            f"Best ONNX / torch bf16: {throughput['onnx_over_torch_bf16']} (wall), "
            f"{throughput['onnx_over_torch_bf16_cpu']} (CPU).",
            "",
        ]
    quality = results.get("quality", {})
    if quality:
        lines += [
            "| SciFact dense | nDCG@10 | Recall@100 | chunks/s |",
            "| --- | ---: | ---: | ---: |",
        ]
        for key in [k for k in ("onnx", "torch_bf16", "torch_fp32") if k in quality]:
            v = quality[key]
            speed = v.get("embed_chunks_per_s", "(index)")
            lines.append(f"| {key} | {v['ndcg@10']} | {v['recall@100']} | {speed} |")
        for key in ("onnx_vs_torch_fp32", "onnx_vs_torch_bf16", "onnx_vs_reference_index"):
            if key in quality:
                lines.append(f"\n{key}: {quality[key]}")
        lines.append("")
    latency = results.get("latency", {})
    if latency:
        lines += ["| single query | p50 ms | p95 ms |", "| --- | ---: | ---: |"]
        for key, v in latency.items():
            if isinstance(v, dict):
                lines.append(f"| {key} | {v['p50_ms']} | {v['p95_ms']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", type=Path, default=DEFAULT_SCIFACT)
    parser.add_argument("--limit-docs", type=int, default=None, help="SciFact docs (default all)")
    parser.add_argument("--sample", type=int, default=512, help="chunks for sections 1 and 2")
    parser.add_argument("--rounds", type=int, default=4, help="throughput rounds")
    parser.add_argument("--repeats", type=int, default=1, help="latency passes over the queries")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--only-quality", action="store_true", help="section 3 alone")
    parser.add_argument(
        "--reference-index",
        type=Path,
        default=None,
        help="a SciFact index built by the old torch-bf16 code: its chunks and vectors are the "
        "torch bf16 side of section 3 (saves re-embedding the corpus with torch)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_runtime")
    args = parser.parse_args(argv)

    scifact = read_scifact(args.scifact)
    queries, qrels = scifact.queries, scifact.qrels
    docs = select_docs(scifact.documents, args.limit_docs)
    texts, doc_ids = scifact_chunks(docs)
    picks = np.unique(np.linspace(0, len(texts) - 1, min(args.sample, len(texts))).astype(int))
    sample = [texts[i] for i in picks]
    results: dict = {
        "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_avg_start": load_avg(),
        "cpus": os.cpu_count(),
        "docs": len(docs),
        "chunks": len(texts),
    }

    def save() -> None:
        results["load_avg_end"] = load_avg()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(markdown(results))

    embedders = load_runtimes()
    if not args.only_quality:
        results["agreement"], _ = section_agreement(embedders, sample)
        save()
        results["throughput"] = section_throughput(embedders, sample, args.rounds)
        save()
    if not args.skip_quality:
        if args.reference_index:
            ref_texts, ref_ids, ref_vectors = reference_index(args.reference_index)
            keep = {doc_id for doc_id, _ in docs}  # --limit-docs: the same seeded sample
            rows = [i for i, doc_id in enumerate(ref_ids) if doc_id in keep]
            ref_texts = [ref_texts[i] for i in rows]
            ref_ids = [ref_ids[i] for i in rows]
            ref_vectors = ref_vectors[rows]
            results["quality"] = section_quality(
                embedders, ref_texts, ref_ids, queries, qrels, reference=ref_vectors
            )
        else:
            results["quality"] = section_quality(embedders, texts, doc_ids, queries, qrels)
        save()
    if not args.only_quality:
        queries_in_order = [queries[q] for q in sorted(queries)]
        results["latency"] = section_latency(queries_in_order, args.repeats)
        save()
    log(f"wrote {args.out.with_suffix('.json')} and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
