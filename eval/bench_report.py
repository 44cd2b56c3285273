"""The index benchmark's summary table and Markdown report (eval/bench_index.py)."""

from __future__ import annotations

import json
from pathlib import Path

from bench_common import HNSW_EFS, RESULTS

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


