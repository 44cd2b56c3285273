"""SeedqaService follows the index on disk: a build made elsewhere is answered from next.

The web chat and the HTTP API hold one long-lived service; `seedqa index` run in
another process swaps ``CURRENT``. The next request must answer from the new
generation, while a request already running finishes on the old one.
"""

from __future__ import annotations

import threading
from pathlib import Path

from seedqa.index.build import build_index
from seedqa.qa.service import SeedqaService

KITES = "Kite festivals\n\nThe Weifang kite festival draws forty thousand flyers each April.\n"


def test_a_build_by_another_process_is_answered_from_next(
    tmp_path: Path, qa_corpus: Path, embedder
) -> None:
    index_dir = tmp_path / "index"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for file in qa_corpus.iterdir():
        (corpus / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    build_index([corpus], index_dir, embedder=embedder)
    messages: list[str] = []
    service = SeedqaService(index_dir, embedder=embedder, on_status=messages.append)
    before = service.assistant()
    assert service.assistant() is before  # unchanged pointer: nothing reloaded
    old_generation = service.status().generation
    assert "small/kites.txt" not in {d.doc_id for d in service.documents()}

    # Another writer (here: the library, as `seedqa index` would) adds a document.
    (corpus / "kites.txt").write_text(KITES, encoding="utf-8")
    report = build_index([corpus], index_dir, embedder=embedder)
    assert report.wrote

    answer = service.ask("How many flyers come to the Weifang kite festival?")
    assert answer.generation != old_generation
    assert "forty thousand" in answer.answer
    assert any(c.doc_id == "corpus/kites.txt" for c in answer.citations)
    assert service.status().generation == answer.generation
    assert any("changed on disk" in m and answer.generation in m for m in messages)

    # A request that had started on the old generation finishes on it.
    old = before.ask("When did Hekla erupt?")
    assert old.generation == old_generation and "1104" in old.answer


def test_concurrent_requests_during_a_swap_each_use_one_generation(
    tmp_path: Path, qa_corpus: Path, embedder
) -> None:
    index_dir = tmp_path / "index"
    build_index([qa_corpus], index_dir, embedder=embedder)
    service = SeedqaService(index_dir, embedder=embedder)
    service.assistant()
    generations: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            for _ in range(4):
                generations.append(service.ask("When did Hekla erupt?").generation)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    build_index([qa_corpus], index_dir, embedder=embedder, rebuild=True)
    for thread in threads:
        thread.join()
    assert not errors
    assert service.ask("When did Hekla erupt?").generation == service.status().generation
    assert set(generations) <= {generations[0], service.status().generation}
