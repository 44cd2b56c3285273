"""Measures shared by the evaluations: spans, ratios, percentiles, ranks and TREC measures.

``trec_scores`` uses pytrec_eval from the optional ``eval`` extra; it is
imported when first needed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from seedqa.evaluation.errors import require_extra


def find_spans(text: str, needle: str) -> list[tuple[int, int]]:
    """Return every ``(start, end)`` where ``needle`` occurs in ``text``.

    Runs of whitespace in ``needle`` match any run of whitespace in ``text``,
    so evidence copied across a line break still matches.
    """
    words = needle.split()
    if not words:
        return []
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def overlaps(start: int, end: int, other_start: int, other_end: int) -> bool:
    """Return True when half-open spans ``[start, end)`` and ``[other_start, other_end)`` meet."""
    return start < other_end and other_start < end


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``, or None when the denominator is 0 (undefined)."""
    return numerator / denominator if denominator else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (linear interpolation) of ``values``; None when empty."""
    if not len(values):
        return None
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def abstention_scores(
    abstained: Sequence[bool], answerable: Sequence[bool]
) -> tuple[float | None, float | None]:
    """Return abstention ``(precision, recall)`` with unanswerable questions as positives.

    Precision: of the questions abstained on, the share that were unanswerable.
    Recall: of the unanswerable questions, the share abstained on. Either is
    None when its denominator is 0.
    """
    pairs = list(zip(abstained, answerable, strict=True))
    true_positive = sum(1 for a, ok in pairs if a and not ok)
    predicted = sum(1 for a, _ in pairs if a)
    unanswerable = sum(1 for _, ok in pairs if not ok)
    return ratio(true_positive, predicted), ratio(true_positive, unanswerable)


def reciprocal_rank(rank: int | None) -> float:
    """``1 / rank``, or 0 when nothing relevant was found."""
    return 1.0 / rank if rank else 0.0


def distinct_docs(doc_ids: Iterable[str]) -> list[str]:
    """Document ids in first-seen order (a document ranks at its best chunk)."""
    return list(dict.fromkeys(doc_ids))


def recall_at(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of ``relevant`` found in the first ``k`` of ``ranking`` (0 when none relevant)."""
    wanted = set(relevant)
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranking[:k])) / len(wanted)


def recall_curve(
    rankings: Mapping[str, Sequence[str]],
    qrels: Mapping[str, Mapping[str, int]],
    max_k: int = 100,
) -> list[float]:
    """Mean recall@k for k = 1..``max_k`` over the queries of ``qrels``."""
    if not qrels:
        return [0.0] * max_k
    curve = []
    for k in range(1, max_k + 1):
        values = [
            recall_at(rankings.get(q, ()), [d for d, r in rel.items() if r > 0], k)
            for q, rel in qrels.items()
        ]
        curve.append(float(np.mean(values)))
    return curve


def trec_scores(
    qrels: Mapping[str, Mapping[str, int]], rankings: Mapping[str, Sequence[str]]
) -> dict[str, float]:
    """nDCG@10, Recall@100 and MRR@10 with pytrec_eval, averaged over every qrels query.

    ``rankings`` maps a query id to its document ids, best first; the order
    is kept exactly (scores are derived from ranks). A query with no
    retrieved documents counts as 0.
    """
    pytrec_eval = require_extra("pytrec_eval", "pytrec-eval-terrier")

    def run(depth: int) -> dict[str, dict[str, float]]:
        return {
            q: {d: float(depth - i) for i, d in enumerate(docs[:depth])}
            for q, docs in rankings.items()
            if docs
        }

    relevance = {q: {d: int(r) for d, r in rel.items()} for q, rel in qrels.items()}
    full = pytrec_eval.RelevanceEvaluator(relevance, {"ndcg_cut.10", "recall.100"}).evaluate(
        run(max(100, max((len(d) for d in rankings.values()), default=0)))
    )
    top10 = pytrec_eval.RelevanceEvaluator(relevance, {"recip_rank"}).evaluate(run(10))
    n = len(relevance)

    def mean(results: Mapping[str, Mapping[str, float]], measure: str) -> float:
        total = sum(results.get(q, {}).get(measure, 0.0) for q in relevance)
        return total / n if n else 0.0

    return {
        "ndcg@10": mean(full, "ndcg_cut_10"),
        "recall@100": mean(full, "recall_100"),
        "mrr@10": mean(top10, "recip_rank"),
    }


def rounded(value: float | None, digits: int = 4) -> float | None:
    """Round for JSON output; keep None (undefined) and non-finite values as None."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)
