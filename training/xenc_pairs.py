"""Question-sentence pairs for the cross-encoder experiment (route (b) of issue 8).

Usage: python -m seedqa.training.xenc_pairs --cache DIR --out DIR

Training pairs come from the answer model's cached candidate lists (``build_dataset``
output in ``--cache``: SQuAD train articles, the hand-written users'-style
questions and the hand-written rewrites of SQuAD questions). Per question:

* answerable: every positive, the 2-3 best-ranked non-answer candidates
  (ranked as the similarity scorer ranks: 0.4 cosine + 0.6 lexical share), and a
  **same-text near-miss**: the question with one word the answer sentence shares
  (a year, figure, name or word of a swap group) replaced by another of the same
  kind taken from the retrieved passages, paired with the answer sentence;
* unanswerable, perturbed or evidence-removed: the best-ranked candidates.

Evaluation pairs: every candidate sentence of the top-5 chunks the real
Retriever returns (current main retrieval) for the users'-style sets in ``eval/``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import numpy as np

from seedqa.training.perturb import _SWAPS, _YEAR, STOPWORDS

ROOT = Path(__file__).resolve().parents[1]
EVAL_SETS = {
    "dev": (ROOT / "eval" / "dev_questions.jsonl", ROOT / "eval" / "dev_corpus"),
    "seed-paraphrase": (ROOT / "eval" / "seed_paraphrase.jsonl", ROOT / "seeds"),
    "seed": (ROOT / "eval" / "seed_questions.jsonl", ROOT / "seeds"),
}
#: cached set -> (questions kept, loss weight)
TRAIN_SOURCES = {"squad-train": (1500, 1.0), "hand": (None, 3.0), "squad-rewrites": (None, 2.0)}
_NUM = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w.])")
_CAP = re.compile(r"(?<!^)\b[A-Z][a-z]{2,}\b")


def _slots(question: str, gold: str) -> list[tuple[int, int, str, str]]:
    """Words of ``question`` also in the answer sentence ``gold``, with their kind."""
    low = gold.lower()
    found = []
    for m in _YEAR.finditer(question):
        found.append((m.start(), m.end(), "year", m.group()))
    for m in _NUM.finditer(question):
        if not _YEAR.fullmatch(m.group()):
            found.append((m.start(), m.end(), "figure", m.group()))
    for m in _CAP.finditer(question):
        if m.group().lower() not in STOPWORDS:
            found.append((m.start(), m.end(), "name", m.group()))
    for m in re.finditer(r"[a-z]+", question.lower()):
        if m.group() in _SWAPS:
            found.append((m.start(), m.end(), "swap", m.group()))
    return [s for s in found if re.search(rf"\b{re.escape(s[3].lower())}\b", low)]


def _pool(texts: list[str], kind: str, word: str) -> list[str]:
    """Replacements of ``kind`` found in the passages ``texts``."""
    joined = " ".join(texts)
    if kind == "year":
        return sorted(set(_YEAR.findall(joined)))
    if kind == "figure":
        return sorted({m for m in _NUM.findall(joined) if not _YEAR.fullmatch(m)})
    if kind == "name":
        return sorted({m for m in _CAP.findall(joined) if m.lower() not in STOPWORDS})
    group = _SWAPS[word]
    low = joined.lower()
    return [w for w in group if w != word and re.search(rf"\b{re.escape(w)}\b", low)]


def same_text_near_miss(
    question: str, gold: str, context: str, passages: list[str], rng: random.Random
) -> str | None:
    """``question`` with a word shared with ``gold`` swapped for one from ``passages``."""
    slots = _slots(question, gold)
    rng.shuffle(slots)
    near = f"{gold} {context}".lower()
    for start, end, kind, word in slots:
        options = [
            w
            for w in _pool(passages, kind, word.lower())
            if w.lower() != word.lower()
            and not re.search(rf"\b{re.escape(w.lower())}\b", near)
            and w.lower() not in question.lower()
        ]
        if options:
            return question[:start] + rng.choice(options) + question[end:]
    return None


def _load(cache: Path, name: str) -> tuple[list[str], list[dict], dict[str, np.ndarray]]:
    extra = json.loads((cache / f"{name}.json").read_text(encoding="utf-8"))
    with np.load(cache / f"{name}.npz") as data:
        arrays = {k: data[k] for k in data.files}
    return extra["texts"], extra["meta"], arrays


def train_pairs(cache: Path, seed: int = 0) -> list[dict]:
    """Training pairs from the cached candidate lists (see the module docstring)."""
    rng = random.Random(seed)
    pairs: list[dict] = []
    for name, (keep, weight) in TRAIN_SOURCES.items():
        texts, meta, a = _load(cache, name)
        order = list(range(len(meta)))
        rng.shuffle(order)
        if keep is not None:
            order = order[: int(keep * 2)]  # about half are answerable originals
        rank = 0.4 * a["hand"][:, 0] + 0.6 * a["hand"][:, 1]
        answerable_kept = 0
        for q in order:
            start, count = int(a["start"][q]), int(a["count"][q])
            if count == 0:
                continue
            rows = range(start, start + count)
            question = texts[a["question"][q]]
            kind = meta[q]["kind"]
            by_rank = sorted(rows, key=lambda r: -rank[r])
            negatives = [r for r in by_rank if a["label"][r] == 0]

            def add(r: int, label: int, text: str = question, q: int = q, kind: str = kind) -> None:
                prev = int(a["previous"][r])  # noqa: B023 (called in this iteration only)
                pairs.append(
                    {
                        "group": f"{name}:{meta[q]['id']}",  # noqa: B023
                        "question": text,
                        "sentence": texts[a["sentence"][r]],  # noqa: B023
                        "previous": texts[prev] if prev >= 0 else "",  # noqa: B023
                        "label": label,
                        "weight": weight,  # noqa: B023
                        "kind": kind,
                    }
                )

            positives = [r for r in rows if a["label"][r] == 1]
            if a["answerable"][q] and positives:
                if keep is not None and answerable_kept >= keep:
                    continue
                answerable_kept += 1
                for r in positives[:2]:
                    add(r, 1)
                for r in negatives[: 3 if name == "hand" else 2]:
                    add(r, 0)
                gold = texts[a["sentence"][positives[0]]]
                prev = int(a["previous"][positives[0]])
                context = texts[prev] if prev >= 0 else ""
                passages = [texts[a["sentence"][r]] for r in rows]
                near = same_text_near_miss(question, gold, context, passages, rng)
                if near:
                    add(positives[0], 0, near)
                    pairs[-1]["kind"] = "same-text-near-miss"
            elif not a["answerable"][q]:
                for r in negatives[: 3 if kind in ("unanswerable", "rewrite-near-miss") else 1]:
                    add(r, 0)
    return pairs


def eval_pairs(work: Path) -> tuple[list[dict], list[dict]]:
    """Pairs for every candidate of the users'-style sets, and one record per question."""
    from seedqa.index.embed import Embedder
    from seedqa.qa.answer_features import candidate_sentences
    from seedqa.training.collect import index_for, qa_set_queries

    embedder = Embedder.load()
    pairs, questions = [], []
    for name, (path, docs) in EVAL_SETS.items():
        retriever = index_for([docs], work / f"index-{name}", embedder)
        items = {
            (j := json.loads(line))["id"]: j
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        }
        for query in qa_set_queries(retriever, path, docs, name, with_removed=False):
            item = items[query.id]
            questions.append(
                {
                    "set": name,
                    "id": query.id,
                    "question": query.question,
                    "answerable": bool(item["answerable"]),
                    "answers": item["answers"],
                }
            )
            for candidate, label in zip(candidate_sentences(query.hits), query.labels, strict=True):
                pairs.append(
                    {
                        "group": f"{name}:{query.id}",
                        "question": query.question,
                        "sentence": candidate.text,
                        "previous": candidate.previous or "",
                        "label": label,
                        "weight": 1.0,
                        "kind": name,
                    }
                )
    return pairs, questions


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    train = train_pairs(args.cache)
    (args.out / "train_pairs.json").write_text(json.dumps(train), encoding="utf-8")
    kinds: dict[str, int] = {}
    for p in train:
        kinds[f"{p['kind']}/{p['label']}"] = kinds.get(f"{p['kind']}/{p['label']}", 0) + 1
    print(len(train), "training pairs", sorted(kinds.items()), flush=True)
    pairs, questions = eval_pairs(args.out)
    (args.out / "eval_pairs.json").write_text(json.dumps(pairs), encoding="utf-8")
    (args.out / "eval_questions.json").write_text(json.dumps(questions), encoding="utf-8")
    print(len(pairs), "evaluation pairs for", len(questions), "questions", flush=True)
    squad, squad_questions = squad_dev_pairs(args.cache, per_kind=100)
    (args.out / "squad_pairs.json").write_text(json.dumps(squad), encoding="utf-8")
    (args.out / "squad_questions.json").write_text(json.dumps(squad_questions), encoding="utf-8")
    print(len(squad), "SQuAD dev-article pairs for", len(squad_questions), "questions")


