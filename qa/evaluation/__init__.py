"""Evaluation of seedqa: QA sets, BEIR retrieval benchmarks and open-domain SQuAD.

Example:
    >>> from qa.evaluation import run_qa_set, write_report
    >>> result = run_qa_set("eval/seed_questions.jsonl", corpus=["seeds"])  # doctest: +SKIP
    >>> result.to_json()["answer"]  # doctest: +SKIP
    {'accuracy': 0.9, 'citation_accuracy': 1.0}
    >>> write_report(result, "eval/results/seed.md")  # doctest: +SKIP

"""

from seedqa.qa.evaluation.beir import BeirResult, load_beir, run_beir
from seedqa.qa.evaluation.errors import EvalDataError, QASetError
from seedqa.qa.evaluation.qa_set import QAItem, QAResult, load_qa_set, run_qa_set
from seedqa.qa.evaluation.report import summary_table, write_report
from seedqa.qa.evaluation.squad import SquadResult, load_squad, run_squad

__all__ = [
    "BeirResult",
    "EvalDataError",
    "QAItem",
    "QAResult",
    "QASetError",
    "SquadResult",
    "load_beir",
    "load_qa_set",
    "load_squad",
    "run_beir",
    "run_qa_set",
    "run_squad",
    "summary_table",
    "write_report",
]
