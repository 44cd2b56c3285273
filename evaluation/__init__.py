"""seedqa's evaluation: QA sets, BEIR retrieval benchmarks and open-domain SQuAD.

A package of its own, beside ``index``, ``qa`` and ``ui``: it measures the
engine from outside, as a user's program would (through ``Retriever``,
``Assistant`` and the ordinary index build), and the scripts in ``eval/``
share its dataset loaders, answer normaliser and metrics. Plots and
pytrec_eval come from the optional ``eval`` extra (``pip install -e '.[eval]'``).

Example:
    >>> from seedqa.evaluation import run_qa_set
    >>> result = run_qa_set("eval/seed_questions.jsonl", corpus=["seeds"])  # doctest: +SKIP
    >>> result.to_json()["answer"]  # doctest: +SKIP
    {'accuracy': 0.529, 'citation_accuracy': 0.9474}
    >>> print(result.summary_table())  # doctest: +SKIP
    >>> result.write_report("eval/results/seed.md")  # doctest: +SKIP

Names are imported on first use (PEP 562).

"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "BeirResult": "seedqa.evaluation.beir_result",
    "EvalDataError": "seedqa.evaluation.errors",
    "QAOutcome": "seedqa.evaluation.qa_result",
    "QAResult": "seedqa.evaluation.qa_result",
    "QASetError": "seedqa.evaluation.errors",
    "Question": "seedqa.evaluation.datasets.records",
    "SquadOutcome": "seedqa.evaluation.squad_result",
    "SquadResult": "seedqa.evaluation.squad_result",
    "load_beir": "seedqa.evaluation.datasets.beir",
    "load_qa_set": "seedqa.evaluation.datasets.qa_set",
    "load_squad": "seedqa.evaluation.datasets.squad",
    "run_beir": "seedqa.evaluation.beir_run",
    "run_qa_set": "seedqa.evaluation.qa_run",
    "run_squad": "seedqa.evaluation.squad_run",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seedqa.evaluation' has no attribute {name!r}")
    return getattr(import_module(module), name)
