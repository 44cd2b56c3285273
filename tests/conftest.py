"""Fixtures shared by every test package.

Keep this file small: fixtures used by one package live in its ``conftest.py``
and fixtures used by one module in that module. Corpus fixtures say what
they are for: ``editable_corpus`` (fresh files a test may change) here,
``qa_corpus`` (read-only, for retrieval and answers) in ``tests/qa``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpora import EDITABLE_CORPUS

from seedqa.index.embed import Embedder, resolve_model

REPO_ROOT = Path(__file__).resolve().parents[1]
_LOADED: dict[tuple[str, str | None, str | None], Embedder] = {}


@pytest.fixture(scope="session", autouse=True)
def one_model_per_session():
    """Load each embedding model once per test session, whoever asks for it.

    ``Embedder.load`` keeps returning the same real model for the same name,
    precision and runtime, so in-process CLI runs and services reuse it too.
    Nothing is loaded until a test needs a model.
    """
    original = Embedder.load.__func__

    def load(cls, name_or_path=None, precision=None, runtime=None):
        key = (resolve_model(name_or_path)[0], precision, runtime)
        if key not in _LOADED:
            _LOADED[key] = original(cls, name_or_path, precision, runtime)
        return _LOADED[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Embedder, "load", classmethod(load))
        yield


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The default embedding model (the session's one copy)."""
    return Embedder.load()


@pytest.fixture(scope="session")
def seed_dir() -> Path:
    """The repository's ``seeds/`` folder (the default corpus)."""
    return REPO_ROOT / "seeds"


@pytest.fixture
def editable_corpus(tmp_path: Path) -> Path:
    """A fresh ``corpus/`` folder of three short documents that a test may change.

    Their document ids are ``corpus/alpha.txt``, ``corpus/beta.md`` and
    ``corpus/gamma.txt``; "Morteratsch", "zeppelin" and "lactobacilli" each
    occur in one document only.
    """
    root = tmp_path / "corpus"
    root.mkdir()
    for name, text in EDITABLE_CORPUS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root
