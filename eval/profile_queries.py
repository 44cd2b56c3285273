"""Where does a query spend its time? Sampled profiles of SciFact queries, per stage.

Runs the SciFact test queries through ``Retriever`` in each mode, the way
``seedqa eval beir`` does (the top 100 documents per query), in a child
process sampled by py-spy (``pip install -e '.[bench]'``) at 400 Hz, which
adds almost nothing to the code it measures. Each sample's Python stack is
assigned to the deepest stage it is in (query encoder, FAISS, BM25, fusion,
per-hit objects, ...); shares of samples times the measured mean latency give
milliseconds per stage. Without py-spy it falls back to cProfile, whose
per-call overhead inflates Python-heavy stages: prefer py-spy.

Usage::

    nice .venv/bin/python eval/profile_queries.py --index-dir eval/.cache/scifact
    # writes eval/results/profile.{json,md}; --label names the run (e.g. before/after)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval" / "results"
LOOP = "query_loop"

#: Qualified function name -> stage. Walking a sampled stack from the root, the
#: deepest frame that matches names the stage, so inner rules refine outer ones.
#: A rule matches the name itself and anything nested in it (``name.<locals>...``).
RULES: dict[str, str] = {
    LOOP: "other (loop, ids)",
    "Retriever.search": "retriever: ranking and bookkeeping",
    "Retriever.search_documents": "retriever: ranking and bookkeeping",
    "Retriever._candidates": "candidate pool (chunk rows)",
    "Retriever.candidates": "candidate pool (chunk rows)",
    "Retriever.signals": "retriever: ranking and bookkeeping",
    "rank_documents": "document pools and ranking (numpy)",
    "document_candidates": "document pools and ranking (numpy)",
    "hybrid_pool": "document pools and ranking (numpy)",
    "dense_pool": "document pools and ranking (numpy)",
    "exact_dense": "read back candidate vectors",
    "best_rows": "chunk that stands for each document",
    "ChunkDocuments": "chunk -> document (numpy)",
    "Embedder.embed_batch": "query encoder: wrapper",
    "OnnxEncoder._batches": "query encoder: tokenizer",
    "OnnxEncoder._run": "query encoder: model (ONNX Runtime)",
    "SentenceTransformer.tokenize": "query encoder: tokenizer",
    "Module._call_impl": "query encoder: model (torch)",
    "search_vectors": "FAISS search",
    "handle_Index.<locals>.replacement_reconstruct_batch": "read back candidate vectors",
    "LexicalIndex.scores": "BM25 scoring",
    "LexicalIndex.tokenize": "BM25 query tokenizer",
    "convex_combination": "fusion",
    "reciprocal_rank_fusion": "fusion",
    "_rank_hybrid": "fusion",
    "Retriever.search.<locals>.<listcomp>": "per-hit Python objects",
    "Retriever.search_documents.<locals>.<listcomp>": "per-hit Python objects",
    "Retriever._hit": "per-hit Python objects",
    "Retriever._hits": "per-hit Python objects",
    "RetrievalMode.signals": "per-hit Python objects",
    "run_queries.<locals>.<genexpr>": "chunk -> document (Python)",
}
_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def _rule(func: str) -> str | None:
    """The stage of the innermost rule that names ``func`` or an enclosing scope of it."""
    parts = func.split(".")
    for end in range(len(parts), 0, -1):
        label = RULES.get(".".join(parts[:end]))
        if label:
            return label
    return None


def stage_of(frames: list[str]) -> str | None:
    """The stage of one sampled stack (root first), or None outside the query loop."""
    stage = None
    for frame in frames:
        match = _FRAME.match(frame.strip())
        func = match["func"] if match else frame.strip()
        if stage is None and func != LOOP:
            continue
        stage = _rule(func) or stage
    return stage


def aggregate(raw: Path) -> Counter:
    """Samples per stage from py-spy's collapsed-stack output."""
    counts: Counter = Counter()
    for line in raw.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        stage = stage_of(stack.split(";"))
        if stage:
            counts[stage] += int(number)
    return counts


# ---------------------------------------------------------------- the measured child


def query_loop(retriever, queries: list[str], mode: str, depth: int) -> list[float]:
    """Run every query; return wall milliseconds per query (the sampled loop)."""
    return run_queries(retriever, queries, mode, depth)


