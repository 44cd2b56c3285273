"""evaluation.datasets: one loader per format; errors name the file and the line."""

from __future__ import annotations

import json

import pytest
from qa_set_files import GOOD, write_lines

from seedqa.evaluation.datasets import load_beir, load_qa_set
from seedqa.evaluation.errors import EvalDataError, QASetError


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "question"}), "missing key 'question'"),
        (json.dumps({**GOOD, "answers": "Ann"}), "'answers' must be a list of strings"),
        (json.dumps({**GOOD, "answerable": "yes"}), "'answerable' must be true or false"),
        (json.dumps({**GOOD, "evidence": []}), "needs at least one evidence"),
        (json.dumps({**GOOD, "answers": []}), "needs at least one answer"),
        (json.dumps({**GOOD, "question": "  "}), "'question' must be a non-empty string"),
        (json.dumps({**GOOD, "source": 3}), "'source' must be a document id"),
        (json.dumps(GOOD), "duplicate id 'q1' (first on line 1)"),
    ],
)
def test_malformed_lines_name_the_line(tmp_path, bad, message):
    path = write_lines(tmp_path / "set.jsonl", [json.dumps(GOOD), "", bad])
    with pytest.raises(QASetError) as error:
        load_qa_set(path)
    assert str(error.value).startswith(f"{path} line 3: ")
    assert message in str(error.value)


def test_load_qa_set_accepts_unanswerable_without_answers(tmp_path):
    unanswerable = {"id": 7, "question": "Why?", "answers": [], "answerable": False, "evidence": []}
    items = load_qa_set(
        write_lines(tmp_path / "s.jsonl", [json.dumps(GOOD), json.dumps(unanswerable)])
    )
    assert [(i.id, i.answerable, i.line) for i in items] == [("q1", True, 1), ("7", False, 2)]


def test_empty_or_missing_qa_set(tmp_path):
    with pytest.raises(QASetError, match="no questions"):
        load_qa_set(write_lines(tmp_path / "e.jsonl", ["", "  "]))
    with pytest.raises(EvalDataError, match="no such QA set"):
        load_qa_set(tmp_path / "missing.jsonl")


def test_load_beir_errors_name_file_and_line(tmp_path):
    (tmp_path / "qrels").mkdir()
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n{bad\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "x"}\n')
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    with pytest.raises(EvalDataError, match=r"corpus.jsonl line 2: not valid JSON"):
        load_beir(tmp_path)
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "title": "T", "text": "x"}\n')
    (tmp_path / "qrels" / "test.tsv").write_text("q9\td1\t1\n")
    with pytest.raises(EvalDataError, match="query 'q9' of the qrels is missing"):
        load_beir(tmp_path)
    (tmp_path / "qrels" / "test.tsv").write_text("q1\td1\n")
    with pytest.raises(EvalDataError, match="test.tsv line 1: expected"):
        load_beir(tmp_path)
    (tmp_path / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    data = load_beir(tmp_path)
    assert data.documents == {"d1": "T\n\nx"} and data.qrels == {"q1": {"d1": 1}}
