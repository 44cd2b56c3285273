"""Choose the hybrid fusion method and weight on data other than SciFact's test queries.

Every setting (dense only, BM25 only, RRF and the min-max convex combination
at dense weights 0.2 to 0.8) ranks documents exactly as
``Retriever.search_documents`` does (``Retriever.rank_documents`` with the
setting's fusion), from each query's vector and BM25 scores computed once.

Chosen on (the default, "untuned" for SciFact's test queries):

* the SciFact **train** claims: the 809 claims of ``queries.jsonl`` outside
  the test qrels, of which 505 carry evidence abstracts in their ``metadata``
  (564 judgements); those are their relevant documents. Same corpus, other
  queries: none of the 300 test queries is used;
* SQuAD v1.1 dev, open-domain: ``--squad-limit`` questions (seeded) over all
  2,067 paragraphs, scored by top-1 paragraph accuracy.

The rule is the one this script has always used: the fused setting with the
highest SciFact nDCG@10 plus SQuAD top-1 on the tuning data. The SciFact test
figures of the chosen setting are then measured once, untuned. For
comparison the earlier protocol is kept beside it, labelled: tuned on the
even half of the test queries plus SQuAD, reported on the odd half.

Usage: .venv/bin/python eval/tune_fusion.py [--squad-limit 2000]
Writes eval/results/fusion.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytrec_eval

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from seedqa.evaluation.corpus import CorpusIndex, corpus_index  # noqa: E402
from seedqa.evaluation.datasets import load_beir, load_squad, sample_questions  # noqa: E402
from seedqa.index.embed import Embedder  # noqa: E402
from seedqa.qa.fusion import FUSION_METHODS  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "eval" / ".cache"
WEIGHTS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
DEPTH = 100


def scifact_train(folder: Path, test_qrels: dict) -> tuple[dict[str, str], dict[str, dict]]:
    """SciFact train claims with evidence: ``(queries, qrels)`` from ``queries.jsonl`` metadata.

    BEIR's SciFact ``queries.jsonl`` holds the train claims too; a claim's
    ``metadata`` maps each evidence abstract to its rationale sentences.
    """
    queries, qrels = {}, {}
    with open(folder / "queries.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["_id"] in test_qrels or not row.get("metadata"):
                continue
            queries[row["_id"]] = row["text"]
            qrels[row["_id"]] = {str(doc): 1 for doc in row["metadata"]}
    return queries, qrels


def signal_table(index: CorpusIndex, queries: dict[str, str]) -> dict:
    """Each query's vector and every chunk's BM25 score, computed once."""
    return {qid: index.retriever.signals(text, "hybrid") for qid, text in queries.items()}


def setting_run(index: CorpusIndex, table: dict, method: str, weight: float) -> dict:
    """Every query's top ``DEPTH`` documents (benchmark ids → rank score) under one setting."""
    retriever = index.retriever
    if method in ("dense", "lexical"):
        mode, fuse = method, None
    else:
        mode, fuse = "hybrid", partial(FUSION_METHODS[method], dense_weight=weight)
    run = {}
    for qid, signals in table.items():
        ranking = retriever.rank_documents(signals, DEPTH, mode, fuse)
        names = [index.to_original(retriever.documents.doc_ids[d]) for d in ranking.docs]
        run[qid] = {name: float(DEPTH - i) for i, name in enumerate(names)}
    return run


def ir_scores(qrels: dict, run: dict, qids: list[str]) -> dict[str, float]:
    measures = {"ndcg_cut_10", "recall_100"}
    evaluator = pytrec_eval.RelevanceEvaluator({q: qrels[q] for q in qids}, measures)
    results = evaluator.evaluate({q: run.get(q, {}) for q in qids})
    return {
        "ndcg@10": float(np.mean([results[q]["ndcg_cut_10"] for q in qids])),
        "recall@100": float(np.mean([results[q]["recall_100"] for q in qids])),
    }


def top1(run: dict, gold: dict[str, str]) -> float:
    hits = [max(run[q], key=run[q].get) == gold[q] if run[q] else False for q in gold]
    return float(np.mean(hits))


def settings() -> list[tuple[str, float]]:
    grid = [("dense", 1.0), ("lexical", 0.0)]
    return grid + [(m, w) for m in FUSION_METHODS for w in WEIGHTS]


