"""Build the answer model's training and calibration data (step 1 of ``make train-answerer``).

Usage: python -m seedqa.training.build_dataset [--work DIR] [--squad FILE] [--limit-articles N]

Writes ``squad-train``, ``squad-dev`` and ``hand`` datasets (see ``collect.py``)
and ``tokens.npz`` into the work directory. Re-running reuses the indexes and
token vectors already there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from seedqa.index.embed import Embedder
from seedqa.training.collect import (
    collect_squad_split,
    featurize,
    index_for,
    qa_set_queries,
    query_texts,
    save_dataset,
)
from seedqa.training.squad_data import load_articles, load_split
from seedqa.training.token_store import TokenStore

ROOT = Path(__file__).resolve().parents[1]


def _shared_squad() -> Path:
    """SQuAD v1.1 dev in ``../shared/datasets`` of the checkout (or of its worktree parent)."""
    for base in ROOT.parents:
        candidate = base / "shared" / "datasets" / "squad" / "dev-v1.1.json"
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "datasets" / "squad" / "dev-v1.1.json"


DEFAULT_SQUAD = _shared_squad()
HANDWRITTEN = Path(__file__).with_name("data") / "handwritten"
DEFAULT_WORK = ROOT / ".cache" / "train-answerer"
USER_DEV = (
    ("user-dev", ROOT / "eval" / "dev_questions.jsonl", ROOT / "eval" / "dev_corpus"),
    ("seed-paraphrase", ROOT / "eval" / "seed_paraphrase.jsonl", ROOT / "seeds"),
    ("seed", ROOT / "eval" / "seed_questions.jsonl", ROOT / "seeds"),
)
SEED = 0
#: Share of answerable SQuAD questions also asked with their evidence removed.
REMOVED_SHARE = 0.5


def build(
    squad: Path, work: Path, limit_articles: int | None = None, limit_questions: int | None = None
) -> None:
    """Collect, embed and featurize every dataset into ``work``."""
    started = time.perf_counter()
    embedder = Embedder.load()
    articles = load_articles(squad)
    split = load_split()
    chosen = {
        name: [articles[i] for i in split[name]][:limit_articles] for name in ("train", "dev")
    }
    queries, retrievers = {}, {}
    for name in ("train", "dev"):
        source = f"squad-{name}"
        queries[source], retrievers[source] = collect_squad_split(
            chosen[name], chosen[name], work, source, embedder, REMOVED_SHARE, SEED, limit_questions
        )
    retrievers["hand"] = index_for([HANDWRITTEN / "docs"], work / "index-hand", embedder)
    queries["hand"] = qa_set_queries(
        retrievers["hand"], HANDWRITTEN / "questions.jsonl", HANDWRITTEN / "docs", "hand"
    )
    # The development sets in users' style (tuning and calibration only, never training).
    for source, questions, docs in USER_DEV:
        retrievers[source] = index_for([docs], work / f"index-{source}", embedder)
        queries[source] = qa_set_queries(
            retrievers[source], questions, docs, source, with_removed=False
        )
    store = TokenStore(work / "tokens.npz")
    store.ensure(embedder, [t for qs in queries.values() for t in query_texts(qs)])
    for source, qs in queries.items():
        save_dataset(featurize(qs, retrievers, store), work, source)
        print(f"{source}: {len(qs)} questions", flush=True)
    print(f"dataset built in {time.perf_counter() - started:.0f} s", flush=True)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD)
    parser.add_argument("--limit-articles", type=int, default=None)
    parser.add_argument("--limit-questions", type=int, default=None)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 is fastest on a shared machine)"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    build(args.squad, args.work, args.limit_articles, args.limit_questions)


if __name__ == "__main__":
    main()
