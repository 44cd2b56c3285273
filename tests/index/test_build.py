"""Tests of index/build.py: incremental sync, the embedding cache, rebuilds, interruptions."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from seedqa.index.build import add_files, build_index, remove_document
from seedqa.index.embed import EmbeddingCache
from seedqa.index.records import text_hash
from seedqa.index.state import read_manifest
from seedqa.index.store import load_index

NEW_GAMMA = (
    "Beekeeping in winter\n\n"
    "Honeybees cluster around their queen and shiver to keep the hive warm. "
    "A strong colony eats about twenty kilograms of stored honey before spring.\n\n"
    "Beekeepers heft the boxes in January to judge how much food is left.\n"
)


def live(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


def rows_of(index_dir: Path, doc_id: str) -> list[tuple[int, int, str, bytes]]:
    """The chunk rows of one document with their stored vectors (as bytes)."""
    stored = load_index(index_dir)
    vectors = stored.vectors.vectors(np.arange(len(stored.vectors)))
    return [
        (c.start, c.end, c.text, vectors[i].tobytes())
        for i, c in enumerate(stored.chunks)
        if c.doc_id == doc_id
    ]


def test_incremental_sync_embeds_only_what_changed(
    editable_corpus: Path, tmp_path: Path, embedder
) -> None:
    index_dir = tmp_path / "idx"
    first = build_index(
        [editable_corpus], index_dir, chunk_tokens=32, overlap_tokens=8, embedder=embedder
    )
    assert first.wrote
    assert first.added == ("corpus/alpha.txt", "corpus/beta.md", "corpus/gamma.txt")
    assert first.documents == 3 and first.chunks > 3
    assert first.embedded == first.chunks  # every chunk text is distinct

    # Unchanged corpus: nothing embedded, nothing written, the model is not even loaded.
    generation = live(index_dir)
    again = build_index([editable_corpus], index_dir)
    assert (again.embedded, again.wrote, again.unchanged) == (0, False, 3)
    assert again.added == again.updated == again.removed == ()
    assert (again.documents, again.chunks) == (3, first.chunks)
    assert live(index_dir) == generation
    assert again.seconds < 5
    assert "0 added, 0 updated, 0 removed, 3 unchanged; 0 chunks embedded" in again.summary()

    # One document changed: only its new chunks are embedded, the others are untouched.
    alpha, beta = rows_of(index_dir, "corpus/alpha.txt"), rows_of(index_dir, "corpus/beta.md")
    (editable_corpus / "gamma.txt").write_text(NEW_GAMMA, encoding="utf-8")
    changed = build_index([editable_corpus], index_dir, embedder=embedder)
    manifest = read_manifest(index_dir)
    gamma = manifest.documents["corpus/gamma.txt"]
    assert changed.updated == ("corpus/gamma.txt",)
    assert changed.added == changed.removed == () and changed.unchanged == 2
    assert gamma.content_hash == text_hash(NEW_GAMMA) and gamma.n_chunks > 1
    assert changed.embedded == gamma.n_chunks
    assert (manifest.chunk_tokens, manifest.overlap_tokens) == (32, 8)  # kept from the index
    assert rows_of(index_dir, "corpus/alpha.txt") == alpha
    assert rows_of(index_dir, "corpus/beta.md") == beta
    assert all(NEW_GAMMA[s:e] == t for s, e, t, _ in rows_of(index_dir, "corpus/gamma.txt"))

    # A new file is added.
    (editable_corpus / "delta.txt").write_text(
        "Kite surfing\n\nRiders need steady wind of at least twelve knots.\n", encoding="utf-8"
    )
    added = build_index([editable_corpus], index_dir, embedder=embedder)
    assert added.added == ("corpus/delta.txt",) and added.unchanged == 3
    assert added.embedded == read_manifest(index_dir).documents["corpus/delta.txt"].n_chunks

    # A deleted file is dropped with its chunks, from FAISS and BM25 alike.
    (editable_corpus / "beta.md").unlink()
    removed = build_index([editable_corpus], index_dir, embedder=embedder)
    assert removed.removed == ("corpus/beta.md",) and removed.embedded == 0
    stored = load_index(index_dir)
    assert "corpus/beta.md" not in stored.manifest.documents
    assert all(c.doc_id != "corpus/beta.md" for c in stored.chunks)
    assert len(stored.vectors) == len(stored.chunks) == removed.chunks
    assert not np.any(stored.lexical.scores("zeppelin") > 0)

    # --rebuild re-embeds everything, ignoring the cache.
    rebuilt = build_index([editable_corpus], index_dir, rebuild=True, embedder=embedder)
    assert rebuilt.wrote and rebuilt.embedded == rebuilt.chunks == removed.chunks
    assert len(rebuilt.added) == 3 and rebuilt.updated == rebuilt.removed == ()


def test_identical_text_is_embedded_once_and_cache_survives_removal(
    tmp_path: Path, embedder
) -> None:
    shared = "Tidal power stations in Brittany have run their turbines since the nineteen sixties."
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "one.txt").write_text(
        "Ocean energy notes for the regional council meeting on coastal power.\n\n"
        f"{shared}\n\nWaves are much harder to harvest than tides, engineers say.\n",
        encoding="utf-8",
    )
    (corpus / "two.txt").write_text(
        "A renewables briefing prepared for the ministry of energy this spring.\n\n"
        f"{shared}\n\nOffshore wind farms keep growing along the northern coast.\n",
        encoding="utf-8",
    )
    (corpus / "copy.txt").write_text((corpus / "one.txt").read_text(), encoding="utf-8")
    index_dir = tmp_path / "idx"
    report = build_index([corpus], index_dir, chunk_tokens=24, overlap_tokens=0, embedder=embedder)
    # copy.txt has one.txt's content: one of the two is indexed, the other is skipped by name.
    [duplicate] = [p for p in report.problems if "same content as" in p.reason]
    assert duplicate.reason == "same content as docs/copy.txt, which is indexed once"
    assert duplicate.path == str((corpus / "one.txt").resolve())
    stored = load_index(index_dir)
    texts = [c.text for c in stored.chunks]
    assert sum(1 for t in texts if t == shared) == 2  # the paragraph is a chunk in each file
    assert report.chunks == len(texts) and report.embedded == len(set(texts)) < len(texts)
    vectors = stored.vectors.vectors(np.arange(len(stored.vectors)))
    same = [i for i, t in enumerate(texts) if t == shared]
    assert all(np.array_equal(vectors[i], vectors[same[0]]) for i in same)

    # The cache lives in the index directory, keyed by the model (and precision).
    cache_dirs = list((index_dir / "cache").iterdir())
    assert len(cache_dirs) == 1
    assert (cache_dirs[0] / "model.txt").read_text().strip() == embedder.cache_key

    # Remove a document, then bring it back: its vectors come from the cache.
    outside = tmp_path / "two.txt"
    shutil.move(corpus / "two.txt", outside)
    gone = build_index([corpus], index_dir, embedder=embedder)
    assert gone.removed == ("docs/two.txt",) and gone.embedded == 0
    shutil.move(outside, corpus / "two.txt")
    back = build_index([corpus], index_dir, embedder=embedder)
    assert back.added == ("docs/two.txt",) and back.embedded == 0
    assert back.chunks == report.chunks


def test_embedding_cache_is_keyed_by_model_and_text(tmp_path: Path, embedder) -> None:
    texts = ["Volcanic soil is rich in minerals.", "Basalt cools into columns."]
    cache = EmbeddingCache(tmp_path, embedder.cache_key, embedder.dimension)
    first = cache.embed(embedder, texts + texts[:1])
    assert (cache.misses, cache.hits) == (2, 1) and first.shape == (3, 384)
    assert cache.embed(embedder, []).shape == (0, 384)
    cache.save()

    reopened = EmbeddingCache(tmp_path, embedder.cache_key, embedder.dimension)
    assert len(reopened) == 2
    assert np.array_equal(reopened.embed(embedder, texts), first[:2])
    assert (reopened.misses, reopened.hits) == (0, 2)

    other = EmbeddingCache(tmp_path, "another-model|fp32", embedder.dimension)
    assert len(other) == 0 and other.directory != cache.directory

    # An unreadable cache file is only a cache: it is ignored, never an error.
    (cache.directory / "cache.npz").write_bytes(b"garbage")
    assert len(EmbeddingCache(tmp_path, embedder.cache_key, embedder.dimension)) == 0


def test_rebuild_keeps_the_index_sources_and_settings(
    editable_corpus: Path, tmp_path: Path, embedder
) -> None:
    index_dir = tmp_path / "idx"
    first = build_index(
        [editable_corpus], index_dir, chunk_tokens=32, overlap_tokens=8, embedder=embedder
    )
    rebuilt = build_index(None, index_dir, rebuild=True, embedder=embedder)
    manifest = read_manifest(index_dir)
    assert manifest.sources == (str(editable_corpus.resolve()),)
    assert sorted(manifest.documents) == sorted(first.added)
    assert (manifest.chunk_tokens, manifest.overlap_tokens) == (32, 8)
    assert rebuilt.embedded == rebuilt.chunks == first.chunks


def test_changing_chunk_settings_rechunks_every_document(
    editable_corpus: Path, tmp_path: Path, embedder
) -> None:
    index_dir = tmp_path / "idx"
    first = build_index([editable_corpus], index_dir, embedder=embedder)
    assert first.chunks == 3  # one chunk per short document at the default size
    second = build_index(
        [editable_corpus], index_dir, chunk_tokens=32, overlap_tokens=8, embedder=embedder
    )
    assert len(second.updated) == 3 and second.chunks > first.chunks
    manifest = read_manifest(index_dir)
    assert (manifest.chunk_tokens, manifest.overlap_tokens) == (32, 8)
    assert all(len(c.text) < 400 for c in load_index(index_dir).chunks)


def test_file_that_became_unreadable_keeps_its_previous_version(
    editable_corpus: Path, tmp_path: Path, embedder
) -> None:
    index_dir = tmp_path / "idx"
    build_index([editable_corpus], index_dir, embedder=embedder)
    before = load_index(index_dir)
    (editable_corpus / "alpha.txt").write_bytes(b"Glacier \xff\xfe broken bytes\n")
    report = build_index([editable_corpus], index_dir, embedder=embedder)
    assert [p.path for p in report.problems] == [str(editable_corpus / "alpha.txt")]
    assert "UTF-8" in report.problems[0].reason
    assert report.removed == () and report.unchanged == 3 and report.documents == 3
    after = load_index(index_dir)
    assert after.manifest.documents == before.manifest.documents
    assert [c.text for c in after.chunks] == [c.text for c in before.chunks]


@pytest.mark.parametrize("stage", ["Embedding", "Writing"])
def test_interrupted_build_leaves_previous_index(
    editable_corpus: Path, tmp_path: Path, embedder, stage: str
) -> None:
    index_dir = tmp_path / "idx"
    build_index([editable_corpus], index_dir, embedder=embedder)
    before, generation = load_index(index_dir), live(index_dir)
    (editable_corpus / "gamma.txt").write_text(NEW_GAMMA, encoding="utf-8")

    def interrupt(message: str) -> None:
        if message.startswith(stage):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index([editable_corpus], index_dir, embedder=embedder, on_status=interrupt)
    assert live(index_dir) == generation
    after = load_index(index_dir)
    assert after.manifest == before.manifest
    assert [c.text for c in after.chunks] == [c.text for c in before.chunks]
    assert not list(index_dir.glob("gen-*.tmp"))
    # The lock was released and the next build finishes the job.
    assert build_index([editable_corpus], index_dir, embedder=embedder).updated == (
        "corpus/gamma.txt",
    )


def test_add_files_and_remove_document(editable_corpus: Path, tmp_path: Path, embedder) -> None:
    index_dir = tmp_path / "idx"
    build_index([editable_corpus], index_dir, embedder=embedder)
    extra = tmp_path / "extra" / "notes.txt"
    extra.parent.mkdir()
    extra.write_text("Field notes\n\nThe heron nested by the reed bed.\n", encoding="utf-8")

    report = add_files([extra], index_dir, embedder=embedder)
    assert report.added == ("extra/notes.txt",) and report.unchanged == 3
    assert report.embedded == 1
    manifest = read_manifest(index_dir)
    assert manifest.sources == (str(editable_corpus.resolve()), str(extra.resolve()))

    # A document inside a source folder is excluded; a re-sync keeps it out.
    report = remove_document("corpus/beta.md", index_dir, embedder=embedder)
    assert report.removed == ("corpus/beta.md",) and report.embedded == 0
    assert read_manifest(index_dir).exclude == ("beta.md",)
    resync = build_index(None, index_dir, embedder=embedder)
    assert resync.wrote is False and resync.documents == 3

    # A document that is a source itself is dropped from the sources; its file stays.
    report = remove_document("extra/notes.txt", index_dir, embedder=embedder)
    assert report.removed == ("extra/notes.txt",)
    assert read_manifest(index_dir).sources == (str(editable_corpus.resolve()),)
    assert extra.exists()


def test_vectors_of_another_precision_are_never_mixed(
    editable_corpus: Path, tmp_path: Path, embedder
):
    """An index built in bf16 (torch) and updated by the fp32 ONNX embedder is re-embedded whole."""
    from seedqa.index.embed import Embedder

    bf16 = Embedder.load(runtime="torch", precision="bf16")
    index_dir = tmp_path / "idx"
    first = build_index(
        [editable_corpus], index_dir, chunk_tokens=32, overlap_tokens=8, embedder=bf16
    )
    assert read_manifest(index_dir).precision == "bf16"

    # Querying a bf16 index with fp32 query vectors is fine (it always was: queries were fp32),
    # and an unchanged corpus is left alone.
    assert build_index([editable_corpus], index_dir, embedder=embedder).wrote is False

    (editable_corpus / "gamma.txt").write_text(NEW_GAMMA, encoding="utf-8")
    messages: list[str] = []
    update = build_index([editable_corpus], index_dir, embedder=embedder, on_status=messages.append)
    assert any("holds bf16 vectors" in m and "re-embedding all" in m for m in messages)
    assert read_manifest(index_dir).precision == "fp32"
    assert update.embedded == update.chunks >= first.chunks - 1
    stored = load_index(index_dir)
    vectors = stored.vectors.vectors(np.arange(len(stored.vectors)))
    fresh = embedder.embed_documents([c.text for c in stored.chunks])
    assert np.allclose(vectors, fresh, atol=1e-6)
