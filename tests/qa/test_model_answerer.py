"""The shipped answer model: loads offline, reads paraphrases, abstains on near-misses."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from seedqa.index.errors import InvalidSetting
from seedqa.qa import Assistant, Retriever
from seedqa.qa.answer_model import MODEL_DIR, AnswerModel, AnswerModelError
from seedqa.qa.evidence import Evidence
from seedqa.qa.model_answerer import ModelAnswerer

PARAPHRASED = [
    ("what share of the ice have glaciers in the alps lost?", "glaciers.txt", "a tenth"),
    ("when can i buy bread on a saturday morning", "bakery.md", "8:30"),
    ("how much is a loaf of sourdough", "bakery.md", "4 euros"),
]
NEAR_MISSES = [
    "how many glaciers are there in norway?",
    "what does a baguette cost at the corner bakery?",
    "what time does the bakery open on sundays in summer",
]


@pytest.fixture(scope="module")
def assistant(answer_retriever: Retriever) -> Assistant:
    return Assistant(answer_retriever, answerer="model")


def _best_probability(answerer: ModelAnswerer, retriever: Retriever, question: str) -> float:
    hits = retriever.search(question, k=5)
    evidence = Evidence(question, question, tuple(hits), retriever.stored.lexical, None)  # type: ignore[arg-type]
    return float(answerer.score(evidence).probabilities.max())


def test_shipped_model_loads_offline_small_and_with_its_threshold():
    model = AnswerModel.load()
    config = json.loads((MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    assert model.threshold == config["threshold"]
    assert 0.0 < model.threshold < 1.0
    size = sum(p.stat().st_size for p in MODEL_DIR.parent.rglob("*") if p.is_file())
    assert size <= 10 * 1024 * 1024


# The shipped model does not reach its threshold on these paraphrases yet (issue 8: on the
# users'-style development sets it answers 0.04-0.07 of the paraphrases; see the README's
# "Answer model" section). strict: once a model passes, the marks must go.
KNOWN_GAP = pytest.mark.xfail(
    strict=True, reason="shipped model abstains on paraphrases (issue 8 targets not met)"
)
# A question in the document's own words, which the shipped model answers.
WORDS_OF_THE_TEXT = (
    "What did researchers survey the Morteratsch glacier with?",
    "glaciers.txt",
    "drones and radar",
)


def test_paraphrase_scores_above_near_miss(answer_retriever, embedder):
    answerer = ModelAnswerer(embedder)
    paraphrase = _best_probability(answerer, answer_retriever, PARAPHRASED[0][0])
    near_miss = _best_probability(
        answerer, answer_retriever, "how much ice did glaciers in the alps lose in 1950?"
    )
    assert paraphrase > near_miss
    assert answerer.model.threshold > near_miss


@KNOWN_GAP
def test_paraphrase_passes_the_threshold(answer_retriever, embedder):
    answerer = ModelAnswerer(embedder)
    best = _best_probability(answerer, answer_retriever, PARAPHRASED[0][0])
    assert best >= answerer.model.threshold


def _assert_answered_with_exact_citations(assistant, corpus, question, doc, expected):
    answer = assistant.ask(question)
    assert not answer.abstained, answer.answer
    first = answer.citations[0]
    assert first.doc_id == f"docs/{doc}"
    assert expected in answer.answer
    for citation in answer.citations:
        text = (corpus / citation.doc_id.split("/", 1)[1]).read_text(encoding="utf-8")
        assert text[citation.start : citation.end] == citation.text
        assert 0.0 <= citation.score <= 1.0
    assert first.score >= assistant.answerer.model.threshold


def test_answers_cite_exact_offsets(assistant, answer_corpus):
    _assert_answered_with_exact_citations(assistant, answer_corpus, *WORDS_OF_THE_TEXT)


@KNOWN_GAP
@pytest.mark.parametrize(("question", "doc", "expected"), PARAPHRASED)
def test_paraphrased_questions_are_answered_with_exact_citations(
    assistant, answer_corpus, question, doc, expected
):
    _assert_answered_with_exact_citations(assistant, answer_corpus, question, doc, expected)


@pytest.mark.parametrize("question", NEAR_MISSES)
def test_near_misses_are_abstained_naming_the_closest_passage(assistant, question):
    answer = assistant.ask(question)
    assert answer.abstained, answer.answer
    assert answer.citations == []
    assert answer.answer.startswith("The documents don't say. The closest passage is [")
    rank = int(answer.answer.split("[", 1)[1].split("]", 1)[0])
    assert 1 <= rank <= len(answer.hits)
    assert answer.hits[rank - 1].title in answer.answer


def test_the_stored_threshold_decides(tmp_path, answer_retriever, embedder):
    question = PARAPHRASED[0][0]
    for threshold, abstains in ((0.999, True), (0.001, False)):
        directory = tmp_path / f"model-{threshold}"
        shutil.copytree(MODEL_DIR, directory)
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        config["threshold"] = threshold
        (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
        answerer = ModelAnswerer(embedder, AnswerModel.load(directory))
        hits = answer_retriever.search(question, k=5)
        lexical = answer_retriever.stored.lexical
        evidence = Evidence(question, question, tuple(hits), lexical, None)  # type: ignore[arg-type]
        assert answerer.extract(evidence).abstained is abstains


def test_a_missing_or_foreign_model_is_a_clear_error(tmp_path):
    with pytest.raises(AnswerModelError, match="make train-answerer"):
        AnswerModel.load(tmp_path)
    shutil.copytree(MODEL_DIR, tmp_path / "old")
    config = json.loads((tmp_path / "old" / "config.json").read_text(encoding="utf-8"))
    config["format"] = 0
    (tmp_path / "old" / "config.json").write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(AnswerModelError, match="format"):
        AnswerModel.load(tmp_path / "old")


def test_answerer_is_chosen_by_name(answer_retriever):
    assert Assistant(answer_retriever, answerer="similarity").answerer.name == "similarity"
    with pytest.raises(InvalidSetting, match="model, similarity"):
        Assistant(answer_retriever, answerer="llm")


def test_the_model_reads_without_torch():
    code = (
        "import sys\n"
        "from seedqa.qa.answer_model import AnswerModel\n"
        "import seedqa.qa.model_answerer\n"
        "AnswerModel.load()\n"
        "sys.exit('torch' in sys.modules)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_model_answers_keep_the_ask_json_schema(assistant):
    answered = assistant.ask(WORDS_OF_THE_TEXT[0]).to_json()
    abstained = assistant.ask(NEAR_MISSES[0]).to_json()
    keys = {"question", "answer", "abstained", "citations", "hits", "timings_ms"}
    assert set(answered) == keys and set(abstained) == keys
    assert not answered["abstained"] and abstained["abstained"]
    assert set(answered["citations"][0]) == {
        "n", "doc_id", "title", "start", "end", "page", "text", "score",
    }  # fmt: skip
