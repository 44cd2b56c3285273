"""evaluation metrics, the answer normaliser and result summaries, on hand-made cases."""

from __future__ import annotations

import pytest

from seedqa.evaluation.beir_run import parse_modes
from seedqa.evaluation.datasets import Question, sample_questions
from seedqa.evaluation.datasets.squad import SquadData, select_articles
from seedqa.evaluation.errors import EvalDataError
from seedqa.evaluation.metrics import (
    abstention_scores,
    distinct_docs,
    find_spans,
    overlaps,
    percentile,
    ratio,
    recall_curve,
    trec_scores,
)
from seedqa.evaluation.normalize import answer_matches, normalize_answer
from seedqa.evaluation.qa_result import QAOutcome, QAResult
from seedqa.evaluation.squad_result import SquadOutcome, SquadResult
from seedqa.evaluation.tradeoff import tradeoff_curve

# ----------------------------------------------------------------------------- metrics


def test_normalize_answer_is_squad_style():
    assert normalize_answer("  The $7.18 Billion!  ") == "718 billion"
    assert normalize_answer("‘true AIoT leader’") == "true aiot leader"
    assert normalize_answer("An apple, a pear") == "apple pear"


def test_answer_matches_whole_words_and_ignores_markers():
    assert answer_matches("It will invest $7.18 billion. [1]", ["$7.18 billion"])
    assert answer_matches("CEO LEI   JUN said so [2]", ["x", "lei jun"])
    assert not answer_matches("In 2019 it grew. [1]", ["1"])
    assert not answer_matches("anything", [])
    assert not answer_matches("anything", ["", "!!"])


def test_find_spans_tolerates_whitespace_and_finds_all():
    text = "Alpha beta.\nGamma  delta. Alpha beta."
    assert find_spans(text, "beta. Gamma delta") == [(6, 24)]
    assert find_spans(text, "Alpha beta") == [(0, 10), (26, 36)]
    assert find_spans(text, "zeta") == []
    assert find_spans(text, "   ") == []


def test_overlaps_half_open():
    assert overlaps(0, 10, 9, 12)
    assert not overlaps(0, 10, 10, 12)
    assert overlaps(5, 6, 0, 100)
    assert not overlaps(3, 4, 0, 3)


def test_percentile_and_ratio():
    assert percentile([], 50) is None
    assert percentile([10.0], 95) == 10.0
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile(list(range(1, 101)), 95) == pytest.approx(95.05)
    assert ratio(1, 0) is None
    assert ratio(3, 4) == 0.75


def test_abstention_precision_recall_known_counts():
    # 4 unanswerable (3 abstained), 6 answerable (1 abstained): P = 3/4, R = 3/4.
    abstained = [True, True, True, False] + [True, False, False, False, False, False]
    answerable = [False] * 4 + [True] * 6
    assert abstention_scores(abstained, answerable) == (0.75, 0.75)
    assert abstention_scores([False, False], [False, True]) == (None, 0.0)
    assert abstention_scores([True], [True]) == (0.0, None)


