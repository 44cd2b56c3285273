"""The one answer normaliser: how every evaluation decides that an answer is right.

Answers are compared SQuAD-style: lowercased, punctuation and the articles
"a", "an", "the" removed, whitespace folded; a gold answer matches when its
normalised words occur as a contiguous run of the normalised answer's words
(so "1" does not match inside "2019"). ``seedqa eval`` and the tuning and
calibration scripts in ``eval/`` all use ``answer_matches``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MARKER = re.compile(r"\[\d+\]")
_PUNCTUATION = set(string.punctuation) | set("‘’“”–—…«»")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation and articles, fold whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def strip_markers(text: str) -> str:
    """Remove the ``[n]`` citation markers of an answer."""
    return _MARKER.sub(" ", text)


def answer_matches(answer: str, golds: Iterable[str]) -> bool:
    """Return True when some gold answer occurs (normalised, word-aligned) in ``answer``."""
    haystack = f" {normalize_answer(strip_markers(answer))} "
    for gold in golds:
        needle = normalize_answer(gold)
        if needle and f" {needle} " in haystack:
            return True
    return False
