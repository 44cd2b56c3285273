"""Shared pytest fixtures.

Keep this file small: fixtures used by one test module belong in that module.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def embedder():
    """The default embedding model, loaded once per test session.

    Pass it to ``build_index(..., embedder=embedder)`` to avoid reloading the model.
    """
    from seedqa.index.embed import Embedder

    return Embedder.load()


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """The repository's ``seeds/`` folder (the default corpus)."""
    return REPO_ROOT / "seeds"


SMALL_CORPUS = {
    "alpha.txt": (
        "Glacier retreat in the Alps\n\n"
        "Alpine glaciers lost a tenth of their ice volume in two summers. "
        "Researchers surveyed the Morteratsch glacier with drones and radar.\n\n"
        "Meltwater feeds rivers that power hydroelectric dams downstream. "
        "Less ice means lower river flows late in the summer.\n"
    ),
    "beta.md": (
        "# Zeppelin freight\n\n"
        "A startup plans to carry freight across the Arctic by zeppelin. "
        "The airship would need no runways and would burn little fuel.\n\n"
        "Critics doubt that helium supplies can keep up with demand.\n"
    ),
    "gamma.txt": (
        "Sourdough baking\n\n"
        "A sourdough starter is a culture of wild yeast and lactobacilli. "
        "Bakers feed it flour and water every day.\n\n"
        "Long fermentation gives the bread its sour taste and open crumb.\n"
    ),
}


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """A fresh ``corpus/`` folder of three short documents (``SMALL_CORPUS``).

    Their document ids are ``corpus/alpha.txt``, ``corpus/beta.md`` and
    ``corpus/gamma.txt``; "Morteratsch", "zeppelin" and "lactobacilli" each
    occur in one document only.
    """
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in SMALL_CORPUS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root
