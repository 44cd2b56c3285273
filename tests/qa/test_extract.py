"""qa.extract: the answer stage on real evidence (an Evidence record in, an Extraction out)."""

from __future__ import annotations

import pytest

from seedqa.qa import extract
from seedqa.qa.evidence import Evidence, SentenceVectors


@pytest.fixture(scope="module")
def evidence_for(qa_retriever):
    """Build the Evidence record of a question over the read-only qa corpus."""
    vectors = SentenceVectors(qa_retriever.embedder)

    def build(question: str, k: int = 3) -> Evidence:
        hits = qa_retriever.search(question, k=k)
        return Evidence(question, question, tuple(hits), qa_retriever.stored.lexical, vectors)

    return build


def test_sentences_are_scored_best_first_and_come_from_the_hits(evidence_for):
    evidence = evidence_for("When did Eyjafjallajokull erupt?")
    scored = extract.score_sentences(evidence)
    assert scored and [c.score for c in scored] == sorted((c.score for c in scored), reverse=True)
    for candidate in scored:
        hit, span = candidate.hit, candidate.span
        assert candidate.text == hit.text[span.start - hit.start : span.end - hit.start]
    assert "2010" in scored[0].text


def test_extraction_answers_with_the_sentence_that_holds_the_fact(evidence_for):
    extraction = extract.extract_answer(evidence_for("When did Hekla erupt?"))
    assert not extraction.abstained and extraction.confidence >= extract.ANSWER_THRESHOLD
    assert "1104" in extraction.sentences[0].text
    assert len(extraction.sentences) <= extract.MAX_SENTENCES


def test_a_figure_the_passages_never_mention_abstains(evidence_for):
    extraction = extract.extract_answer(evidence_for("When did Hekla erupt in 1999?"))
    assert extraction.abstained and "1999" in extraction.reason
    assert extraction.sentences == []


def test_unrelated_questions_abstain_as_too_weak(evidence_for):
    extraction = extract.extract_answer(evidence_for("how many employees work there"))
    assert extraction.abstained and extraction.reason in (
        "the evidence is too weak", "nothing relevant was retrieved"
    )


def test_kind_of_answer_and_specifics():
    missing = extract.unsupported_specifics("What did Xiaomi spend in 2018?", "Xiaomi 2019")
    assert missing == ["2018"]
    assert extract.unsupported_specifics("What did Xiaomi spend?", "xiaomi spent") == []
    assert extract._gives_kind("When did it open?", "It opened in March 2021.")
    assert not extract._gives_kind("How many books?", "It holds books.")
    assert extract._gives_kind("Who designed it?", "The architect Maria Lund designed it.")


def test_coverage_and_confidence(evidence_for):
    evidence = evidence_for("When did Hekla erupt?")
    assert extract.evidence_coverage(evidence) == 1.0
    assert 0.0 <= extract.evidence_coverage(evidence_for("zorblax quasar flux")) < 1.0
    best = extract.score_sentences(evidence)[0]
    assert extract.confidence(best, 1.0) > extract.confidence(best, 0.0)
    assert len(extract.confidence_features(best, 1.0)) == len(extract.CONFIDENCE_WEIGHTS)
