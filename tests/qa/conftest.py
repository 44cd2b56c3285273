"""Fixtures for the qa tests: a real model and real indexes of small known corpora."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedqa.index.build import build_index
from seedqa.index.embed import Embedder
from seedqa.qa import Assistant, Retriever

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

SMALL_CORPUS = {
    "volcanoes.md": (
        "# Volcanoes of Iceland\n\n"
        "Iceland has about 130 volcanic mountains. Hekla erupted in the year 1104 and "
        "buried farms under ash.\n\n"
        "Eyjafjallajokull erupted in 2010 and its ash cloud grounded flights across Europe "
        "for six days.\n"
    ),
    "bread.txt": (
        "Sourdough bread\n\n"
        "Sourdough is leavened by a starter of wild yeast and lactic acid bacteria. "
        "A starter is fed with equal weights of flour and water every day.\n\n"
        "The dough rests for twelve hours before it is baked at 250 degrees Celsius.\n"
    ),
    "chess.txt": (
        "The history of chess\n\n"
        "Chess reached Europe through Persia and the Arab world. The modern queen move "
        "appeared in Spain around 1475.\n\n"
        "Garry Kasparov lost a match to the computer Deep Blue in 1997.\n"
    ),
}


@pytest.fixture(scope="session")
def qa_embedder() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "small"
    folder.mkdir()
    for name, text in SMALL_CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory, small_corpus: Path, qa_embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("small-index")
    build_index([small_corpus], index_dir, embedder=qa_embedder)
    return index_dir


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, qa_embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index([SEEDS], index_dir, embedder=qa_embedder)
    return index_dir


@pytest.fixture(scope="session")
def small_retriever(small_index: Path, qa_embedder) -> Retriever:
    return Retriever.load(small_index, embedder=qa_embedder)


@pytest.fixture(scope="session")
def seed_assistant(seed_index: Path, qa_embedder) -> Assistant:
    return Assistant(Retriever.load(seed_index, embedder=qa_embedder))


@pytest.fixture(scope="session")
def small_assistant(small_retriever: Retriever) -> Assistant:
    return Assistant(small_retriever)
