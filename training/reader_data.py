"""Candidate groups for the reader (issue 8): what the answerer sees for each question.

Usage: python -m seedqa.training.reader_data --out WORK

Every question of a QA set is asked the way ``seedqa ask`` asks it (hybrid
retrieval, top 5 chunks); the similarity scorer (``extract.score_sentences``)
ranks the sentences of the hits, and its best ``TOP_N`` form the question's
**group**: the candidates the reader re-ranks and decides on at ask time. A
candidate is labelled 1 when it overlaps the question's evidence, -1 (ignored
in training) when it holds a gold answer elsewhere, else 0; ``correct`` says
whether answering with it counts as right (``answer_matches``). Each candidate
keeps the scorer's signals (score, cosine, lexical share, answer kind) and
each group the hand rules' inputs (unsupported figures or names, coverage).

Sets: the users'-style training batches (``training/data/handwritten`` and
``training/data/users/*``) split by document into train / calibrate / held-out
(``split_documents``), the development sets in ``eval/`` and a sample of SQuAD
train-article questions (with perturbed near-misses) as a minority.
Writes ``WORK/groups-<set>.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

from seedqa.evaluation.normalize import answer_matches
from seedqa.index.embed import Embedder
from seedqa.index.load import load_paths
from seedqa.qa.answer_features import candidate_sentences
from seedqa.qa.evidence import Evidence, SentenceVectors
from seedqa.qa.extract import evidence_coverage, score_sentences, unsupported_specifics
from seedqa.qa.retriever import Retriever
from seedqa.training.collect import index_for

ROOT = Path(__file__).resolve().parents[1]
TOP_N = 10
K = 5
USERS = ROOT / "training" / "data" / "users"
HANDWRITTEN = ROOT / "training" / "data" / "handwritten"
DEV_SETS = {
    "dev": (ROOT / "eval" / "dev_questions.jsonl", ROOT / "eval" / "dev_corpus"),
    "seed-paraphrase": (ROOT / "eval" / "seed_paraphrase.jsonl", ROOT / "seeds"),
    "seed": (ROOT / "eval" / "seed_questions.jsonl", ROOT / "seeds"),
}


def read_jsonl(path: Path) -> list[dict]:
    """The JSON objects of a JSON-lines file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def split_documents(batches: Sequence[Path]) -> dict[str, list[tuple[Path, Path]]]:
    """(batch, document) pairs by split.

    Per batch, in name order, every fifth document from the third on is held
    out and every fifth from the fourth calibrates; the hand-written batch only trains.
    """
    split: dict[str, list[tuple[Path, Path]]] = {"train": [], "calibrate": [], "heldout": []}
    for batch in batches:
        for i, doc in enumerate(sorted((batch / "docs").iterdir())):
            name = "heldout" if i % 5 == 2 else "calibrate" if i % 5 == 3 else "train"
            if batch == HANDWRITTEN:
                name = "train"
            split[name].append((batch, doc))
    return split


def gather(docs: Sequence[tuple[Path, Path]], folder: Path) -> Path:
    """Copy ``docs`` into one corpus folder (``<batch>--<name>``) and merge their questions."""
    if folder.exists():
        shutil.rmtree(folder)
    (folder / "docs").mkdir(parents=True)
    wanted = {(b, d.name) for b, d in docs}
    items = []
    for batch in sorted({b for b, _ in docs}):
        for item in read_jsonl(batch / "questions.jsonl"):
            if (batch, item["source"]) in wanted:
                items.append({**item, "source": f"{batch.name}--{item['source']}"})
    for batch, doc in docs:
        shutil.copyfile(doc, folder / "docs" / f"{batch.name}--{doc.name}")
    questions = folder / "questions.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return questions


def _gold_spans(item: dict, text: str) -> list[tuple[int, int]] | None:
    spans = []
    for evidence in item["evidence"]:
        start = text.find(evidence)
        if start < 0:
            return None
        spans.append((start, start + len(evidence)))
    return spans


