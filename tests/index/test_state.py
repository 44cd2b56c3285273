"""IndexState: the live pointer and manifest, read once and handed to build and load."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seedqa.index.build import build_index
from seedqa.index.errors import IndexCorrupt, IndexMismatch, IndexNotFound
from seedqa.index.state import CURRENT, IndexState
from seedqa.index.store import load_index


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    corpus = tmp_path_factory.mktemp("state-corpus")
    (corpus / "a.txt").write_text("Kites fly on windy beaches.\n", encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("state-index")
    build_index([corpus], index_dir, embedder=embedder)
    return index_dir


def test_a_live_index_is_read_once_into_one_record(built: Path) -> None:
    state = IndexState.read(built)
    assert state.started and state.exists and state.problem is None
    assert state.generation == (built / CURRENT).read_text().strip()
    assert state.generation_dir == built / state.generation
    assert state.require() is state.manifest and list(state.manifest.documents)
    stored = load_index(state)
    assert stored.generation == state.generation and stored.manifest == state.manifest


def test_no_index_yet(tmp_path: Path) -> None:
    state = IndexState.read(tmp_path / "nowhere")
    assert not state.started and not state.exists and state.problem is None
    with pytest.raises(IndexNotFound, match="seedqa index PATHS"):
        state.require()


@pytest.mark.parametrize(
    ("pointer", "message"),
    [
        (b"gen-missing\n", "points at a missing gen-missing"),
        (b"\n", "points at a missing generation"),
        (b"\xff\xfe\x00binary", "damaged"),
    ],
)
def test_a_broken_pointer_is_a_problem_not_a_crash(
    tmp_path: Path, pointer: bytes, message: str
) -> None:
    (tmp_path / CURRENT).write_bytes(pointer)
    state = IndexState.read(tmp_path)
    assert state.started and not state.exists
    assert isinstance(state.problem, IndexCorrupt) and message in str(state.problem)
    with pytest.raises(IndexCorrupt, match="--rebuild"):
        state.require()


def test_a_bad_manifest_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "gen-1").mkdir()
    (tmp_path / CURRENT).write_text("gen-1\n", encoding="utf-8")
    (tmp_path / "gen-1" / "manifest.json").write_text("{not json", encoding="utf-8")
    assert isinstance(IndexState.read(tmp_path).problem, IndexCorrupt)
    (tmp_path / "gen-1" / "manifest.json").write_text(
        json.dumps({"format_version": 99}), encoding="utf-8"
    )
    with pytest.raises(IndexMismatch, match="format version 99"):
        IndexState.read(tmp_path).require()


def test_an_update_refuses_a_broken_index_and_keeps_it(
    built: Path, tmp_path: Path, embedder
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / CURRENT).write_text("gen-gone\n", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="--rebuild"):
        build_index(None, broken, embedder=embedder)
    assert (broken / CURRENT).read_text() == "gen-gone\n"


def test_the_read_side_does_not_import_the_build_side() -> None:
    code = (
        "import sys; import seedqa.qa.retriever, seedqa.qa.answer; "
        "print(sorted(m for m in sys.modules if m.startswith('seedqa.index')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "seedqa.index.build" not in loaded and "seedqa.index.plan" not in loaded
    assert "seedqa.index.chunk" not in loaded and "seedqa.index.load" not in loaded
