"""SeedqaService: the one object the CLI, the web chat and the HTTP API call.

Real model, real FAISS and real files; each test gets its own index directory.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from seedqa.qa.errors import (
    DocumentNotFound,
    IndexNotFound,
    InvalidQuestion,
    InvalidSetting,
    UnsupportedFileType,
    UploadTooLarge,
)
from seedqa.qa.service import SeedqaService

NOTE = "The zorblax reactor produces 42 megawatts of power for the northern valley.\n"


@pytest.fixture
def service(tmp_path: Path, qa_corpus: Path, embedder) -> SeedqaService:
    """A service over a fresh index of the small corpus (not the default location)."""
    built = SeedqaService(tmp_path / "index", embedder=embedder)
    built.index([qa_corpus])
    return built


def test_ask_search_documents_and_status(service: SeedqaService):
    answer = service.ask("When did Hekla erupt?")
    assert not answer.abstained and "1104" in answer.answer
    assert answer.generation == service.status().generation
    hits = service.search("Deep Blue", k=2, mode="lexical")
    assert 1 <= len(hits) <= 2 and hits[0].doc_id == "small/chess.txt"
    assert service.search("   ") == []
    documents = service.documents()
    assert [d.doc_id for d in documents] == sorted(d.doc_id for d in documents)
    assert {d.doc_id for d in documents} == {"small/bread.txt", "small/chess.txt",
                                             "small/volcanoes.md"}  # fmt: skip
    assert all(d.n_chunks >= 1 and d.pages is None for d in documents)
    status = service.status().to_json()
    assert status["documents"] == 3 and status["chunks"] >= 3
    assert status["model"] == "all-MiniLM-L6-v2" and status["generation"].startswith("gen-")


def test_bad_requests_are_refused_before_loading(tmp_path: Path):
    service = SeedqaService(tmp_path / "nothing-here")
    with pytest.raises(InvalidQuestion, match="empty"):
        service.ask("  ")
    with pytest.raises(InvalidSetting, match="1 to 100$"):
        service.ask("What?", k=0)
    with pytest.raises(InvalidSetting, match="hybrid, dense, lexical"):
        service.search("x", mode="psychic")
    with pytest.raises(InvalidSetting, match="max_upload_bytes"):
        SeedqaService(tmp_path, max_upload_bytes=0)
    with pytest.raises(InvalidSetting, match="answerer 'psychic' is not valid"):
        SeedqaService(tmp_path, answerer="psychic")
    assert not (tmp_path / "nothing-here").exists()


def test_no_seed_bootstrap_outside_the_default_location(tmp_path: Path):
    service = SeedqaService(tmp_path / "elsewhere")
    assert not service.uses_default_location
    with pytest.raises(IndexNotFound, match="seedqa index PATHS --index-dir"):
        service.ask("How much will Xiaomi invest?")
    assert not (tmp_path / "elsewhere").exists()


def test_the_default_location_is_bootstrapped_with_the_seed_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder
):
    monkeypatch.setenv("SEEDQA_INDEX_DIR", str(tmp_path / "default"))
    messages: list[str] = []
    service = SeedqaService(embedder=embedder, on_status=messages.append)
    assert service.uses_default_location
    answer = service.ask("How much will Xiaomi invest in 5G, AI and IoT?")
    assert "7.18 billion" in answer.answer
    assert any("indexing the seed corpus first" in m for m in messages)
    assert [d.doc_id for d in service.documents()] == ["seeds/xiaomi-7bn-5g-ai-iot-plan.txt"]
    assert service.ensure_index() is None  # already there: nothing built


def test_upload_then_remove(service: SeedqaService, tmp_path: Path):
    note = tmp_path / "zorblax.txt"
    note.write_text(NOTE, encoding="utf-8")
    before = service.status().generation
    sentences = service.assistant().sentence_vectors
    report = service.add_uploads([(note, "../Zorblax notes.txt")])
    assert service.assistant().sentence_vectors is sentences  # kept across the reload
    assert report.stored_files == ("Zorblax notes.txt",)
    assert report.added == ("uploads/Zorblax notes.txt",) and report.documents == 4
    assert (service.index_dir / "uploads" / "Zorblax notes.txt").read_text() == NOTE
    assert service.status().generation != before
    answer = service.ask("How many megawatts does the zorblax reactor produce?")
    assert answer.citations and answer.citations[0].doc_id == "uploads/Zorblax notes.txt"
    removed = service.remove("uploads/Zorblax notes.txt")
    assert removed.removed == ("uploads/Zorblax notes.txt",) and removed.documents == 3
    assert not (service.index_dir / "uploads" / "Zorblax notes.txt").exists()
    with pytest.raises(DocumentNotFound, match="no document"):
        service.remove("uploads/Zorblax notes.txt")


def test_a_rejected_upload_changes_nothing(service: SeedqaService, tmp_path: Path):
    good = tmp_path / "good.txt"
    good.write_text("A perfectly good document.\n", encoding="utf-8")
    bad = tmp_path / "bad.exe"
    bad.write_bytes(b"MZ\x00\x00")
    before = service.status().generation
    with pytest.raises(UnsupportedFileType, match="bad.exe"):
        service.add_uploads([(good, "good.txt"), (bad, "bad.exe")])
    assert not (service.index_dir / "uploads").exists()
    assert service.status().generation == before and len(service.documents()) == 3


def test_upload_size_limit_is_the_services(tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_text("word " * 100, encoding="utf-8")
    with pytest.raises(UploadTooLarge, match="the limit is"):
        SeedqaService(tmp_path / "index", max_upload_bytes=100).check_upload(big)


def test_questions_during_a_change_finish_on_one_generation(
    service: SeedqaService, tmp_path: Path
):
    """Answers keep coming while an upload swaps generations; each comes from one of them."""
    old = service.assistant()
    note = tmp_path / "zorblax.txt"
    note.write_text(NOTE, encoding="utf-8")
    generations: list[str] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            try:
                generations.append(service.ask("When did Hekla erupt?").generation)
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

    workers = [threading.Thread(target=keep_asking) for _ in range(3)]
    for worker in workers:
        worker.start()
    try:
        service.add_uploads([(note, "zorblax.txt")])
    finally:
        done.set()
        for worker in workers:
            worker.join()
    assert not errors
    new = service.status().generation
    assert new != old.retriever.stored.generation
    assert set(generations) <= {old.retriever.stored.generation, new}
    assert "1104" in old.ask("When did Hekla erupt?").answer  # the old one still answers


def test_index_keeps_the_setting_left_out(service: SeedqaService, qa_corpus: Path):
    report = service.index([qa_corpus], chunk_tokens=80)
    assert report.updated and not report.added
    service.reload()
    manifest = service.assistant().retriever.stored.manifest
    assert (manifest.chunk_tokens, manifest.overlap_tokens) == (80, 32)


def test_the_answerer_is_chosen_by_name(service: SeedqaService, embedder):
    assert service.assistant().answerer.name == "similarity"
    chosen = SeedqaService(service.index_dir, embedder=embedder, answerer="model")
    assert chosen.assistant().answerer.name == "model"
    answer = chosen.ask("What is the capital of Australia?")
    assert answer.abstained and answer.citations == []