if __name__ == "__main__":
    main()


def squad_dev_pairs(
    cache: Path, per_kind: int = 150, seed: int = 0
) -> tuple[list[dict], list[dict]]:
    """Every candidate of a sample of SQuAD dev-article questions (cached retrieval).

    ``per_kind`` answerable originals and as many near-misses (perturbed or
    evidence-removed); each question also keeps the similarity scorer's ranking
    signals of its best candidate (``cosine``, ``lexical``) as baselines.
    """
    rng = random.Random(seed)
    texts, meta, a = _load(cache, "squad-dev")
    order = list(range(len(meta)))
    rng.shuffle(order)
    chosen = [q for q in order if a["answerable"][q]][:per_kind]
    chosen += [q for q in order if not a["answerable"][q]][:per_kind]
    pairs, questions = [], []
    for q in chosen:
        start, count = int(a["start"][q]), int(a["count"][q])
        if count == 0:
            continue
        rows = range(start, start + count)
        rank = 0.4 * a["hand"][rows, 0] + 0.6 * a["hand"][rows, 1]
        top = start + int(np.argmax(rank))
        questions.append(
            {
                "set": "squad-dev",
                "id": meta[q]["id"],
                "kind": meta[q]["kind"],
                "answerable": bool(a["answerable"][q]),
                "top_label": int(a["label"][top]),
                "cosine": float(a["hand"][rows, 0].max()),
                "rank_score": float(rank.max()),
            }
        )
        for r in rows:
            prev = int(a["previous"][r])
            pairs.append(
                {
                    "group": f"squad-dev:{meta[q]['id']}",
                    "question": texts[a["question"][q]],
                    "sentence": texts[a["sentence"][r]],
                    "previous": texts[prev] if prev >= 0 else "",
                    "label": int(a["label"][r]),
                    "weight": 1.0,
                    "kind": meta[q]["kind"],
                }
            )
    return pairs, questions
