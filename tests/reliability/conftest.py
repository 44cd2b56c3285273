"""Fixtures of the reliability suite: one session index, copied per case, and its snapshot.

The session index has two generations: the first over three documents, the
second after a fourth (``kites.txt``) was added. A case that breaks the live
generation can therefore check that reading falls back to the first one.
Each case works on its own ``shutil.copytree`` copy; the corpus folder is
shared (its path is recorded in the manifest) and cases that add bad files
to it remove them again.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_kit import CORPUS, KITES, Built

from seedqa.index.build import build_index


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, embedder) -> Built:
    root = tmp_path_factory.mktemp("reliability")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index = root / "index"
    build_index([corpus], index, embedder=embedder)
    first = (index / "CURRENT").read_text().strip()
    (corpus / KITES[0]).write_text(KITES[1], encoding="utf-8")
    build_index([corpus], index, embedder=embedder)
    second = (index / "CURRENT").read_text().strip()
    assert first != second and (index / first).is_dir()
    return Built(index, corpus, [first, second])


@pytest.fixture
def index_copy(built: Built, tmp_path: Path) -> Path:
    """A private copy of the session index (same sources: the shared corpus)."""
    copy = tmp_path / "index"
    shutil.copytree(built.index, copy, symlinks=True)
    return copy


@pytest.fixture
def corpus_extras(built: Built) -> Iterator[list[Path]]:
    """Paths a case adds to the shared corpus; removed (links, pipes, files) after the case."""
    added: list[Path] = []
    yield added
    for path in reversed(added):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    leftovers = sorted(p.name for p in built.corpus.iterdir())
    assert leftovers == sorted([*CORPUS, KITES[0]]), leftovers
