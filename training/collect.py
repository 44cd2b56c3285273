"""Turn questions into what the answerer sees: retrieved sentences with labels and features.

Every question is asked the way ``seedqa ask`` asks it (hybrid retrieval,
top 5 chunks, every sentence of them a candidate). A candidate is labelled

* 1 when it overlaps the question's answer sentence (SQuAD) or evidence (hand-written),
* -1 (ignored) when it contains a gold answer elsewhere, which may or may not answer,
* 0 otherwise; every candidate of an unanswerable question is 0.

Besides each answerable question, an **evidence-removed** copy is asked with the
chunks holding its answer taken out of the hits: the rest still shares its words
but does not answer, the case the answerer must abstain on.

Output: ``dataset.npz`` (index arrays and features) and ``dataset.json`` (the
text table and per-question metadata) in the work directory, plus the token
vectors of every text in ``tokens.npz``.
"""

from __future__ import annotations

import dataclasses
import json
import random
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedqa.index.build import build_index
from seedqa.index.embed import Embedder
from seedqa.index.load import load_paths
from seedqa.qa.answer_features import candidate_sentences, hand_features
from seedqa.qa.evidence import Evidence, SentenceVectors
from seedqa.qa.retriever import Hit, Retriever
from seedqa.training.squad_data import Article, QuestionRecord, build_questions
from seedqa.training.token_store import TokenStore

K = 5
REMOVED_DEPTH = 20


@dataclass
class Query:
    """One question asked against one list of hits, with labelled candidates."""

    id: str
    source: str
    kind: str
    question: str
    answerable: bool
    hits: list[Hit]
    labels: list[int]


