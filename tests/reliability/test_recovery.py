"""Recovery keeps the user's index: --repair, --rebuild of a broken index, seedqa check.

The advice in every error message must be safe to follow: repairing makes
the newest intact generation live without re-embedding or deleting
anything, and rebuilding re-indexes the sources the index records (never
the bundled seed article), deleting no generation before a new one is live.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from reliability_kit import CORPUS, KITES, Built, snapshot

from seedqa.index.check import check_index
from seedqa.index.errors import IndexCorrupt
from seedqa.index.recovery import repair_index
from seedqa.index.state import IndexState
from seedqa.ui.cli import main

DOCS = sorted(f"corpus/{name}" for name in [*CORPUS, KITES[0]])


def _generations(index: Path) -> set[str]:
    return {p.name for p in index.glob("gen-*")}


@pytest.mark.parametrize(
    "pointer", [None, b"", b"..\n", b"\xff\xfe\x00", b"gen-0badc0ffee\n"],
    ids=["missing", "empty", "dotdot", "binary", "missing generation"],
)  # fmt: skip
def test_repair_makes_the_newest_intact_generation_live(
    built: Built, index_copy: Path, pointer: bytes | None, capsys
) -> None:
    if pointer is None:
        (index_copy / "CURRENT").unlink()
    else:
        (index_copy / "CURRENT").write_bytes(pointer)
    generations = _generations(index_copy)
    assert main(["index", "--repair", "--index-dir", str(index_copy)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"Repaired {index_copy}: {built.generations[1]} (4 documents") and not err
    assert (index_copy / "CURRENT").read_text() == built.generations[1] + "\n"
    assert _generations(index_copy) == generations  # nothing deleted
    state = IndexState.read(index_copy)
    assert state.warning is None and sorted(state.require().documents) == DOCS
    assert main(["index", "--repair", "--index-dir", str(index_copy)]) == 0
    assert capsys.readouterr().out.startswith("Nothing to repair")


def test_repair_skips_a_generation_with_a_damaged_file(built: Built, index_copy: Path) -> None:
    live = index_copy / built.generations[1]
    (live / "chunks.jsonl").write_bytes(b"x" * (live / "chunks.jsonl").stat().st_size)
    report = repair_index(index_copy)
    assert report.changed and report.generation == built.generations[0]
    assert "whose files are damaged" in report.summary()
    assert check_index(index_copy).ok


def test_repair_without_an_intact_generation_names_the_rebuild(
    built: Built, index_copy: Path
) -> None:
    for generation in built.generations:
        (index_copy / generation / "vectors.faiss").write_bytes(b"\0" * 10)
    before = snapshot(index_copy)
    with pytest.raises(IndexCorrupt, match=r"seedqa index --rebuild --index-dir"):
        repair_index(index_copy)
    assert snapshot(index_copy) == before


@pytest.mark.parametrize("damage", ["pointer to missing", "manifest types", "every manifest"])
def test_rebuild_of_a_broken_index_keeps_the_users_corpus(
    built: Built, index_copy: Path, damage: str, capsys, embedder
) -> None:
    """The issue's data loss: --rebuild re-indexed seeds/ and deleted the intact generation."""
    if damage == "pointer to missing":
        (index_copy / "CURRENT").write_text("gen-0badc0ffee\n")
    elif damage == "manifest types":
        path = index_copy / built.generations[1] / "manifest.json"
        data = json.loads(path.read_text())
        data["documents"] = 7
        path.write_text(json.dumps(data))
    else:  # no manifest parses; the sources are still read leniently
        for generation in built.generations:
            path = index_copy / generation / "manifest.json"
            data = json.loads(path.read_text())
            data["dimension"] = None
            path.write_text(json.dumps(data))
    old = _generations(index_copy)
    argv = ["index", "--rebuild", "--index-dir", str(index_copy), "-q"]
    assert main(argv, embedder=embedder) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"Indexed 4 documents (4 chunks) into {index_copy}: 4 added"), out
    assert "Traceback" not in err
    state = IndexState.read(index_copy)
    assert state.warning is None and sorted(state.require().documents) == DOCS
    assert state.require().sources == (str(built.corpus.resolve()),)
    assert "seeds" not in " ".join(state.require().documents)
    assert state.generation not in old and len(_generations(index_copy) & old) >= 1


