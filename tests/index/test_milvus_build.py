"""Indexes in the Milvus store (real Milvus Lite): builds, increments, swaps, store moves.

Every index here uses the default store location, a Milvus Lite database in the
index directory, so the tests need no server; the same code reaches a server.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from corpora import EDITABLE_CORPUS

from seedqa.index.build import build_index
from seedqa.index.errors import StoreUnavailable
from seedqa.index.milvus_store import GenerationGone
from seedqa.index.state import IndexState
from seedqa.index.store import StoreRequest, load_index
from seedqa.qa.retriever import Retriever
from seedqa.qa.service import SeedqaService

MILVUS = StoreRequest("milvus")
QUERIES = ["glacier ice loss", "airship freight across the Arctic", "wild yeast", "helium supply"]


def write_corpus(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def hits(retriever: Retriever, mode: str = "hybrid") -> list[list[tuple[str, float, float]]]:
    """Per query: (chunk id, dense, lexical) of the top 5, rounded."""
    return [
        [
            (h.chunk_id, round(h.scores.get("dense", 0), 4), round(h.scores.get("lexical", 0), 3))
            for h in retriever.search(q, k=5, mode=mode)
        ]
        for q in QUERIES
    ]


def born_counts(index_dir: Path) -> dict[int, int]:
    """Rows in the collection by the generation that wrote them."""
    stored = load_index(index_dir)
    collection = stored.vectors.collection
    rows = collection.client.query(collection.name, filter="born >= 0", output_fields=["born"])
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["born"]] = counts.get(row["born"], 0) + 1
    return counts


@pytest.fixture(scope="module")
def small_corpus_files() -> dict[str, str]:
    return dict(EDITABLE_CORPUS)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory, small_corpus_files) -> Path:
    return write_corpus(tmp_path_factory.mktemp("milvus") / "corpus", small_corpus_files)


@pytest.fixture(scope="module")
def faiss_index(corpora: Path, embedder) -> Path:
    index_dir = corpora.parent / "faiss-index"
    build_index([corpora], index_dir, embedder=embedder)
    return index_dir


@pytest.fixture(scope="module")
def milvus_index(corpora: Path, embedder) -> Path:
    index_dir = corpora.parent / "milvus-index"
    report = build_index([corpora], index_dir, embedder=embedder, store=MILVUS)
    assert report.wrote and report.embedded == report.chunks
    return index_dir


class TestBuild:
    def test_manifest_names_the_store(self, milvus_index: Path) -> None:
        manifest = IndexState.read(milvus_index).require()
        assert manifest.store.kind == "milvus" and manifest.store.uri == "milvus.db"
        assert manifest.store.collection.startswith("seedqa_")
        assert manifest.vector_index == "milvus-hnsw"
        generation = IndexState.read(milvus_index).generation_dir
        assert sorted(p.name for p in generation.iterdir()) == [
            "chunks.jsonl",
            "manifest.json",
            "terms.json",
        ]
        assert (milvus_index / "milvus.db").is_dir()

    def test_same_hits_as_faiss(self, milvus_index: Path, faiss_index: Path, embedder) -> None:
        milvus = Retriever.load(milvus_index, embedder=embedder)
        faiss = Retriever.load(faiss_index, embedder=embedder)
        for mode in ("hybrid", "dense", "lexical"):
            assert hits(milvus, mode) == hits(faiss, mode), mode

    def test_unchanged_corpus_writes_nothing(self, milvus_index: Path, corpora: Path) -> None:
        report = build_index([corpora], milvus_index)
        assert not report.wrote and report.embedded == 0


class TestIncremental:
    def test_add_change_delete_write_only_changed_chunks(
        self, tmp_path: Path, small_corpus_files: dict[str, str], embedder
    ) -> None:
        corpus = write_corpus(tmp_path / "corpus", small_corpus_files)
        index_dir = tmp_path / "index"
        first = build_index([corpus], index_dir, embedder=embedder, store=MILVUS)
        (corpus / "delta.txt").write_text("Tidal power\n\nTurbines sit on the seabed.\n")
        (corpus / "gamma.txt").write_text(
            small_corpus_files["gamma.txt"] + "\nRye flour makes a denser loaf.\n"
        )
        (corpus / "beta.md").unlink()
        second = build_index([corpus], index_dir, embedder=embedder)
        assert second.added == ("corpus/delta.txt",) and second.updated == ("corpus/gamma.txt",)
        assert second.removed == ("corpus/beta.md",)
        stored = load_index(index_dir)
        assert stored.manifest.store.generation == 2
        fresh = [c for c in stored.chunks if c.doc_id in ("corpus/delta.txt", "corpus/gamma.txt")]
        assert second.embedded <= len(fresh)
        assert born_counts(index_dir) == {1: first.chunks, 2: len(fresh)}
        retriever = Retriever.load(index_dir, embedder=embedder)
        assert retriever.search("zeppelin airship", k=3, mode="lexical") == []
        assert retriever.search("seabed turbines", k=1)[0].doc_id == "corpus/delta.txt"
        assert len(stored.vectors) == len(stored.chunks) == second.chunks

    def test_rebuild_rewrites_every_chunk(
        self, tmp_path: Path, small_corpus_files: dict[str, str], embedder
    ) -> None:
        corpus = write_corpus(tmp_path / "corpus", small_corpus_files)
        index_dir = tmp_path / "index"
        first = build_index([corpus], index_dir, embedder=embedder, store=MILVUS)
        again = build_index(None, index_dir, embedder=embedder, rebuild=True)
        assert again.wrote and again.embedded == again.chunks == first.chunks
        assert load_index(index_dir).manifest.store.kind == "milvus"
        assert born_counts(index_dir) == {1: first.chunks, 2: first.chunks}


def view(retriever: Retriever) -> tuple:
    """What a reader sees: exact dense hits, and the chunks hybrid and lexical search reach.

    BM25 scores come from the engine's statistics over the whole collection, which a
    build changes, so only the chunks they rank are compared, not their scores.
    """
    dense = hits(retriever, "dense")
    reached = {
        mode: sorted({h.chunk_id for q in QUERIES for h in retriever.search(q, k=20, mode=mode)})
        for mode in ("hybrid", "lexical")
    }
    unique = [h.doc_id for h in retriever.search("Morteratsch seabed", k=5, mode="lexical")]
    return dense, reached, unique


class TestAtomicSwap:
    def test_reader_keeps_its_generation_during_and_after_a_rebuild(
        self, tmp_path: Path, small_corpus_files: dict[str, str], embedder
    ) -> None:
        corpus = write_corpus(tmp_path / "corpus", small_corpus_files)
        index_dir = tmp_path / "index"
        build_index([corpus], index_dir, embedder=embedder, store=MILVUS)
        reader = Retriever.load(index_dir, embedder=embedder)
        before = view(reader)
        assert before[2] == ["corpus/alpha.txt"]
        (corpus / "alpha.txt").unlink()
        (corpus / "delta.txt").write_text("Tidal power\n\nTurbines sit on the seabed.\n")
        seen: list = []
        done = threading.Event()

        def keep_asking() -> None:
            while not done.is_set():
                seen.append(view(reader))

        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            build_index([corpus], index_dir, embedder=embedder)
        finally:
            done.set()
            asker.join()
        seen.append(view(reader))  # after the swap: still the generation it loaded
        assert len(seen) >= 2 and all(result == before for result in seen)
        fresh = Retriever.load(index_dir, embedder=embedder)
        assert view(fresh)[2] == ["corpus/delta.txt"]

        # Two builds later its rows may be gone: it is told to reload, never served half.
        (corpus / "delta.txt").unlink()
        build_index([corpus], index_dir, embedder=embedder)
        with pytest.raises(GenerationGone, match="load the index again"):
            reader.search("glacier ice loss", k=3)


class TestMovingStores:
    def test_faiss_to_milvus_and_back_embeds_nothing(
        self, tmp_path: Path, faiss_index: Path, milvus_index: Path, embedder
    ) -> None:
        index_dir = tmp_path / "moved"
        shutil.copytree(faiss_index, index_dir)
        expected = hits(Retriever.load(faiss_index, embedder=embedder))
        to_milvus = build_index(None, index_dir, embedder=embedder, store=MILVUS)
        assert to_milvus.wrote and to_milvus.embedded == 0
        assert load_index(index_dir).manifest.store.kind == "milvus"
        assert hits(Retriever.load(index_dir, embedder=embedder)) == expected
        back = build_index(None, index_dir, embedder=embedder, store=StoreRequest("faiss"))
        assert back.wrote and back.embedded == 0
        assert load_index(index_dir).manifest.store.kind == "faiss"
        assert hits(Retriever.load(index_dir, embedder=embedder)) == expected

    def test_service_keeps_the_index_store(self, tmp_path: Path, milvus_index: Path) -> None:
        index_dir = tmp_path / "copy"
        shutil.copytree(milvus_index, index_dir, ignore=shutil.ignore_patterns("LOCK"))
        service = SeedqaService(index_dir)
        assert service.status().vector_index == "milvus-hnsw"
        assert service.search("lactobacilli", k=1)[0].doc_id == "corpus/gamma.txt"


class TestUnreachable:
    def test_build_into_unreachable_server_changes_nothing(
        self, tmp_path: Path, faiss_index: Path, embedder
    ) -> None:
        index_dir = tmp_path / "index"
        shutil.copytree(faiss_index, index_dir)
        before = (index_dir / "CURRENT").read_text()
        uri = "http://127.0.0.1:9"  # discard port: nothing listens
        with pytest.raises(StoreUnavailable, match="cannot reach Milvus at http://127.0.0.1:9"):
            build_index(None, index_dir, embedder=embedder, store=StoreRequest(uri=uri))
        assert (index_dir / "CURRENT").read_text() == before
        assert load_index(index_dir).manifest.store.kind == "faiss"

    def test_reader_of_an_unreachable_server(
        self, milvus_index: Path, embedder, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SEEDQA_MILVUS_URI", "http://127.0.0.1:9")
        with pytest.raises(StoreUnavailable) as caught:
            Retriever.load(milvus_index, embedder=embedder)
        assert "http://127.0.0.1:9" in str(caught.value) and "\n" not in str(caught.value)


def test_vectors_match_faiss(milvus_index: Path, faiss_index: Path) -> None:
    milvus, faiss = load_index(milvus_index), load_index(faiss_index)
    assert [c.chunk_id for c in milvus.chunks] == [c.chunk_id for c in faiss.chunks]
    rows = np.arange(len(faiss.chunks))
    np.testing.assert_allclose(milvus.vectors.vectors(rows), faiss.vectors.vectors(rows), atol=1e-6)