def run_queries(retriever, queries: list[str], mode: str, depth: int) -> list[float]:
    """Run every query the way ``seedqa eval beir`` does; return wall ms per query."""
    search_documents = getattr(retriever, "search_documents", None)
    clear = getattr(retriever.embedder, "clear_query_cache", lambda: None)
    latencies = []
    for text in queries:
        clear()  # the warm-up queries would skip the model
        started = time.perf_counter()
        if search_documents is not None:
            hits = search_documents(text, k=100, mode=mode)
            [h.doc_id for h in hits]
        else:  # checkouts before Retriever.search_documents: enough chunks for 100 documents
            hits = retriever.search(text, k=depth, mode=mode)
            list(dict.fromkeys(h.doc_id for h in hits))[:100]
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def child(args: argparse.Namespace) -> None:
    """Load the index, warm up, and time the queries of one mode (the profiled process)."""
    from seedqa.qa.retriever import Retriever

    try:
        from seedqa.evaluation.datasets import load_beir
    except ImportError:  # checkouts before the evaluation package
        from seedqa.qa.evaluation.beir import load_beir

    data = load_beir(args.scifact)
    queries = list(data.queries.values())[: args.queries or None]
    retriever = Retriever.load(args.index_dir)
    per_doc = len(retriever.chunks) / max(1, len(retriever.stored.manifest.documents))
    depth = min(1000, max(100, math.ceil(200 * per_doc)))  # what `eval beir` asked for before
    run_queries(retriever, queries[:5], args.mode, depth)  # warm-up: not sampled
    latencies = query_loop(retriever, queries, args.mode, depth)
    if args.cprofile:
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(query_loop, retriever, queries, args.mode, depth)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    Path(args.child_out).write_text(json.dumps({"latencies_ms": latencies}))


# ---------------------------------------------------------------- the parent


def profile_mode(args: argparse.Namespace, mode: str, work: Path) -> dict:
    """Profile one mode in a child process; return its stage table."""
    out, raw = work / f"{mode}.json", work / f"{mode}.txt"
    command = [sys.executable, __file__, "--child", "--mode", mode, "--child-out", str(out)]
    command += ["--index-dir", str(args.index_dir), "--scifact", str(args.scifact)]
    command += ["--queries", str(args.queries)]
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    sampled = Path(py_spy).exists()
    if sampled:
        command = [py_spy, "record", "-r", "400", "-f", "raw", "-o", str(raw), "--", *command]
    else:
        command.append("--cprofile")
    load = [round(x, 2) for x in os.getloadavg()]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL if sampled else None)
    latencies = json.loads(out.read_text())["latencies_ms"]
    mean = sum(latencies) / len(latencies)
    counts = aggregate(raw) if raw.exists() else Counter()
    total = sum(counts.values()) or 1
    stages = {
        stage: {"share": round(n / total, 4), "ms": round(mean * n / total, 2)}
        for stage, n in counts.most_common()
    }
    latencies.sort()
    return {
        "load_before": load,
        "queries": len(latencies),
        "mean_ms": round(mean, 2),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "samples": total,
        "stages": stages,
    }


def markdown(result: dict) -> str:
    """One table per mode: stage, share of samples, milliseconds per query."""
    lines = [f"# Query profile: {result['label']}", ""]
    for mode, figures in result["modes"].items():
        lines += [
            f"## {mode}: mean {figures['mean_ms']} ms, p50 {figures['p50_ms']} ms "
            f"({figures['queries']} queries, {figures['samples']} samples, "
            f"load {figures['load_before']})",
            "",
            "| stage | share | ms/query |",
            "| --- | ---: | ---: |",
        ]
        for stage, s in figures["stages"].items():
            lines.append(f"| {stage} | {100 * s['share']:.1f} % | {s['ms']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index-dir", type=Path, default=REPO / "eval" / ".cache" / "scifact")
    parser.add_argument("--scifact", type=Path, default=REPO.parent / "shared/datasets/scifact")
    parser.add_argument("--modes", default="dense,hybrid")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--label", default="current")
    parser.add_argument("--out", type=Path, default=RESULTS / "profile")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    result = {"label": args.label, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="seedqa-profile-") as work:
        for mode in args.modes.split(","):
            result["modes"][mode] = profile_mode(args, mode, Path(work))
    text = markdown(result)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(text)


if __name__ == "__main__":
    main()
