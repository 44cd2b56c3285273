"""Run a BEIR retrieval benchmark (e.g. SciFact): nDCG@10, Recall@100, MRR@10 per mode.

The corpus is indexed with the ordinary pipeline (``evaluation.corpus``),
embedded once per run whatever the modes. Each query asks
``Retriever.search_documents`` for its top 100 documents (a document scores
as its best chunk) and its latency is timed, one query at a time, warm, with
the query embedding cache cleared first (every mode embeds every query). The
measures come from pytrec_eval: ``ndcg_cut_10``, ``recall_100`` and
``recip_rank`` on the top-10 cut (MRR@10), averaged over every qrels query;
latency as p50 and p95 beside queries per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from seedqa.evaluation.beir_result import BeirResult, QueryOutcome
from seedqa.evaluation.corpus import CorpusIndex, corpus_index
from seedqa.evaluation.datasets.beir import BeirData, load_beir
from seedqa.evaluation.metrics import percentile, recall_curve, rounded, trec_scores
from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
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


def search_one(index: CorpusIndex, qid: str, text: str, mode: str) -> QueryOutcome:
    """Search one query for the top ``RANK_DEPTH`` documents, timed (the model always runs)."""
    index.retriever.embedder.clear_query_cache()  # another mode asked it already
    started = time.perf_counter()
    hits = index.retriever.search_documents(text, k=RANK_DEPTH, mode=mode)
    latency = (time.perf_counter() - started) * 1000
    return QueryOutcome(qid, mode, tuple(index.to_original(h.doc_id) for h in hits), latency)


def evaluate_beir(
    data: BeirData, index: CorpusIndex, modes: Sequence[str], *, progress: bool = False
) -> BeirResult:
    """Run every test query of ``data`` in each mode against ``index`` and score the rankings."""
    from tqdm import tqdm

    retriever = index.retriever
    result = BeirResult(
        data.name,
        {},
        n_queries=len(data.queries),
        n_documents=len(retriever.stored.manifest.documents),
        n_chunks=len(retriever.chunks),
        build_seconds=index.build.seconds,
    )
    warm_up = next(iter(data.queries.values()), "") or "warm up"
    for mode in modes:  # first model call, lazy loads: outside the timings
        retriever.search_documents(warm_up, k=RANK_DEPTH, mode=mode)
    for mode in modes:
        queries = tqdm(
            data.queries.items(), desc=f"{data.name} {mode}", unit="q", disable=not progress
        )
        outcomes = [search_one(index, qid, text, mode) for qid, text in queries]
        rankings = {o.id: list(o.ranking) for o in outcomes}
        latencies = [o.latency_ms for o in outcomes]
        scores = trec_scores(data.qrels, rankings)
        total_s = sum(latencies) / 1000
        result.modes[mode] = {
            "ndcg@10": rounded(scores["ndcg@10"]),
            "recall@100": rounded(scores["recall@100"]),
            "mrr@10": rounded(scores["mrr@10"]),
            "queries_per_s": rounded(len(latencies) / total_s if total_s else None, 1),
            "latency_ms": {
                "p50": rounded(percentile(latencies, 50), 2),
                "p95": rounded(percentile(latencies, 95), 2),
            },
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
