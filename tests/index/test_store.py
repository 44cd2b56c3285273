"""Tests of the store stage (index/store.py): layout, manifest checks, atomic writes, lock."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from seedqa.index.build import build_index
from seedqa.index.errors import IndexCorrupt, IndexMismatch, IndexNotFound, SeedqaError
from seedqa.index.manifest import FORMAT_VERSION, check_embedder
from seedqa.index.state import IndexState, read_manifest
from seedqa.index.store import build_lock, load_index


def live_generation(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


@pytest.fixture
def built(editable_corpus: Path, tmp_path: Path, embedder) -> Path:
    """An index of the small corpus, built with 32-token chunks; returns its directory."""
    index_dir = tmp_path / "idx"
    build_index([editable_corpus], index_dir, chunk_tokens=32, overlap_tokens=8, embedder=embedder)
    return index_dir


def test_index_directory_is_self_describing(built: Path, editable_corpus: Path, embedder) -> None:
    generation = live_generation(built)
    assert generation.name.startswith("gen-") and generation.is_dir()
    for name in ("manifest.json", "chunks.jsonl", "vectors.faiss", "bm25"):
        assert (generation / name).exists(), name

    raw = json.loads((generation / "manifest.json").read_text(encoding="utf-8"))
    assert raw["format_version"] == FORMAT_VERSION == 1
    assert raw["embedder"] == "all-MiniLM-L6-v2"
    assert raw["dimension"] == 384
    assert (raw["chunk_tokens"], raw["overlap_tokens"]) == (32, 8)
    assert raw["sources"] == [str(editable_corpus.resolve())]
    files = sorted(editable_corpus.iterdir())
    assert sorted(raw["documents"]) == [f"corpus/{f.name}" for f in files]
    for file in files:
        entry = raw["documents"][f"corpus/{file.name}"]
        assert entry["content_hash"] == hashlib.sha256(file.read_bytes()).hexdigest()
        assert entry["source"] == str(file.resolve())
        assert entry["n_chars"] == len(file.read_text(encoding="utf-8"))

    rows = [json.loads(line) for line in (generation / "chunks.jsonl").open(encoding="utf-8")]
    texts = {f"corpus/{f.name}": f.read_text(encoding="utf-8") for f in files}
    assert len(rows) == sum(e["n_chunks"] for e in raw["documents"].values())
    for doc_id, entry in raw["documents"].items():
        assert entry["n_chunks"] == sum(1 for r in rows if r["doc_id"] == doc_id) > 1
    for row in rows:
        text = texts[row["doc_id"]]
        assert row["text"] == text[row["start"] : row["end"]]
        assert row["page"] is None
        assert row["sentences"], row
        for start, end in row["sentences"]:
            assert row["start"] <= start < end <= row["end"]
    assert len({r["chunk_id"] for r in rows}) == len(rows)

    on_disk = faiss.read_index(str(generation / "vectors.faiss"))
    assert on_disk.ntotal == len(rows) and on_disk.d == 384

    stored = load_index(built)
    assert stored.manifest == read_manifest(built)
    assert [c.text for c in stored.chunks] == [r["text"] for r in rows]
    # Row i of FAISS is the vector of chunk i.
    expected = embedder.embed_documents([r["text"] for r in rows])
    actual = stored.vectors.vectors(np.arange(len(stored.vectors)))
    assert np.allclose(actual, expected, atol=2e-2)

    # BM25 row i is chunk i: a word found in one document only retrieves its chunks.
    scores = stored.lexical.scores("Morteratsch")
    ids = np.argsort(-scores)[: int(np.sum(scores > 0))]
    assert len(ids) >= 1 and scores[ids[0]] > 0
    assert all(stored.chunks[i].doc_id == "corpus/alpha.txt" for i in ids)
    assert "Morteratsch" in stored.chunks[ids[0]].text
    _, ids = stored.vectors.search(embedder.embed_query("airship cargo flights"), 1)
    assert stored.chunks[ids[0][0]].doc_id == "corpus/beta.md"


def test_missing_index_names_the_command(tmp_path: Path) -> None:
    assert not IndexState.read(tmp_path / "nowhere").exists
    with pytest.raises(IndexNotFound, match="seedqa index"):
        load_index(tmp_path / "nowhere")
    with pytest.raises(IndexNotFound, match="seedqa index"):
        read_manifest(tmp_path)


def test_other_format_version_is_refused_with_rebuild_hint(
    built: Path, editable_corpus: Path, embedder
) -> None:
    manifest_path = live_generation(built) / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(IndexMismatch, match="--rebuild") as caught:
        load_index(built)
    assert "format version" in str(caught.value)
    with pytest.raises(IndexMismatch, match="--rebuild"):
        build_index([editable_corpus], built, embedder=embedder)

    report = build_index([editable_corpus], built, rebuild=True, embedder=embedder)
    assert report.wrote and len(report.added) == 3
    assert load_index(built).manifest.format_version == FORMAT_VERSION


def test_check_embedder_refuses_another_model_or_dimension(built: Path) -> None:
    manifest = read_manifest(built)
    check_embedder(manifest, "all-MiniLM-L6-v2", 384)
    check_embedder(manifest, "all-MiniLM-L6-v2")
    with pytest.raises(IndexMismatch, match="--rebuild") as caught:
        check_embedder(manifest, "other-model", 384)
    assert "all-MiniLM-L6-v2" in str(caught.value) and "other-model" in str(caught.value)
    with pytest.raises(IndexMismatch, match="--rebuild"):
        check_embedder(manifest, "all-MiniLM-L6-v2", 768)


def test_build_with_another_model_on_existing_index_is_refused(
    built: Path, editable_corpus: Path
) -> None:
    before = read_manifest(built)
    with pytest.raises(IndexMismatch, match="--rebuild"):
        build_index([editable_corpus], built, model="/nonexistent/model")
    assert read_manifest(built) == before


def test_manifest_with_another_dimension_is_refused(
    built: Path, editable_corpus: Path, embedder
) -> None:
    manifest_path = live_generation(built) / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["dimension"] = 768
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    # The vectors no longer match the manifest: loading says so instead of searching wrongly.
    with pytest.raises(IndexCorrupt, match="--rebuild") as caught:
        load_index(built)
    assert "768" in str(caught.value) and "384" in str(caught.value)
    (editable_corpus / "gamma.txt").write_text("Something new about kites.\n", encoding="utf-8")
    with pytest.raises(SeedqaError, match="--rebuild"):
        build_index([editable_corpus], built, embedder=embedder)
    report = build_index([editable_corpus], built, rebuild=True, embedder=embedder)
    assert load_index(built).manifest.dimension == 384 and report.documents == 3


def test_damaged_index_is_reported_not_used(built: Path) -> None:
    generation = live_generation(built)
    (generation / "vectors.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(IndexCorrupt, match="--rebuild"):
        load_index(built)
    (built / "CURRENT").write_text("gen-missing\n", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="--rebuild"):
        load_index(built)
    assert not IndexState.read(built).exists


def test_unfinished_generation_is_ignored_then_cleaned(
    built: Path, editable_corpus: Path, embedder
) -> None:
    before = load_index(built)
    # What a build killed inside write_index leaves behind: a half-written staging directory.
    stale = built / "gen-0.tmp"
    stale.mkdir()
    (stale / "manifest.json").write_text("{", encoding="utf-8")
    (stale / "chunks.jsonl").write_text('{"doc_id": "x"', encoding="utf-8")
    after = load_index(built)
    assert after.manifest == before.manifest
    assert [c.text for c in after.chunks] == [c.text for c in before.chunks]

    (editable_corpus / "delta.txt").write_text("Kites fly on windy beaches.\n", encoding="utf-8")
    report = build_index([editable_corpus], built, embedder=embedder)
    assert report.added == ("corpus/delta.txt",)
    assert not stale.exists()
    assert not list(built.glob("gen-*.tmp"))
    # The generation replaced last is kept one build longer for readers that just opened it.
    generations = sorted(p.name for p in built.glob("gen-*"))
    assert len(generations) == 2 and live_generation(built).name in generations


def test_build_lock_refuses_a_concurrent_build(
    built: Path, editable_corpus: Path, embedder
) -> None:
    before = read_manifest(built)
    (editable_corpus / "delta.txt").write_text("Kites fly on windy beaches.\n", encoding="utf-8")
    with build_lock(built):
        with pytest.raises(SeedqaError, match="another seedqa build"):
            build_index([editable_corpus], built, embedder=embedder)
        with pytest.raises(SeedqaError, match="another seedqa build"):
            with build_lock(built):
                pass  # pragma: no cover
    assert read_manifest(built) == before
    # Released: the next build goes through.
    assert build_index([editable_corpus], built, embedder=embedder).added == ("corpus/delta.txt",)
