"""Choose the hybrid fusion method and weight by measurement, not by guessing.

Tunes on SQuAD v1.1 dev (open-domain paragraph retrieval) and on one half of
SciFact's test queries (even positions of the sorted query ids), then
reports every setting on the other half and on all 300 queries, so that the
reported figure is never measured on the queries it was tuned on.

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

from seedqa.index.build import build_index  # noqa: E402
from seedqa.index.embed import Embedder  # noqa: E402
from seedqa.qa.fusion import FUSION_METHODS  # noqa: E402
from seedqa.qa.retriever import Retriever  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
CACHE = ROOT / "eval" / ".cache"
WEIGHTS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
DEPTH = 100


def write_scifact(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(SHARED / "scifact" / "corpus.jsonl", encoding="utf-8") as handle:
        for line in handle:
            doc = json.loads(line)
            path = folder / f"{doc['_id']}.txt"
            if not path.exists():
                path.write_text(f"{doc['title']}\n\n{doc['text']}", encoding="utf-8")


def write_squad(folder: Path) -> list[tuple[str, str]]:
    """Write each SQuAD dev paragraph as a file; return (question, paragraph file id)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads((SHARED / "squad" / "dev-v1.1.json").read_text(encoding="utf-8"))
    questions = []
    for a, article in enumerate(data["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            name = f"{a:02d}-{p:03d}"
            path = folder / f"{name}.txt"
            if not path.exists():
                path.write_text(paragraph["context"], encoding="utf-8")
            questions += [(qa["question"], name) for qa in paragraph["qas"]]
    return questions


def candidate_table(retriever: Retriever, queries: dict[str, str]) -> dict[str, tuple]:
    """For each query: candidate rows with dense and lexical scores (computed once)."""
    table = {}
    for qid, text in queries.items():
        table[qid] = retriever.candidates(text, DEPTH, "hybrid")
    return table


def doc_run(retriever: Retriever, table: dict, method: str, weight: float) -> dict:
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
            doc = Path(retriever.chunks[int(row)].doc_id).stem
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
        default=None,
        help="reuse an index of SciFact (e.g. the one `seedqa eval beir --index-dir` keeps)",
    )
    args = parser.parse_args()
    embedder = Embedder.load()

    started = time.perf_counter()
    if args.scifact_index is None:
        args.scifact_index = CACHE / "scifact-index"
        write_scifact(CACHE / "scifact-docs")
        build_index([CACHE / "scifact-docs"], args.scifact_index, embedder=embedder, progress=True)
    scifact = Retriever.load(args.scifact_index, embedder=embedder)
    queries = {}
    with open(SHARED / "scifact" / "queries.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            queries[row["_id"]] = row["text"]
    qrels: dict[str, dict[str, int]] = {}
    for line in (SHARED / "scifact" / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, doc, score = line.split("\t")
        qrels.setdefault(qid, {})[doc] = int(score)
    test_ids = sorted(qrels, key=int)
    tune_ids, report_ids = test_ids[0::2], test_ids[1::2]
    sci_table = candidate_table(scifact, {q: queries[q] for q in test_ids})

    squad_questions = write_squad(CACHE / "squad-docs")
    build_index([CACHE / "squad-docs"], CACHE / "squad-index", embedder=embedder, progress=True)
    squad = Retriever.load(CACHE / "squad-index", embedder=embedder)
    rng = np.random.default_rng(0)
    picked = rng.choice(len(squad_questions), size=args.squad_limit, replace=False)
    squad_queries = {str(i): squad_questions[i][0] for i in picked}
    squad_gold = {str(i): squad_questions[i][1] for i in picked}
    squad_table = candidate_table(squad, squad_queries)

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