def print_table(rows: list[dict], chosen: dict, half: dict) -> None:
    print(
        f"{'method':8} {'w':>4} {'train':>7} {'squad@1':>8} {'TEST':>7} {'R@100':>7} "
        f"{'half-t':>7} {'half-r':>7}"
    )
    for r in rows:
        mark = "  <- chosen (untuned)" if r is chosen else ""
        mark += "  <- chosen on the half split" if r is half else ""
        print(
            f"{r['method']:8} {r['dense_weight']:4.1f} {r['scifact_train_ndcg10']:7.4f} "
            f"{r['squad_top1']:8.4f} {r['scifact_test_ndcg10']:7.4f} "
            f"{r['scifact_test_recall100']:7.4f} {r['scifact_half_tune_ndcg10']:7.4f} "
            f"{r['scifact_half_report_ndcg10']:7.4f}{mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--squad-limit", type=int, default=2000)
    parser.add_argument("--scifact", type=Path, default=SHARED / "scifact")
    parser.add_argument("--squad", type=Path, default=SHARED / "squad" / "dev-v1.1.json")
    parser.add_argument("--scifact-index", type=Path, default=CACHE / "scifact")
    parser.add_argument("--squad-index", type=Path, default=CACHE / "squad")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "fusion.json")
    args = parser.parse_args()
    embedder = Embedder.load()

    started = time.perf_counter()
    beir = load_beir(args.scifact)
    test_ids = sorted(beir.qrels, key=int)
    half_tune, half_report = test_ids[0::2], test_ids[1::2]
    train_queries, train_qrels = scifact_train(args.scifact, beir.qrels)
    train_ids = sorted(train_qrels, key=int)
    squad_data = load_squad(args.squad)
    picked = sample_questions(squad_data.questions, args.squad_limit)
    squad_queries = {q.id: q.question for q in picked}
    squad_gold = {q.id: q.source for q in picked}
    with (
        corpus_index(beir.documents, "scifact", args.scifact_index, embedder=embedder,
                     progress=True) as scifact,
        corpus_index(squad_data.paragraphs, "squad", args.squad_index, embedder=embedder,
                     progress=True) as squad,
    ):  # fmt: skip
        sci_table = signal_table(scifact, {**train_queries, **beir.queries})
        squad_table = signal_table(squad, squad_queries)
        rows = []
        for method, weight in settings():
            sci_run = setting_run(scifact, sci_table, method, weight)
            squad_run = setting_run(squad, squad_table, method, weight)
            test = ir_scores(beir.qrels, sci_run, test_ids)
            rows.append(
                {
                    "method": method,
                    "dense_weight": weight,
                    "scifact_train_ndcg10": ir_scores(train_qrels, sci_run, train_ids)["ndcg@10"],
                    "squad_top1": top1(squad_run, squad_gold),
                    "scifact_test_ndcg10": test["ndcg@10"],
                    "scifact_test_recall100": test["recall@100"],
                    "scifact_half_tune_ndcg10": ir_scores(beir.qrels, sci_run, half_tune)[
                        "ndcg@10"
                    ],
                    "scifact_half_report_ndcg10": ir_scores(beir.qrels, sci_run, half_report)[
                        "ndcg@10"
                    ],
                }
            )
    fused = [r for r in rows if r["method"] in FUSION_METHODS]
    chosen = max(fused, key=lambda r: r["scifact_train_ndcg10"] + r["squad_top1"])
    half = max(fused, key=lambda r: r["scifact_half_tune_ndcg10"] + r["squad_top1"])
    print_table(rows, chosen, half)
    result = {
        "chosen": chosen,
        "half_split": half,
        "rows": rows,
        "tuning": {
            "scifact_train_queries": len(train_ids),
            "scifact_train_judgements": sum(len(v) for v in train_qrels.values()),
            "squad_questions": len(squad_gold),
            "rule": "max of SciFact-train nDCG@10 + SQuAD top-1 over fused settings",
        },
        "scifact_test_queries": len(test_ids),
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"chosen: {chosen['method']} dense_weight={chosen['dense_weight']} on SciFact train "
        f"({len(train_ids)} claims) + SQuAD ({len(squad_gold)}); SciFact test nDCG@10 "
        f"{chosen['scifact_test_ndcg10']:.4f}, Recall@100 {chosen['scifact_test_recall100']:.4f} "
        f"(untuned); wrote {args.out}"
    )


if __name__ == "__main__":
    main()