def group_for(
    retriever: Retriever, vectors: SentenceVectors, item: dict, doc_id: str, text: str
) -> dict | None:
    """The candidate group of one QA item (``None`` when its evidence is not in the text)."""
    spans = _gold_spans(item, text) if item["answerable"] else []
    if spans is None:
        return None
    question = item["question"]
    hits = retriever.search(question, k=K)
    evidence = Evidence(question, question, tuple(hits), retriever.stored.lexical, vectors)
    scored = score_sentences(evidence)
    previous = {(c.hit.doc_id, c.span.start): c.previous for c in candidate_sentences(hits)}
    answers = item["answers"]
    candidates = []
    for position, c in enumerate(scored):
        gold = c.hit.doc_id == doc_id and any(c.span.start < e and s < c.span.end for s, e in spans)
        correct = bool(answers) and answer_matches(c.text, answers)
        label = 1 if gold else -1 if correct else 0
        if position >= TOP_N and label != 1:
            continue
        candidates.append(
            {
                "text": c.text,
                "previous": previous.get((c.hit.doc_id, c.span.start), ""),
                "label": label,
                "correct": gold or correct,
                "position": position,
                "score": c.score,
                "dense": c.dense,
                "lexical": c.lexical,
                "fits": c.fits_kind,
                "doc": c.hit.doc_id,
                "hit_rank": c.hit.rank,
                "hit_dense": c.hit.scores.get("dense", 0.0),
            }
        )
    return {
        "id": item["id"],
        "question": question,
        "answerable": bool(item["answerable"]),
        "answers": answers,
        "source": doc_id,
        "missing": len(unsupported_specifics(question, evidence.text)),
        "coverage": evidence_coverage(evidence),
        "candidates": candidates,
    }


def qa_groups(
    questions: Path, docs: Path, index_dir: Path, embedder: Embedder
) -> Iterator[dict]:
    """Candidate groups of every question of a QA-set file over the documents ``docs``."""
    retriever = index_for([docs], index_dir, embedder)
    vectors = SentenceVectors(embedder)
    documents = {d.doc_id: d.text for d in load_paths([docs]).documents}
    for item in read_jsonl(questions):
        doc_id = next((d for d in documents if d.endswith("/" + item["source"])), None)
        if doc_id is None:
            continue
        group = group_for(retriever, vectors, item, doc_id, documents[doc_id])
        if group is not None:
            yield group


def squad_set(split: str, folder: Path, limit: int, seed: int = 0) -> Path:
    """A SQuAD split's paragraphs as a corpus and ``limit`` of its questions as a QA set.

    Answerable originals and perturbed near-misses (``build_questions``),
    shuffled with ``seed``; the evidence is the answer sentence.
    """
    from seedqa.training.build_dataset import DEFAULT_SQUAD
    from seedqa.training.collect import write_paragraphs
    from seedqa.training.squad_data import build_questions, load_articles, load_split

    articles = load_articles(DEFAULT_SQUAD)
    chosen = [articles[i] for i in load_split()[split]]
    write_paragraphs(chosen, folder / "docs")
    contexts = {p.key: p.context for a in chosen for p in a.paragraphs}
    records = build_questions(chosen, seed=seed)
    random.Random(seed).shuffle(records)
    items = []
    for r in records[:limit]:
        gold = contexts[r.paragraph][r.gold.start : r.gold.end]
        items.append(
            {
                "id": r.id,
                "question": r.question,
                "answers": list(r.answers),
                "answerable": r.answerable,
                "evidence": [gold] if r.answerable else [],
                "source": f"{r.paragraph}.txt",
            }
        )
    questions = folder / "questions.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return questions


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sets", nargs="*", default=None, help="only these sets")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    embedder = Embedder.load()
    found = sorted(p for p in USERS.iterdir() if p.is_dir()) if USERS.exists() else []
    batches = [HANDWRITTEN, *found]
    sets = dict(DEV_SETS)
    for name, docs in split_documents(batches).items():
        sets[f"users-{name}"] = (gather(docs, args.out / f"corpus-{name}"), None)
    for split, limit in (("train", 2400), ("dev", 600), ("test", 600)):
        if not args.sets or f"squad-{split}" in args.sets:
            folder = args.out / f"corpus-squad-{split}"
            sets[f"squad-{split}"] = (squad_set(split, folder, limit), None)
    for name, (questions, docs) in sets.items():
        if args.sets and name not in args.sets:
            continue
        folder = docs if docs is not None else questions.parent / "docs"
        groups = list(qa_groups(questions, folder, args.out / f"index-{name}", embedder))
        (args.out / f"groups-{name}.json").write_text(json.dumps(groups), encoding="utf-8")
        answerable = sum(g["answerable"] for g in groups)
        print(f"{name}: {len(groups)} questions ({answerable} answerable)", flush=True)


if __name__ == "__main__":
    main()
