"""Scale benchmark: FAISS flat, FAISS HNSW and Milvus Lite at 100k and 1M chunk vectors.

The data are real all-MiniLM-L6-v2 vectors of SciFact chunks (read from a seedqa
index of SciFact), replicated to the wanted size with Gaussian noise and
re-normalised; the queries are the 300 SciFact test queries embedded with the
same model. For each engine and size a fresh worker process builds the index
and measures:

- build time (wall) and memory (anonymous RSS of the worker after the build
  minus before it: the index itself, not the memory-mapped data set);
- single-query latency p50 and p95 (one query at a time, FAISS with one
  OpenMP thread as seedqa searches; Milvus through ``MilvusClient`` as seedqa does);
- recall@10 against exact search (``IndexFlatIP`` over the same vectors).

The target at 1M: recall@10 >= 0.95 with p50 <= 10 ms for the approximate
indexes. The machine's load average is recorded around every measurement.

Usage::

    seedqa eval beir ../shared/datasets/scifact --index-dir eval/.cache/scifact   # once
    nice -n 10 .venv/bin/python eval/bench_scale.py --sizes 100000 1000000
    .venv/bin/python eval/bench_scale.py --quick      # 20k vectors, a few minutes
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval/results"
DEFAULT_INDEX = REPO / "eval/.cache/scifact"
DEFAULT_QUERIES = REPO.parent / "shared/datasets/scifact/queries.jsonl"
DEFAULT_CACHE = REPO / "eval/.cache/scale"
#: Norm of the Gaussian noise added to a unit vector before re-normalising: a copy keeps
#: a cosine of about 0.9 to its original, so copies are near but distinct neighbours.
NOISE_NORM = 0.5
K = 10
ENGINES = ("faiss-flat", "faiss-hnsw", "faiss-ivf", "milvus-hnsw", "milvus-ivf")
#: Search-time settings tried per engine (efSearch / ef for HNSW, nprobe for IVF).
SWEEPS = {
    "faiss-hnsw": (64, 96, 128, 256),
    "faiss-ivf": (8, 16, 32, 64),
    "milvus-hnsw": (64, 96, 128, 256),
    "milvus-ivf": (16, 32, 64),
    "faiss-flat": (0,),
}
HNSW_M, HNSW_EF_CONSTRUCTION = 32, 80
#: IVF lists for ``faiss-ivf``, trained on a sample of this many vectors.
IVF_LISTS, IVF_TRAIN_SAMPLE = 1024, 64_000
TARGET_RECALL, TARGET_P50_MS = 0.95, 10.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def anon_rss_mb() -> float:
    """Anonymous resident memory of this process (excludes memory-mapped files)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(samples_s: list[float]) -> dict[str, float]:
    ms = np.asarray(samples_s) * 1000
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p95_ms": round(float(np.percentile(ms, 95)), 3),
    }


# ---------------------------------------------------------------- data


def base_vectors(index_dir: Path, cache: Path) -> np.ndarray:
    """The chunk vectors of the SciFact index (cached as .npy)."""
    path = cache / "base.npy"
    if not path.exists():
        from seedqa.index.store import load_index

        stored = load_index(index_dir)
        vectors = stored.vectors.vectors(np.arange(len(stored.vectors)))
        np.save(path, np.ascontiguousarray(vectors, dtype=np.float32))
    return np.load(path)


def query_vectors(queries_file: Path, cache: Path) -> np.ndarray:
    """The SciFact queries embedded with the default model (cached as .npy)."""
    path = cache / "queries.npy"
    if not path.exists():
        from seedqa.index.embed import Embedder

        texts = [json.loads(line)["text"] for line in queries_file.open(encoding="utf-8")]
        embedder = Embedder.load()
        np.save(path, np.stack([embedder.embed_query(t) for t in texts]).astype(np.float32))
    return np.load(path)