def test_rebuild_with_nothing_recorded_asks_for_the_paths(built: Built, index_copy: Path) -> None:
    (index_copy / "CURRENT").unlink()
    for generation in built.generations:
        (index_copy / generation / "manifest.json").write_text("{", encoding="utf-8")
    before = snapshot(index_copy)
    with pytest.raises(IndexCorrupt, match=r"seedqa index --rebuild PATHS --index-dir"):
        from seedqa.index.build import build_index

        build_index(None, index_copy, rebuild=True)
    assert snapshot(index_copy) == before


def test_check_reports_ok_damage_and_stale_sources(
    built: Built, index_copy: Path, corpus_extras: list[Path], capsys
) -> None:
    assert main(["check", "--deep", "--index-dir", str(index_copy)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"OK {index_copy}: {built.generations[1]}, 4 documents")
    assert out[1] == "sources: 4 match the index"

    # A source edited and one deleted since they were indexed (restored afterwards).
    bread, chess = built.corpus / "bread.txt", built.corpus / "chess.txt"
    saved = {p: p.read_bytes() for p in (bread, chess)}
    try:
        bread.write_text("Sourdough bread\n\nNow baked at 230 degrees.\n", encoding="utf-8")
        chess.unlink()
        assert main(["check", "--deep", "--index-dir", str(index_copy)]) == 1
        out = capsys.readouterr().out
    finally:
        for path, data in saved.items():
            path.write_bytes(data)
    assert "sources: 2 match the index, 1 changed, 1 deleted" in out
    assert f"changed: corpus/bread.txt from {bread.resolve()}" in out
    assert f"deleted: corpus/chess.txt from {chess.resolve()}" in out
    assert f"fix: `seedqa index --index-dir {index_copy}` re-indexes them" in out

    # A damaged file is named without --deep; the check changes nothing.
    live = index_copy / built.generations[1]
    data = bytearray((live / "vectors.faiss").read_bytes())
    data[-8:] = b"\x01" * 8
    (live / "vectors.faiss").write_bytes(bytes(data))
    before = snapshot(index_copy)
    assert main(["check", "--index-dir", str(index_copy)]) == 1
    out = capsys.readouterr().out
    assert f"damaged: {live.name}/vectors.faiss: checksum mismatch" in out
    assert "seedqa index --repair" in out and snapshot(index_copy) == before


def test_check_deep_finds_chunk_text_that_no_longer_matches_its_source(
    built: Built, index_copy: Path
) -> None:
    """Chunk text edited together with its checksum: only the source comparison sees it."""
    from seedqa.index.integrity import record_files
    from seedqa.index.manifest import Manifest

    live = index_copy / built.generations[1]
    chunks = live / "chunks.jsonl"
    chunks.write_text(chunks.read_text().replace("1104", "1999"), encoding="utf-8")
    manifest = Manifest.from_json((live / "manifest.json").read_text())
    from dataclasses import replace

    fixed = replace(manifest, files=record_files(live))
    (live / "manifest.json").write_text(fixed.to_json(), encoding="utf-8")
    report = check_index(index_copy, deep=True)
    assert not report.ok and not report.problems
    assert [(c.doc_id, c.change) for c in report.sources] == [
        ("corpus/volcanoes.md", "chunk text differs")
    ]
    assert any("seedqa index --rebuild --index-dir" in line for line in report.lines())


def test_a_build_never_deletes_a_generation_before_a_new_one_is_live(
    built: Built, index_copy: Path, corpus_extras: list[Path], embedder
) -> None:
    """With a broken pointer, an update builds on the fallback and keeps it as previous."""
    from seedqa.index.build import build_index

    (index_copy / "CURRENT").write_text("gen-0badc0ffee\n")
    note = built.corpus / "note.txt"
    note.write_text("Note\n\nThe harbour crane lifts forty tonnes.\n", encoding="utf-8")
    corpus_extras.append(note)
    report = build_index(None, index_copy, embedder=embedder)
    assert report.wrote and report.added == ("corpus/note.txt",)
    assert (index_copy / built.generations[1]).is_dir()  # the fallback, kept as previous
    state = IndexState.read(index_copy)
    assert state.warning is None and len(state.require().documents) == 5
    assert os.path.isdir(index_copy / str(state.generation))
