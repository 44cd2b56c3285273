"""The record every question dataset loads into."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    """One evaluation question with its gold answers and where the answer is.

    ``source`` is, for a QA set, the document id (or a unique tail of one)
    that holds the evidence, and for SQuAD the id of the question's own
    paragraph. ``evidence`` holds the QA set's verbatim evidence strings;
    ``line`` the 1-based line of a QA-set file (0 for other formats).
    """

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool = True
    evidence: tuple[str, ...] = ()
    source: str | None = None
    line: int = 0