def dataset(base: np.ndarray, n: int, cache: Path, noise: float) -> Path:
    """Write ``n`` noisy unit copies of ``base`` (row i copies base[i % len(base)])."""
    path = cache / f"data-{n}-{noise}.npy"
    if path.exists():
        return path
    out = np.lib.format.open_memmap(
        path.with_suffix(".tmp.npy"), mode="w+", dtype=np.float32, shape=(n, base.shape[1])
    )
    rng = np.random.default_rng(n)
    sigma = noise / np.sqrt(base.shape[1])
    for start in range(0, n, 100_000):
        rows = np.arange(start, min(n, start + 100_000))
        block = base[rows % len(base)] + rng.normal(0, sigma, (len(rows), base.shape[1]))
        out[start : start + len(rows)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    out.flush()
    del out
    os.replace(path.with_suffix(".tmp.npy"), path)
    return path


def ground_truth(data_path: Path, queries: np.ndarray) -> np.ndarray:
    """Exact top-K ids of every query (cached beside the data set)."""
    path = data_path.with_suffix(".truth.npy")
    if not path.exists():
        import faiss

        data = np.load(data_path, mmap_mode="r")
        index = faiss.IndexFlatIP(data.shape[1])
        for start in range(0, len(data), 100_000):
            index.add(np.ascontiguousarray(data[start : start + 100_000]))
        np.save(path, index.search(queries, K)[1])
    return np.load(path)


def recall_at_k(found: list[list[int]], truth: np.ndarray) -> float:
    shares = [len(set(f[:K]) & set(t)) / K for f, t in zip(found, truth, strict=True)]
    return round(float(np.mean(shares)), 4)


# ---------------------------------------------------------------- engines (worker side)


def faiss_engine(kind: str, data: np.ndarray, workdir: Path):
    """Build a FAISS index; return (search(query, setting) -> ids, set-up info)."""
    import faiss

    faiss.omp_set_num_threads(2)
    dim = data.shape[1]
    params: dict = {}
    if kind == "faiss-flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "faiss-ivf":
        index = faiss.IndexIVFFlat(
            faiss.IndexFlatIP(dim), dim, IVF_LISTS, faiss.METRIC_INNER_PRODUCT
        )
        sample = np.random.default_rng(0).choice(len(data), IVF_TRAIN_SAMPLE, replace=False)
        index.train(np.ascontiguousarray(data[np.sort(sample)]))
        params = {"nlist": IVF_LISTS}
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        params = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION}
    for start in range(0, len(data), 100_000):
        index.add(np.ascontiguousarray(data[start : start + 100_000]))
    faiss.omp_set_num_threads(1)

    def search(query: np.ndarray, setting: int) -> list[int]:
        if kind == "faiss-ivf":
            index.nprobe = setting
        elif setting:
            index.hnsw.efSearch = setting
        return index.search(query[None, :], K)[1][0].tolist()

    return search, {"params": params}


