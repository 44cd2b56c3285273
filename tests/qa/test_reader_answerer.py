"""The shipped reader: loads offline, reads paraphrases, abstains on near-misses, cites exactly."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from seedqa.qa import Assistant, Retriever
from seedqa.qa.cross_encoder_files import READER_DIR
from seedqa.qa.evidence import Evidence, SentenceVectors
from seedqa.qa.reader_answerer import ReaderAnswerer, ReaderSettings

PARAPHRASED = [
    ("how much of their ice did the alpine glaciers lose", "glaciers.txt", "a tenth"),
    ("how much is a loaf of sourdough", "bakery.md", "4 euros"),
    ("what did the scientists use to survey the glacier", "glaciers.txt", "drones and radar"),
]
NEAR_MISSES = [
    "how many glaciers are there in norway?",
    "what does a baguette cost at the corner bakery?",
]


@pytest.fixture(scope="module")
def assistant(answer_retriever: Retriever) -> Assistant:
    return Assistant(answer_retriever, answerer="reader")


@pytest.fixture(scope="module")
def answerer(assistant: Assistant) -> ReaderAnswerer:
    return assistant.answerer


def _evidence(retriever: Retriever, question: str) -> Evidence:
    hits = retriever.search(question, k=5)
    vectors = SentenceVectors(retriever.embedder)
    return Evidence(question, question, tuple(hits), retriever.stored.lexical, vectors)


def _confidence(answerer: ReaderAnswerer, retriever: Retriever, question: str) -> float:
    return answerer.extract(_evidence(retriever, question)).confidence


def test_shipped_reader_loads_offline_small_and_with_its_settings():
    folder = READER_DIR
    stored = json.loads((folder / "answer.json").read_text(encoding="utf-8"))
    settings = ReaderSettings.load(folder)
    assert settings.threshold == stored["threshold"]
    assert 0.0 < settings.threshold < 1.0
    models = folder.parent
    size = sum(p.stat().st_size for p in models.rglob("*") if p.is_file())
    assert size <= 10 * 1024 * 1024


def test_paraphrase_scores_above_a_near_miss_of_the_same_sentence(answer_retriever, answerer):
    paraphrase = _confidence(answerer, answer_retriever, PARAPHRASED[0][0])
    near_miss = _confidence(
        answerer, answer_retriever, "how much of their ice did glaciers lose in 1950"
    )
    assert paraphrase > near_miss


@pytest.mark.parametrize(("question", "doc", "expected"), PARAPHRASED)
def test_paraphrased_questions_are_answered_with_exact_citations(
    assistant, answer_corpus, question, doc, expected
):
    answer = assistant.ask(question)
    assert not answer.abstained, answer.answer
    first = answer.citations[0]
    assert first.doc_id == f"docs/{doc}"
    assert expected in first.text
    for citation in answer.citations:
        text = (answer_corpus / citation.doc_id.split("/", 1)[1]).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.text
    assert answer.confidence >= assistant.answerer.settings.threshold


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_are_abstained_naming_the_closest_passage(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained, answer.answer
    assert answer.citations == []
    assert answer.answer.startswith("The documents don't say. The closest passage is [")
    rank = int(answer.answer.split("[", 1)[1].split("]", 1)[0])
    assert 1 <= rank <= len(answer.hits)


def test_the_stored_threshold_decides(tmp_path, answer_retriever, answerer):
    question = PARAPHRASED[1][0]
    confidence = _confidence(answerer, answer_retriever, question)
    folder = tmp_path / "reader"
    shutil.copytree(READER_DIR, folder)
    settings = json.loads((folder / "answer.json").read_text(encoding="utf-8"))
    for threshold, abstains in ((min(confidence + 0.01, 0.999), True), (confidence / 2, False)):
        settings["threshold"] = threshold
        (folder / "answer.json").write_text(json.dumps(settings), encoding="utf-8")
        stricter = ReaderAnswerer(reader=answerer.reader, model_dir=folder)
        assert stricter.settings == replace(answerer.settings, threshold=threshold)
        assert stricter.extract(_evidence(answer_retriever, question)).abstained is abstains


def test_ask_json_schema_is_the_same_for_every_answerer(answer_retriever, answerer):
    reader = Assistant(answer_retriever, answerer="reader")
    assert reader.answerer is answerer  # loaded once per process
    similarity = Assistant(answer_retriever, answerer="similarity")
    question = PARAPHRASED[1][0]
    assert set(reader.ask(question).to_json()) == set(similarity.ask(question).to_json())