def normalise(text: str) -> str:
    """SQuAD answer normalisation: lower case, no punctuation, articles or extra spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def _contains(text: str, answers: Sequence[str]) -> bool:
    body = f" {normalise(text)} "
    return any(f" {normalise(a)} " in body for a in answers if normalise(a))


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def _renumber(hits: Sequence[Hit]) -> list[Hit]:
    return [dataclasses.replace(h, rank=i) for i, h in enumerate(hits, start=1)]


def write_paragraphs(articles: Sequence[Article], folder: Path) -> None:
    """One ``AA-PPP.txt`` file per paragraph (unchanged files are left alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    for article in articles:
        for paragraph in article.paragraphs:
            path = folder / f"{paragraph.key}.txt"
            if not path.exists() or path.read_text(encoding="utf-8") != paragraph.context:
                path.write_text(paragraph.context, encoding="utf-8")


def _label(
    candidate_doc: str,
    start: int,
    end: int,
    text: str,
    gold: dict[str, list[tuple[int, int]]],
    answers: Sequence[str],
) -> int:
    if _overlaps(start, end, gold.get(candidate_doc, [])):
        return 1
    return -1 if answers and _contains(text, answers) else 0


def ask(
    retriever: Retriever,
    qid: str,
    source: str,
    kind: str,
    question: str,
    gold: dict[str, list[tuple[int, int]]],
    answers: Sequence[str],
    removed: bool,
) -> Query:
    """Retrieve for ``question`` and label its candidates (``gold``: doc id → spans)."""
    if removed:
        deep = retriever.search(question, k=REMOVED_DEPTH)
        hits = _renumber(
            [
                h
                for h in deep
                if not _overlaps(h.start, h.end, gold.get(h.doc_id, []))
                and not (answers and _contains(h.text, answers))
            ][:K]
        )
    else:
        hits = retriever.search(question, k=K)
    labels = []
    for candidate in candidate_sentences(hits):
        if removed or not gold:
            labels.append(-1 if answers and _contains(candidate.text, answers) else 0)
        else:
            span = candidate.span
            labels.append(
                _label(candidate.hit.doc_id, span.start, span.end, candidate.text, gold, answers)
            )
    answerable = not removed and bool(gold) and 1 in labels
    return Query(qid, source, kind, question, answerable, hits, labels)


def squad_queries(
    retriever: Retriever,
    records: Sequence[QuestionRecord],
    source: str,
    removed_share: float,
    seed: int,
    progress: bool = True,
) -> list[Query]:
    """Ask SQuAD questions (and evidence-removed copies of a share of the answerable ones)."""
    from tqdm import tqdm

    rng = random.Random(seed)
    doc_of = {Path(c.doc_id).stem: c.doc_id for c in retriever.stored.chunks}
    queries = []
    for record in tqdm(records, desc=f"{source} questions", disable=not progress):
        doc = doc_of.get(record.paragraph)
        if doc is None:
            continue
        spans = {doc: [(record.gold.start, record.gold.end)]}
        if record.answerable:
            queries.append(
                ask(
                    retriever,
                    record.id,
                    source,
                    "squad",
                    record.question,
                    spans,
                    record.answers,
                    False,
                )
            )
            if rng.random() < removed_share:
                queries.append(
                    ask(
                        retriever,
                        f"{record.id}-r",
                        source,
                        "removed",
                        record.question,
                        spans,
                        record.answers,
                        True,
                    )
                )
        else:
            queries.append(
                ask(retriever, record.id, source, record.kind, record.question, {}, (), False)
            )
    return queries


def qa_set_queries(
    retriever: Retriever,
    questions: Path,
    docs: Path,
    source: str,
    with_removed: bool = True,
) -> list[Query]:
    """Ask the questions of a QA-set file (``seedqa eval qa`` format) over ``docs``.

    With ``with_removed``, every answerable question is also asked with its
    evidence removed from the hits.
    """
    documents = {d.doc_id: d for d in load_paths([docs]).documents}
    queries = []
    for line in questions.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        doc_id = next(d for d in documents if d.endswith("/" + item["source"]))
        text = documents[doc_id].text
        spans: dict[str, list[tuple[int, int]]] = {}
        for evidence in item["evidence"]:
            start = text.find(evidence)
            if start < 0:
                raise ValueError(f"{item['id']}: evidence {evidence[:40]!r} not in {doc_id}")
            spans.setdefault(doc_id, []).append((start, start + len(evidence)))
        answers, question = item["answers"], item["question"]
        if not item["answerable"]:
            queries.append(
                ask(retriever, item["id"], source, "unanswerable", question, {}, (), False)
            )
            continue
        queries.append(
            ask(retriever, item["id"], source, "answerable", question, spans, answers, False)
        )
        if with_removed:
            queries.append(
                ask(retriever, f"{item['id']}-r", source, "removed", question, spans, answers, True)
            )
    return queries


def index_for(paths: Sequence[Path], index_dir: Path, embedder: Embedder) -> Retriever:
    """Build (incrementally) and load an index over ``paths``."""
    build_index(paths, index_dir, embedder=embedder, progress=True)
    return Retriever.load(index_dir, embedder=embedder)


def featurize(
    queries: Sequence[Query], retrievers: dict[str, Retriever], store: TokenStore
) -> dict[str, object]:
    """Flatten ``queries`` into arrays: a text table, candidate rows, labels and features."""
    texts: dict[str, int] = {}

    def text_id(text: str) -> int:
        return texts.setdefault(text, len(texts))

    question_ids, starts, counts, answerable = [], [], [], []
    sentence, previous, title, labels, hand = [], [], [], [], []
    meta = []
    for query in queries:
        candidates = candidate_sentences(query.hits)
        retriever = retrievers[query.source]
        rows = np.zeros((0, 0))
        if candidates:
            evidence = Evidence(
                query.question,
                query.question,
                tuple(query.hits),
                retriever.stored.lexical,
                SentenceVectors(retriever.embedder),
            )
            pooled = np.stack([store.get(c.text).pooled for c in candidates])
            rows = hand_features(evidence, store.get(query.question).pooled, pooled, candidates)
        question_ids.append(text_id(query.question))
        starts.append(len(sentence))
        counts.append(len(candidates))
        answerable.append(query.answerable)
        meta.append({"id": query.id, "source": query.source, "kind": query.kind})
        for candidate, label, row in zip(candidates, query.labels, rows, strict=True):
            sentence.append(text_id(candidate.text))
            previous.append(text_id(candidate.previous) if candidate.previous else -1)
            title.append(text_id(candidate.title) if candidate.title else -1)
            labels.append(label)
            hand.append(row)
    return {
        "texts": list(texts),
        "meta": meta,
        "arrays": {
            "question": np.array(question_ids, dtype=np.int32),
            "start": np.array(starts, dtype=np.int64),
            "count": np.array(counts, dtype=np.int32),
            "answerable": np.array(answerable, dtype=bool),
            "sentence": np.array(sentence, dtype=np.int32),
            "previous": np.array(previous, dtype=np.int32),
            "title": np.array(title, dtype=np.int32),
            "label": np.array(labels, dtype=np.int8),
            "hand": np.array(hand, dtype=np.float32),
        },
    }


def query_texts(queries: Sequence[Query]) -> list[str]:
    """Every text the model reads for ``queries`` (questions, sentences, contexts, titles)."""
    found: dict[str, None] = {}
    for query in queries:
        found[query.question] = None
        for candidate in candidate_sentences(query.hits):
            found[candidate.text] = None
            if candidate.previous:
                found[candidate.previous] = None
            if candidate.title:
                found[candidate.title] = None
    return list(found)


def save_dataset(data: dict[str, object], directory: Path, name: str) -> None:
    """Write ``<name>.npz`` and ``<name>.json`` into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / f"{name}.npz", **data["arrays"])  # type: ignore[arg-type]
    (directory / f"{name}.json").write_text(
        json.dumps({"texts": data["texts"], "meta": data["meta"]}, ensure_ascii=False),
        encoding="utf-8",
    )


def load_dataset(directory: Path, name: str) -> dict[str, object]:
    """Read what ``save_dataset`` wrote."""
    with np.load(directory / f"{name}.npz", allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    extra = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
    return {"texts": extra["texts"], "meta": extra["meta"], "arrays": arrays}


def collect_squad_split(
    articles: Sequence[Article],
    pools: Sequence[Article],
    work: Path,
    name: str,
    embedder: Embedder,
    removed_share: float,
    seed: int,
    limit_questions: int | None = None,
) -> tuple[list[Query], Retriever]:
    """Index one split's paragraphs and ask its questions (original and perturbed)."""
    write_paragraphs(articles, work / "corpus" / name)
    retriever = index_for([work / "corpus" / name], work / f"index-{name}", embedder)
    records = build_questions(articles, seed=seed, pools=pools)[:limit_questions]
    return squad_queries(retriever, records, name, removed_share, seed), retriever
