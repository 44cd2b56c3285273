"""Run a BEIR retrieval benchmark (e.g. SciFact): nDCG@10, Recall@100, MRR@10 per mode.

The corpus is indexed with the ordinary pipeline (``evaluation.corpus``),
embedded once per run whatever the modes. Documents are ranked by their
best chunk (a document's score is the maximum over its chunks) from
``Retriever.search``, asked for enough chunks (twice the mean chunks per
document times 100) to rank 100 documents. The measures come from
pytrec_eval: ``ndcg_cut_10``, ``recall_100`` and ``recip_rank`` on the
top-10 cut (MRR@10), averaged over every qrels query.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from seedqa.evaluation.beir_result import BeirResult, QueryOutcome
from seedqa.evaluation.corpus import CorpusIndex, corpus_index
from seedqa.evaluation.datasets.beir import BeirData, load_beir
from seedqa.evaluation.metrics import distinct_docs, recall_curve, rounded, trec_scores
from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
from seedqa.qa.inputs import MAX_DEPTH
from seedqa.qa.modes import MODES

#: The cut-offs reported and plotted.
RANK_DEPTH = 100


def parse_modes(mode: str | Sequence[str]) -> tuple[str, ...]:
    """``"all"`` → every mode; a mode name or a list of names → those modes."""
    names = MODES if mode == "all" else (mode,) if isinstance(mode, str) else tuple(mode)
    for name in names:
        if name not in MODES:
            raise InvalidSetting(f"mode {name!r} is not valid; use one of {', '.join(MODES)}, all")
    return tuple(names)


def chunk_depth(n_chunks: int, n_documents: int) -> int:
    """Chunks to retrieve so that about ``RANK_DEPTH`` distinct documents come back."""
    per_doc = n_chunks / n_documents if n_documents else 1.0
    return min(MAX_DEPTH, max(RANK_DEPTH, math.ceil(2 * RANK_DEPTH * per_doc)))


def search_one(index: CorpusIndex, qid: str, text: str, mode: str, depth: int) -> QueryOutcome:
    """Search one query and rank the benchmark's documents by their best chunk."""
    started = time.perf_counter()
    hits = index.retriever.search(text, k=depth, mode=mode)
    latency = (time.perf_counter() - started) * 1000
    ranked = distinct_docs(index.to_original(h.doc_id) for h in hits)
    return QueryOutcome(qid, mode, tuple(ranked[:RANK_DEPTH]), latency)


def evaluate_beir(
    data: BeirData, index: CorpusIndex, modes: Sequence[str], *, progress: bool = False
) -> BeirResult:
    """Run every test query of ``data`` in each mode against ``index`` and score the rankings."""
    from tqdm import tqdm

    retriever = index.retriever
    n_docs = len(retriever.stored.manifest.documents)
    depth = chunk_depth(len(retriever.chunks), n_docs)
    result = BeirResult(
        data.name,
        {},
        n_queries=len(data.queries),
        n_documents=n_docs,
        n_chunks=len(retriever.chunks),
        depth=depth,
        build_seconds=index.build.seconds,
    )
    if data.queries:  # warm up (first model call, lazy loads) outside the timings
        retriever.search(next(iter(data.queries.values())) or "warm up", k=1, mode=modes[0])
    for mode in modes:
        queries = tqdm(
            data.queries.items(), desc=f"{data.name} {mode}", unit="q", disable=not progress
        )
        outcomes = [search_one(index, qid, text, mode, depth) for qid, text in queries]
        rankings = {o.id: list(o.ranking) for o in outcomes}
        latencies = [o.latency_ms for o in outcomes]
        scores = trec_scores(data.qrels, rankings)
        total_s = sum(latencies) / 1000
        result.modes[mode] = {
            "ndcg@10": rounded(scores["ndcg@10"]),
            "recall@100": rounded(scores["recall@100"]),
            "mrr@10": rounded(scores["mrr@10"]),
            "queries_per_s": rounded(len(latencies) / total_s if total_s else None, 1),
        }
        result.curves[mode] = recall_curve(rankings, data.qrels, RANK_DEPTH)
        result.latencies_ms[mode] = latencies
    return result


def run_beir(
    directory: str | Path,
    *,
    mode: str | Sequence[str] = "all",
    index_dir: str | Path | None = None,
    progress: bool = False,
    embedder: Embedder | None = None,
    on_status: Callable[[str], None] | None = None,
) -> BeirResult:
    """Evaluate retrieval on the BEIR folder ``directory`` in ``mode`` (a mode or ``"all"``).

    The corpus is indexed into ``index_dir`` when given (kept, so that a
    re-run embeds nothing) or into a temporary directory.
    """
    modes = parse_modes(mode)
    data = load_beir(directory)
    with corpus_index(
        data.documents,
        data.name,
        index_dir,
        embedder=embedder,
        progress=progress,
        on_status=on_status,
    ) as index:
        if on_status:
            on_status(index.build.summary())
        return evaluate_beir(data, index, modes, progress=progress)
