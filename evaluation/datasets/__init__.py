"""One loader per dataset format, used by ``seedqa eval`` and by the scripts in ``eval/``.

* ``qa_set``: seedqa's JSONL QA sets (answerable and unanswerable questions);
* ``beir``: BEIR folders (corpus, queries, graded qrels), e.g. SciFact;
* ``squad``: SQuAD v1.1 JSON (paragraphs and their questions).

QA-set and SQuAD questions are the same record, ``Question``.
"""

from seedqa.evaluation.datasets.beir import BeirData, load_beir
from seedqa.evaluation.datasets.qa_set import load_qa_set
from seedqa.evaluation.datasets.records import Question
from seedqa.evaluation.datasets.squad import SquadData, load_squad, sample_questions

__all__ = [
    "BeirData",
    "Question",
    "SquadData",
    "load_beir",
    "load_qa_set",
    "load_squad",
    "sample_questions",
]