def test_trec_scores_and_recall_curve_on_a_known_case():
    qrels = {"q1": {"a": 1}, "q2": {"b": 1, "c": 1}, "q3": {"z": 1}}
    rankings = {"q1": ["a", "x"], "q2": ["x", "b"] + [f"n{i}" for i in range(200)] + ["c"]}
    scores = trec_scores(qrels, rankings)
    # MRR@10: q1 1, q2 1/2, q3 (nothing retrieved) 0.
    assert scores["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3)
    # Recall@100: q1 1, q2 1/2 (c is beyond 100), q3 0.
    assert scores["recall@100"] == pytest.approx((1 + 0.5) / 3)
    import math

    ndcg_q2 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert scores["ndcg@10"] == pytest.approx((1 + ndcg_q2) / 3)
    curve = recall_curve(rankings, qrels, 3)
    assert curve == pytest.approx([1 / 3, 1.5 / 3, 1.5 / 3])


def test_distinct_docs_and_modes():
    assert distinct_docs(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]
    assert parse_modes("all") == ("hybrid", "dense", "lexical")
    assert parse_modes("dense") == ("dense",)
    with pytest.raises(Exception, match="not valid"):
        parse_modes("fuzzy")


def test_sample_questions_is_deterministic_and_in_order():
    questions = [Question(str(i), f"q{i}", ("a",), source="00-000") for i in range(100)]
    first = sample_questions(questions, 10)
    assert first == sample_questions(questions, 10)
    assert [int(q.id) for q in first] == sorted(int(q.id) for q in first)
    assert sample_questions(questions, None) == questions
    assert sample_questions(questions, 500) == questions


def _entry(answerable, abstained, correct, cited, rank, ms):
    return QAOutcome("x", "?", answerable, abstained, "", correct, cited, rank, ms)


def test_qa_result_summarizes_known_counts():
    entries = [
        _entry(True, False, True, True, 1, 10.0),  # correct
        _entry(True, False, False, True, 2, 20.0),  # wrong answer, right citation
        _entry(True, True, False, None, None, 30.0),  # missed
        _entry(True, False, True, False, 4, 40.0),  # correct, wrong citation
        _entry(False, True, True, None, None, 50.0),  # correct abstention
        _entry(False, False, False, None, None, 60.0),  # false answer
    ]
    result = QAResult.summarize(entries)
    assert result.n == 6
    assert result.retrieval == {"hit@1": 0.25, "hit@5": 0.75, "mrr": round((1 + 0.5 + 0.25) / 4, 4)}
    assert result.answer == {
        "accuracy": 0.5,
        "citation_accuracy": round(2 / 3, 4),
        "first_citation_source": 0.0,
    }
    assert result.abstention == {"precision": 0.5, "recall": 0.5}
    assert result.latency_ms == {"p50": 35.0, "p95": 57.5}
    assert [e.label for e in entries] == [
        "correct",
        "wrong",
        "missed",
        "correct",
        "abstained",
        "false answer",
    ]
    assert result.counts == {
        "correct": 2,
        "wrong": 1,
        "missed": 1,
        "abstained": 1,
        "false answer": 1,
    }


def test_squad_result_summarizes_known_counts():
    outcomes = [
        SquadOutcome("a", 1, False, True, True, 10.0),  # correct, cited its paragraph
        SquadOutcome("b", 3, False, False, False, 20.0),  # wrong, cited elsewhere
        SquadOutcome("c", None, True, False, None, 30.0),  # missed
        SquadOutcome("d", 25, False, True, True, 40.0),  # correct; paragraph beyond 20
    ]
    result = SquadResult.summarize(outcomes, dataset="tiny", mode="hybrid", k=5)
    assert result.retrieval == {"top@1": 0.25, "top@5": 0.5, "top@20": 0.5}
    assert result.answer == {"accuracy": 0.5, "citation_accuracy": round(2 / 3, 4),
                             "first_citation_source": 0.0, "abstained": 0.25}  # fmt: skip
    assert result.counts == {"correct": 2, "wrong": 1, "missed": 1}
    assert result.curve[0] == 0.25 and result.curve[2] == 0.5 and len(result.curve) == 20
    assert set(result.to_json()) == {"dataset", "answerer", "n", "mode", "k", "retrieval",
                                     "answer", "latency_ms", "tradeoff"}  # fmt: skip


def test_tradeoff_curve_on_known_confidences():
    # two answerable (one right at 0.9, one wrong at 0.6), two unanswerable (0.7 and 0.2)
    confidence, answerable = [0.9, 0.6, 0.7, 0.2], [True, True, False, False]
    right = [True, False, False, False]
    points = tradeoff_curve(confidence, answerable, right, thresholds=[0.0, 0.5, 0.8, 0.95])
    assert [p.answered_correct for p in points] == [0.5, 0.5, 0.5, 0.0]
    assert [p.abstained for p in points] == [0.0, 0.5, 1.0, 1.0]
    assert [p.coverage for p in points] == [1.0, 0.75, 0.25, 0.0]
    assert [p.precision for p in points] == [0.5, 0.5, 1.0, None]
    only_answerable = tradeoff_curve([0.3], [True], [True], thresholds=[0.0])
    assert only_answerable[0].abstained is None


def test_first_citation_source_and_curve_in_results():
    entries = [
        QAOutcome("a", "?", True, False, "", True, True, 1, 1.0, 0.9, True, True),
        QAOutcome("b", "?", True, False, "", True, True, 1, 1.0, 0.8, True, False),
        QAOutcome("c", "?", False, True, "", True, None, None, 1.0, 0.1, None, None),
    ]
    result = QAResult.summarize(entries, answerer="model")
    assert result.answer["first_citation_source"] == 0.5
    assert result.operating_point == (1.0, 1.0)
    assert result.to_json()["answerer"] == "model"
    assert result.tradeoff[0].threshold == 0.0 and result.tradeoff[0].abstained == 0.0


def test_select_articles_keeps_their_paragraphs_and_questions():
    data = SquadData(
        "tiny",
        {"00-000": "a", "01-000": "b", "01-001": "c"},
        [
            Question("q1", "?", ("a",), source="00-000"),
            Question("q2", "?", ("b",), source="01-001"),
        ],
    )
    chosen = select_articles(data, [1])
    assert set(chosen.paragraphs) == {"01-000", "01-001"}
    assert [q.id for q in chosen.questions] == ["q2"]
    with pytest.raises(EvalDataError, match="no article 5"):
        select_articles(data, [5])
