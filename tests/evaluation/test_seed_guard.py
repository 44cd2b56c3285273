"""Guard: the seed QA set must not fall below the committed baseline (eval/baseline.json).

Re-baseline after a deliberate change with
``seedqa eval qa eval/seed_questions.jsonl --corpus seeds --json /tmp/seed.json``
and copy the figures, rounded down to 2 decimals, into eval/baseline.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from seedqa.evaluation import run_qa_set

REPO = Path(__file__).resolve().parents[2]
EPSILON = 1e-9


def test_seed_questions_meet_the_baseline(tmp_path, embedder):
    baseline = json.loads((REPO / "eval" / "baseline.json").read_text(encoding="utf-8"))
    result = run_qa_set(
        REPO / "eval" / "seed_questions.jsonl",
        corpus=[REPO / "seeds"],
        index_dir=tmp_path,
        embedder=embedder,
    )
    assert result.n >= 40
    accuracy = result.answer["accuracy"]
    recall = result.abstention["recall"]
    failures = []
    if accuracy < baseline["answer_accuracy"] - EPSILON:
        failures.append(f"answer accuracy {accuracy} < baseline {baseline['answer_accuracy']}")
    if recall < baseline["abstention_recall"] - EPSILON:
        failures.append(f"abstention recall {recall} < baseline {baseline['abstention_recall']}")
    wrong = [o.id for o in result.outcomes if not o.answer_correct]
    assert not failures, "; ".join(failures) + f" (questions not right: {', '.join(wrong)})"
