"""BEIR-layout retrieval benchmarks (e.g. SciFact): nDCG@10, Recall@100, MRR@10 per mode.

A BEIR directory holds ``corpus.jsonl`` (``_id``, ``title``, ``text``),
``queries.jsonl`` (``_id``, ``text``) and ``qrels/test.tsv`` (``query-id``,
``corpus-id``, ``score``, with an optional header). Only the queries named
in the qrels are evaluated. A document's text is its title and its text,
separated by a blank line; it is indexed with the ordinary pipeline (see
``qa.evaluation.corpus``), embedded once per run whatever the modes.

Documents are ranked by their best chunk (a document's score is the
maximum over its chunks) from ``Retriever.search``, asked for enough chunks
(twice the mean chunks per document times 100) to rank 100 documents. The
measures come from pytrec_eval: ``ndcg_cut_10``, ``recall_100`` and
``recip_rank`` on the top-10 cut (MRR@10), averaged over every qrels query.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
from seedqa.qa.evaluation.corpus import CorpusIndex, corpus_index
from seedqa.qa.evaluation.errors import EvalDataError
from seedqa.qa.evaluation.metrics import distinct_docs, recall_curve, rounded, trec_scores
from seedqa.qa.retriever import MAX_K, MODES

#: The cut-offs reported and plotted.
RANK_DEPTH = 100


@dataclass
class BeirData:
    """A loaded BEIR dataset: documents (id → text), test queries and graded qrels."""

    name: str
    documents: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise EvalDataError(
            f"{path}: missing; a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/test.tsv"
        )
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalDataError(f"{path} line {number}: not valid JSON ({error.msg})") from None
            if not isinstance(data, dict) or "_id" not in data:
                raise EvalDataError(f"{path} line {number}: expected an object with an '_id'")
            rows.append((number, data))
    return rows


def _text(data: dict[str, Any], key: str, path: Path, number: int) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str):
        raise EvalDataError(f"{path} line {number}: {key!r} must be a string")
    return value.strip()


def load_beir(directory: str | Path, split: str = "test") -> BeirData:
    """Read a BEIR folder; errors name the file and the line."""
    directory = Path(directory)
    if not directory.is_dir():
        raise EvalDataError(f"{directory}: no such BEIR folder")
    documents = {}
    path = directory / "corpus.jsonl"
    for number, data in _jsonl(path):
        title, text = _text(data, "title", path, number), _text(data, "text", path, number)
        documents[str(data["_id"])] = f"{title}\n\n{text}" if title and text else title or text
    qrels_path = directory / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise EvalDataError(f"{qrels_path}: missing; a BEIR folder needs qrels/{split}.tsv")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("\t") if "\t" in line else line.split()
        if not fields or (number == 1 and fields[0].lower() in ("query-id", "query_id", "qid")):
            continue
        if len(fields) != 3:
            raise EvalDataError(f"{qrels_path} line {number}: expected query-id, corpus-id, score")
        try:
            score = int(float(fields[2]))
        except ValueError:
            raise EvalDataError(
                f"{qrels_path} line {number}: score {fields[2]!r} is not a number"
            ) from None
        qrels.setdefault(fields[0], {})[fields[1]] = score
    if not qrels:
        raise EvalDataError(f"{qrels_path}: no relevance judgements")
    path = directory / "queries.jsonl"
    all_queries = {str(d["_id"]): _text(d, "text", path, n) for n, d in _jsonl(path)}
    missing = [q for q in qrels if q not in all_queries]
    if missing:
        raise EvalDataError(f"{path}: query {missing[0]!r} of the qrels is missing")
    queries = {q: all_queries[q] for q in qrels}
    name = directory.resolve().name
    return BeirData(name, documents, queries, qrels)


def parse_modes(mode: str | Sequence[str]) -> tuple[str, ...]:
    """``"all"`` → every mode; a mode name or a list of names → those modes."""
    names = MODES if mode == "all" else (mode,) if isinstance(mode, str) else tuple(mode)
    for name in names:
        if name not in MODES:
            raise InvalidSetting(f"mode {name!r} is not valid; use one of {', '.join(MODES)}, all")
    return tuple(names)


@dataclass
class BeirResult:
    """Per-mode figures of a BEIR run; ``to_json()`` is the documented schema."""

    dataset: str
    modes: dict[str, dict[str, float | None]]
    curves: dict[str, list[float]] = field(default_factory=dict)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    n_queries: int = 0
    n_documents: int = 0
    n_chunks: int = 0
    depth: int = 0
    build_seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` schema.

        ``{"dataset", "modes": {MODE: {"ndcg@10", "recall@100", "mrr@10", "queries_per_s"}}}``
        """
        return {"dataset": self.dataset, "modes": {m: dict(v) for m, v in self.modes.items()}}


def chunk_depth(n_chunks: int, n_documents: int) -> int:
    """Chunks to retrieve so that about ``RANK_DEPTH`` distinct documents come back."""
    per_doc = n_chunks / n_documents if n_documents else 1.0
    return min(MAX_K, max(RANK_DEPTH, math.ceil(2 * RANK_DEPTH * per_doc)))


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
        rankings: dict[str, list[str]] = {}
        latencies = []
        for qid, text in tqdm(
            data.queries.items(), desc=f"{data.name} {mode}", unit="q", disable=not progress
        ):
            started = time.perf_counter()
            hits = retriever.search(text, k=depth, mode=mode)
            latencies.append((time.perf_counter() - started) * 1000)
            ranked = distinct_docs(index.to_original(h.doc_id) for h in hits)
            rankings[qid] = ranked[:RANK_DEPTH]
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