def milvus_engine(kind: str, data: np.ndarray, workdir: Path):
    """Build a Milvus Lite collection (insert, flush, index, load) in ``workdir``."""
    from pymilvus import DataType, MilvusClient

    client = MilvusClient(str(workdir / "bench.db"))
    schema = MilvusClient.create_schema(auto_id=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    schema.add_field("vec", DataType.FLOAT_VECTOR, dim=data.shape[1])
    client.create_collection("bench", schema=schema)
    for start in range(0, len(data), 10_000):
        block = np.ascontiguousarray(data[start : start + 10_000])
        client.insert("bench", [{"id": start + i, "vec": v} for i, v in enumerate(block)])
    client.flush("bench")
    n_lists = int(4 * np.sqrt(min(len(data), 100_000)))  # Milvus Lite indexes each segment
    index_type, params = (
        ("HNSW", {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION})
        if kind == "milvus-hnsw"
        else ("IVF_FLAT", {"nlist": n_lists})
    )
    index_params = client.prepare_index_params()
    index_params.add_index(field_name="vec", index_type=index_type, metric_type="IP", params=params)
    try:
        client.create_index("bench", index_params)
    except Exception as error:  # pymilvus retries a long build when its wait fails on Lite
        if "already exists" not in str(error):
            raise
    client.load_collection("bench")
    state = client.describe_index("bench", "vec")
    if state.get("index_type") != index_type or state.get("pending_index_rows"):
        raise RuntimeError(f"Milvus Lite did not build the {index_type} index: {state}")
    key = "ef" if kind == "milvus-hnsw" else "nprobe"
    import faiss  # Milvus Lite searches with FAISS in this process: one thread, like seedqa

    faiss.omp_set_num_threads(1)

    def search(query: np.ndarray, setting: int) -> list[int]:
        result = client.search(
            "bench",
            data=[query.tolist()],
            limit=K,
            anns_field="vec",
            search_params={"params": {key: setting}},
        )
        return [hit["id"] for hit in result[0]]

    segments = len(list((workdir / "bench.db").rglob("data_*.parquet")))
    return search, {"index_type": index_type, "params": params, "segments": segments}


def worker(args: argparse.Namespace) -> dict:
    """Build one engine at one size in this (fresh) process and measure it."""
    data = np.load(args.data, mmap_mode="r")
    queries = np.load(args.queries_npy)[: args.n_queries]
    truth = np.load(args.truth)[: args.n_queries]
    workdir = Path(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    make = faiss_engine if args.engine.startswith("faiss") else milvus_engine
    if make is milvus_engine:  # count the engine's data and indexes, not its code
        import milvus_lite.adapter.grpc.server  # noqa: F401
        import pymilvus  # noqa: F401
    load_before = load_avg()
    rss_before = anon_rss_mb()
    started = time.perf_counter()
    search, info = make(args.engine, data, workdir)
    build_s = time.perf_counter() - started
    rss_after = anon_rss_mb()
    disk_mb = sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file()) / 2**20
    runs = []
    sweep = SWEEPS[args.engine] if args.engine == "faiss-flat" or not args.sweep else args.sweep
    for setting in sweep:
        search(queries[0], setting)  # warm-up
        found, times = [], []
        for query in queries:
            t0 = time.perf_counter()
            found.append(search(query, setting))
            times.append(time.perf_counter() - t0)
        recall = recall_at_k(found, truth)
        runs.append({"setting": setting, "recall@10": recall, **percentiles(times)})
        log(f"  {args.engine} n={len(data):,} setting={setting}: {runs[-1]}")
    shutil.rmtree(workdir, ignore_errors=True)
    return {
        "engine": args.engine,
        "n": len(data),
        "build_s": round(build_s, 1),
        "memory_mb": round(rss_after - rss_before, 1),
        "disk_mb": round(disk_mb, 1),
        "n_queries": len(queries),
        "runs": runs,
        "load_avg_before": load_before,
        "load_avg_after": load_avg(),
        **info,
    }


# ---------------------------------------------------------------- driver


def chosen_run(result: dict) -> dict:
    """The fastest setting that meets the recall target, else the most accurate one."""
    meeting = [r for r in result["runs"] if r["recall@10"] >= TARGET_RECALL]
    if meeting:
        return min(meeting, key=lambda r: r["p50_ms"])
    return max(result["runs"], key=lambda r: r["recall@10"])


def run_worker(engine: str, n: int, paths: dict, args: argparse.Namespace) -> dict:
    """Run one measurement in a fresh process (clean memory figures, no shared state)."""
    n_queries = args.milvus_queries if engine.startswith("milvus") else args.queries_count
    command = [
        sys.executable,
        __file__,
        "--worker",
        engine,
        "--data",
        str(paths["data"]),
        "--queries-npy",
        str(paths["queries"]),
        "--truth",
        str(paths["truth"]),
        "--workdir",
        str(args.cache / f"work-{engine}"),
        "--n-queries",
        str(n_queries),
        *(["--sweep", *map(str, args.settings)] if args.settings else []),
        "--hnsw",
        str(HNSW_M),
        str(HNSW_EF_CONSTRUCTION),
    ]
    log(f"{engine} n={n:,}: building (load average {load_avg()})")
    done = subprocess.run(command, capture_output=True, text=True)
    sys.stderr.write(done.stderr[-3000:])
    if done.returncode != 0:
        return {"engine": engine, "n": n, "error": done.stderr.strip().splitlines()[-1:]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["chosen"] = chosen_run(result)
    log(
        f"{engine} n={n:,}: build {result['build_s']} s, memory {result['memory_mb']} MB, "
        f"chosen {result['chosen']}"
    )
    return result


def engine_label(result: dict) -> str:
    """The engine's name, with its HNSW graph parameters when it has them."""
    params = result.get("params") or {}
    if "M" not in params:
        return result["engine"]
    return f"{result['engine']} (M {params['M']}, efC {params['efConstruction']})"


def machine_line(report: dict) -> str:
    """The machine and its load while the report's runs were measured."""
    if "merged_from" not in report:
        return (
            f"Machine: {os.cpu_count()} cores; load average {report['load_avg_start']} at the "
            f"start, {report['load_avg_end']} at the end."
        )
    loads = [r["load_avg_before"][0] for r in report["results"] if "load_avg_before" in r]
    return (
        f"Machine: {os.cpu_count()} cores, shared; runs made at different times, 1-minute load "
        f"average from {min(loads)} to {max(loads)} when each started (last column)."
    )


def markdown(report: dict) -> str:
    lines = [
        "# Scale benchmark (`eval/bench_scale.py`)",
        "",
        f"Data: {report['base_vectors']:,} real MiniLM SciFact chunk vectors replicated with "
        f"noise (norm {report['noise']}) and re-normalised; queries: SciFact test queries. "
        f"Target at 1M: recall@10 >= {TARGET_RECALL} with p50 <= {TARGET_P50_MS} ms.",
        "",
        machine_line(report),
        "",
        "| engine | vectors | build s | memory MB | setting | recall@10 | p50 ms | p95 ms "
        "| queries | load avg |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in report["results"]:
        if "error" in r:
            lines.append(f"| {r['engine']} | {r['n']:,} | failed: {r['error']} |||||||| |")
            continue
        label = engine_label(r)
        for run in r["runs"]:
            mark = " **(chosen)**" if run == r["chosen"] else ""
            lines.append(
                f"| {label} | {r['n']:,} | {r['build_s']} | {r['memory_mb']} | "
                f"{run['setting'] or 'exact'}{mark} | {run['recall@10']} | {run['p50_ms']} | "
                f"{run['p95_ms']} | {r['n_queries']} | {r['load_avg_before'][0]} |"
            )
    return "\n".join(lines) + "\n"


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    measured = [r for r in report["results"] if "chosen" in r]
    for engine in dict.fromkeys(engine_label(r) for r in measured):
        rows = sorted((r for r in measured if engine_label(r) == engine), key=lambda r: r["n"])
        sizes = [r["n"] for r in rows]
        left.plot(sizes, [r["chosen"]["p50_ms"] for r in rows], marker="o", label=f"{engine} p50")
        left.plot(
            sizes, [r["chosen"]["p95_ms"] for r in rows], ls=":", marker=".", label=f"{engine} p95"
        )
        right.plot(sizes, [r["chosen"]["recall@10"] for r in rows], marker="o", label=engine)
    left.axhline(TARGET_P50_MS, color="grey", ls="--", lw=0.8)
    right.axhline(TARGET_RECALL, color="grey", ls="--", lw=0.8)
    for axis, label in ((left, "single-query latency (ms)"), (right, "recall@10 vs exact")):
        axis.set_xscale("log")
        axis.set_xlabel("vectors")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    left.set_yscale("log")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    fig.suptitle(f"seedqa scale benchmark\n{machine_line(report)}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def merge(paths: list[Path], out: Path) -> int:
    """Combine reports of runs made side by side into one report (JSON, Markdown, plot)."""
    reports = [json.loads(path.read_text()) for path in paths]
    report = dict(reports[0])
    report["results"] = sorted(
        (r for part in reports for r in part["results"]),
        key=lambda r: (r["n"], ENGINES.index(r["engine"])),
    )
    report["load_avg_start"] = max((part["load_avg_start"] for part in reports), key=lambda x: x[0])
    report["load_avg_end"] = max((part["load_avg_end"] for part in reports), key=lambda x: x[0])
    report["merged_from"] = [str(path) for path in paths]
    out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    out.with_suffix(".md").write_text(markdown(report))
    plot(report, out.with_suffix(".png"))
    print(markdown(report))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line of the benchmark (and of its worker processes)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=DEFAULT_INDEX,
        help="a seedqa index of SciFact (source of the base vectors)",
    )
    parser.add_argument("--queries-file", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--noise", type=float, default=NOISE_NORM)
    parser.add_argument("--queries-count", type=int, default=300)
    parser.add_argument(
        "--milvus-queries",
        type=int,
        default=30,
        help="queries per Milvus Lite setting (its search is slow at 1M)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_scale")
    parser.add_argument("--quick", action="store_true", help="20k vectors, 50 queries")
    parser.add_argument(
        "--append",
        action="store_true",
        help="add to the results already in --out (same runs replaced)",
    )
    for name in ("--worker", "--data", "--queries-npy", "--truth", "--workdir"):
        parser.add_argument(name, help=argparse.SUPPRESS)
    parser.add_argument("--n-queries", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--sweep", type=int, nargs="+", help=argparse.SUPPRESS)
    parser.add_argument(
        "--settings",
        type=int,
        nargs="+",
        help="search settings to try (ef or nprobe) instead of the default sweep",
    )
    parser.add_argument(
        "--hnsw",
        type=int,
        nargs=2,
        metavar=("M", "EF_CONSTRUCTION"),
        help=f"HNSW graph degree and build-time ef ({HNSW_M} {HNSW_EF_CONSTRUCTION})",
    )
    parser.add_argument(
        "--merge",
        type=Path,
        nargs="+",
        help="combine these result JSON files (runs made side by side) into --out",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--worker``, one measurement of it)."""
    global HNSW_M, HNSW_EF_CONSTRUCTION
    args = build_parser().parse_args(argv)
    if args.hnsw:
        HNSW_M, HNSW_EF_CONSTRUCTION = args.hnsw
    if args.merge:
        return merge(args.merge, args.out)
    if args.worker:
        args.engine = args.worker
        print(json.dumps(worker(args)))
        return 0
    if args.quick:
        args.sizes, args.queries_count, args.milvus_queries = [20_000], 50, 50
        args.out = args.cache / "bench_scale_quick"
    if not args.index_dir.exists() and not (args.cache / "base.npy").exists():
        print(
            f"no SciFact index at {args.index_dir}; build it with `seedqa eval beir "
            f"../shared/datasets/scifact --index-dir {args.index_dir}`",
            file=sys.stderr,
        )
        return 2
    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    base = base_vectors(args.index_dir, args.cache)
    queries = query_vectors(args.queries_file, args.cache)
    report = {
        "base_vectors": len(base),
        "noise": args.noise,
        "k": K,
        "load_avg_start": load_avg(),
        "results": [],
    }
    if args.append and args.out.with_suffix(".json").exists():
        report = json.loads(args.out.with_suffix(".json").read_text())
        runs = {(engine, n) for engine in args.engines for n in args.sizes}
        report["results"] = [r for r in report["results"] if (r["engine"], r["n"]) not in runs]
    for n in args.sizes:
        data = dataset(base, n, args.cache, args.noise)
        paths = {
            "data": data,
            "queries": args.cache / "queries.npy",
            "truth": data.with_suffix(".truth.npy"),
        }
        ground_truth(data, queries)
        for engine in args.engines:
            report["results"].append(run_worker(engine, n, paths, args))
            report["results"].sort(key=lambda r: (r["n"], ENGINES.index(r["engine"])))
            report["load_avg_end"] = load_avg()
            args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    report["load_avg_end"] = load_avg()
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2))
    args.out.with_suffix(".md").write_text(markdown(report))
    plot(report, args.out.with_suffix(".png"))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
