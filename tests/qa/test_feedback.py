"""Feedback from the chat: stored in the index directory, exported as a QA set that eval runs.

Also the source text the viewer shows (``SeedqaService.source``).
"""

from __future__ import annotations

import json
import shutil

import pytest

from seedqa.evaluation import run_qa_set
from seedqa.qa.errors import InvalidSetting
from seedqa.qa.feedback import FEEDBACK_FILE, Feedback
from seedqa.qa.service import SeedqaService
from seedqa.ui.cli import main


@pytest.fixture
def service(tmp_path, seed_index, embedder) -> SeedqaService:
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir)
    return SeedqaService(index_dir, embedder=embedder)


def rated(service: SeedqaService, question: str, rating: str, note: str = "") -> Feedback:
    answer = service.ask(question)
    cited = tuple((c.doc_id, c.start, c.end, c.text) for c in answer.citations)
    return service.record_feedback(
        Feedback(f"t-{len(question)}-{rating}", rating, question, answer.answer,
                 answer.abstained, cited, note)  # fmt: skip
    )


def test_feedback_is_appended_and_exported_as_a_qa_set_that_eval_runs(
    service, tmp_path, embedder, capsys
):
    good = rated(service, "How much had Xiaomi committed before?", "up")
    rated(service, "What is the capital of France?", "up", note="right to decline")
    rated(service, "Who is Xiaomi's CEO?", "down", note="it is Lei Jun")
    again = service.record_feedback(Feedback(**{**good.__dict__, "note": "  exact figure  "}))
    lines = (service.index_dir / FEEDBACK_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and again.note == "exact figure" and again.at
    assert json.loads(lines[-1])["note"] == "exact figure"

    out = tmp_path / "feedback-qa.jsonl"
    assert main(["feedback", "export", str(out), "--index-dir", str(service.index_dir)]) == 0
    printed = capsys.readouterr().out
    assert f"Wrote 2 questions to {out} (1 answerable, 1 unanswerable)" in printed
    assert "left out 1 thumbs-down" in printed and f"seedqa eval qa {out}" in printed
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    answerable = next(i for i in items if i["answerable"])
    assert answerable["evidence"] == [good.citations[0][3]] and answerable["note"] == "exact figure"

    result = run_qa_set(out, index_dir=service.index_dir, embedder=embedder)
    assert result.to_json()["n"] == 2
    assert result.to_json()["answer"]["accuracy"] == 1.0  # the rated answers still hold
    assert result.to_json()["abstention"]["recall"] == 1.0


def test_feedback_rejects_bad_ratings(service):
    with pytest.raises(InvalidSetting, match="rating 'meh' is not valid"):
        service.record_feedback(Feedback("t1", "meh", "Q?", "A", False))
    assert not (service.index_dir / FEEDBACK_FILE).exists()


def test_source_is_the_indexed_text_or_rebuilt_from_chunks_when_the_file_changed(
    tmp_path, embedder
):
    folder = tmp_path / "notes"
    folder.mkdir()
    note = folder / "bread.md"
    note.write_text("# Bread\n\nA starter called **Gerald**.\n\nFed daily.\n", encoding="utf-8")
    service = SeedqaService(tmp_path / "index", embedder=embedder)
    service.index([folder])
    source = service.source("notes/bread.md")
    assert source.exact and source.kind == "markdown" and source.text == note.read_text()
    note.write_text("Completely different now.\n", encoding="utf-8")
    stale = service.source("notes/bread.md")
    assert not stale.exact and "A starter called **Gerald**." in stale.text
    answer = service.ask("What is the starter called?")
    for citation in answer.citations:
        assert stale.text[citation.start : citation.end] == citation.text
    with pytest.raises(InvalidSetting, match="not an indexed document"):
        service.source("notes/missing.md")
