"""Same answers from either store: the seed QA set on FAISS and on Milvus Lite (real engine)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from seedqa.index.build import build_index
from seedqa.index.store import StoreRequest
from seedqa.qa.answer import Assistant
from seedqa.qa.retriever import Retriever

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def milvus_seed_index(seed_index: Path, tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("seed-milvus") / "index"
    shutil.copytree(seed_index, index_dir)
    moved = build_index(None, index_dir, embedder=embedder, store=StoreRequest("milvus"))
    assert moved.wrote and moved.embedded == 0
    return index_dir


def outcome(assistant: Assistant, question: str) -> dict:
    answer = assistant.ask(question).to_json()
    return {
        "answer": answer["answer"],
        "abstained": answer["abstained"],
        "citations": [(c["doc_id"], c["start"], c["end"]) for c in answer["citations"]],
        "hits": [h["chunk_id"] for h in answer["hits"]],
    }


def test_seed_questions_get_the_same_answers(
    seed_assistant: Assistant, milvus_seed_index: Path, embedder
) -> None:
    milvus = Assistant(Retriever.load(milvus_seed_index, embedder=embedder))
    assert milvus.retriever.stored.manifest.store.kind == "milvus"
    lines = (REPO / "eval" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()]
    assert len(questions) >= 40
    different = [q for q in questions if outcome(milvus, q) != outcome(seed_assistant, q)]
    assert not different, f"{len(different)} questions answered differently: {different[:3]}"
