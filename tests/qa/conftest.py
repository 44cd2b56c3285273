"""Fixtures for the qa tests: real indexes of small known corpora, built once per session.

``qa_corpus`` is read-only (retrieval and answer tests); tests that change
files use the root ``editable_corpus``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpora import ANSWER_CORPUS, QA_CORPUS

from seedqa.index.build import build_index
from seedqa.qa import Assistant, Retriever

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

@pytest.fixture(scope="session")
def qa_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three read-only documents (ids ``small/volcanoes.md``, ``small/bread.txt``, ...)."""
    folder = tmp_path_factory.mktemp("corpus") / "small"
    folder.mkdir()
    for name, text in QA_CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def answer_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained answerers' two documents (ids ``docs/glaciers.txt``, ``docs/bakery.md``)."""
    folder = tmp_path_factory.mktemp("answer-corpus") / "docs"
    folder.mkdir()
    for name, text in ANSWER_CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def answer_retriever(
    answer_corpus: Path, tmp_path_factory: pytest.TempPathFactory, embedder
) -> Retriever:
    """A retriever over ``answer_corpus`` (never changed by a test)."""
    index_dir = tmp_path_factory.mktemp("answer-index")
    build_index([answer_corpus], index_dir, embedder=embedder)
    return Retriever.load(index_dir, embedder=embedder)


@pytest.fixture(scope="session")
def qa_index(tmp_path_factory: pytest.TempPathFactory, qa_corpus: Path, embedder) -> Path:
    """An index of ``qa_corpus`` (never changed by a test)."""
    index_dir = tmp_path_factory.mktemp("small-index")
    build_index([qa_corpus], index_dir, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """An index of the seed article (never changed by a test)."""
    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index([SEEDS], index_dir, embedder=embedder)
    return index_dir


@pytest.fixture(scope="session")
def qa_retriever(qa_index: Path, embedder) -> Retriever:
    return Retriever.load(qa_index, embedder=embedder)


@pytest.fixture(scope="session")
def seed_assistant(seed_index: Path, embedder) -> Assistant:
    return Assistant(Retriever.load(seed_index, embedder=embedder))


@pytest.fixture(scope="session")
def qa_assistant(qa_retriever: Retriever) -> Assistant:
    return Assistant(qa_retriever)
