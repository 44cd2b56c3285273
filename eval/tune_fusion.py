"""Choose the hybrid fusion method and weight by measurement, not by guessing.

Tunes on SQuAD v1.1 dev (open-domain paragraph retrieval) and on one half of
SciFact's test queries (even positions of the sorted query ids), then
reports every setting on the other half and on all 300 queries, so that the
reported figure is never measured on the queries it was tuned on.

Datasets are read with the evaluation package's loaders and indexed with its
corpus index (reused when the indexes exist, e.g. those `make eval` keeps).

Usage: .venv/bin/python eval/tune_fusion.py [--squad-limit 2000]
Writes eval/results/fusion.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytrec_eval

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seedqa.evaluation.corpus import CorpusIndex, corpus_index  # noqa: E402
from seedqa.evaluation.datasets import load_beir, load_squad  # noqa: E402
from seedqa.index.embed import Embedder  # noqa: E402
from seedqa.qa.fusion import FUSION_METHODS  # noqa: E402
from seedqa.qa.retriever import Retriever  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "eval" / ".cache"
WEIGHTS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
DEPTH = 100


def candidate_table(retriever: Retriever, queries: dict[str, str]) -> dict[str, tuple]:
    """For each query: candidate rows with dense and lexical scores (computed once)."""
    table = {}
    for qid, text in queries.items():
        table[qid] = retriever.candidates(text, DEPTH, "hybrid")
    return table


def doc_run(index: CorpusIndex, table: dict, method: str, weight: float) -> dict:
    """Doc-level run: a document's score is its best chunk's fused score."""
    run = {}
    for qid, candidates in table.items():
        if method == "dense":
            fused = candidates.dense
        elif method == "lexical":
            fused = candidates.lexical
        else:
            fused = FUSION_METHODS[method](candidates.dense, candidates.lexical, weight)
        scores: dict[str, float] = {}
        for row, value in zip(candidates.rows, fused, strict=True):
            doc = index.to_original(index.retriever.chunks[int(row)].doc_id)
            if value > scores.get(doc, -np.inf):
                scores[doc] = float(value)
        run[qid] = scores
    return run


def ndcg10(qrels: dict, run: dict, qids: list[str]) -> float:
    evaluator = pytrec_eval.RelevanceEvaluator({q: qrels[q] for q in qids}, {"ndcg_cut_10"})
    results = evaluator.evaluate({q: run[q] for q in qids})
    return float(np.mean([r["ndcg_cut_10"] for r in results.values()]))


def top1(run: dict, gold: dict[str, str]) -> float:
    hits = [max(run[q], key=run[q].get) == gold[q] if run[q] else False for q in gold]
    return float(np.mean(hits))


def settings() -> list[tuple[str, float]]:
    grid = [("dense", 1.0), ("lexical", 0.0)]
    return grid + [(m, w) for m in FUSION_METHODS for w in WEIGHTS]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad-limit", type=int, default=2000)
    parser.add_argument(
        "--scifact-index",
        type=Path,
        default=CACHE / "scifact",
        help="SciFact index to build or reuse (e.g. the one `seedqa eval beir --index-dir` keeps)",
    )
    parser.add_argument(
        "--squad-index", type=Path, default=CACHE / "squad", help="SQuAD index to build or reuse"
    )
    args = parser.parse_args()
    embedder = Embedder.load()

    started = time.perf_counter()
    beir = load_beir(SHARED / "scifact")
    qrels = beir.qrels
    test_ids = sorted(qrels, key=int)
    tune_ids, report_ids = test_ids[0::2], test_ids[1::2]
    squad_data = load_squad(SHARED / "squad" / "dev-v1.1.json")
    rng = np.random.default_rng(0)
    picked = rng.choice(len(squad_data.questions), size=args.squad_limit, replace=False)
    squad_queries = {str(i): squad_data.questions[i].question for i in picked}
    squad_gold = {str(i): squad_data.questions[i].source for i in picked}
    with (
        corpus_index(beir.documents, "scifact", args.scifact_index, embedder=embedder,
                     progress=True) as scifact,
        corpus_index(squad_data.paragraphs, "squad", args.squad_index, embedder=embedder,
                     progress=True) as squad,
    ):  # fmt: skip
        sci_table = candidate_table(scifact.retriever, {q: beir.queries[q] for q in test_ids})
        squad_table = candidate_table(squad.retriever, squad_queries)
    rows = []
    for method, weight in settings():
        sci_run = doc_run(scifact, sci_table, method, weight)
        squad_run = doc_run(squad, squad_table, method, weight)
        rows.append(
            {
                "method": method,
                "dense_weight": weight,
                "scifact_tune_ndcg10": ndcg10(qrels, sci_run, tune_ids),
                "scifact_report_ndcg10": ndcg10(qrels, sci_run, report_ids),
                "scifact_all_ndcg10": ndcg10(qrels, sci_run, test_ids),
                "squad_top1": top1(squad_run, squad_gold),
            }
        )
    fused = [r for r in rows if r["method"] in FUSION_METHODS]
    best = max(fused, key=lambda r: r["scifact_tune_ndcg10"] + r["squad_top1"])
    print(f"{'method':8} {'w':>4} {'tune':>7} {'report':>7} {'all':>7} {'squad@1':>8}")
    for r in rows:
        mark = "  <- chosen" if r is best else ""
        print(
            f"{r['method']:8} {r['dense_weight']:4.1f} {r['scifact_tune_ndcg10']:7.4f} "
            f"{r['scifact_report_ndcg10']:7.4f} {r['scifact_all_ndcg10']:7.4f} "
            f"{r['squad_top1']:8.4f}{mark}"
        )
    out = ROOT / "eval" / "results" / "fusion.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"chosen": best, "rows": rows, "seconds": time.perf_counter() - started}
    out.write_text(json.dumps(result, indent=2))
    print(f"chosen: {best['method']} dense_weight={best['dense_weight']} (tuned on SciFact half "
          f"+ SQuAD {args.squad_limit}); wrote {out}")


if __name__ == "__main__":
    main()
