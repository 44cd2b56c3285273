"""The one check of what a user sends: question or query text, ``k`` and the mode.

The service (and so the CLI, the web chat and the HTTP API) passes every
request through ``validate_request``; the library's own entry points
(``Assistant.ask``, ``Retriever.search``) use the same pieces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from seedqa.index.errors import InvalidSetting
from seedqa.qa.errors import InvalidQuestion
from seedqa.qa.modes import DEFAULT_MODE, retrieval_mode

#: Passages a question retrieves unless told otherwise.
DEFAULT_K = 5
#: The largest ``k`` accepted.
MAX_K = 1000
#: Longer questions are cut to this many characters before retrieval.
MAX_QUESTION_CHARS = 2_000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Request:
    """A validated request: cleaned text, ``k`` and a known mode name."""

    text: str
    k: int
    mode: str


def clean_text(text: object, what: str = "question") -> str:
    """Return ``text`` with control characters removed, NFC-normalised and whitespace folded.

    Raises ``InvalidQuestion`` when ``text`` is not a string.
    """
    if not isinstance(text, str):
        raise InvalidQuestion(f"the {what} must be text")
    folded = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return " ".join(folded.split())[:MAX_QUESTION_CHARS]


def clean_question(question: object) -> str:
    """Return the cleaned question; raise ``InvalidQuestion`` when it is not text or empty."""
    text = clean_text(question)
    if not text:
        raise InvalidQuestion("the question is empty; type a question about your documents")
    return text


def check_k(k: object) -> int:
    """Return ``k`` when it is a whole number from 1 to ``MAX_K``; else raise ``InvalidSetting``."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise InvalidSetting(f"k={k!r} is not valid; use a whole number from 1 to {MAX_K}")
    return k


def check_mode(mode: object) -> str:
    """Return ``mode`` when it names a retrieval mode; else raise ``InvalidSetting``."""
    return retrieval_mode(mode).name


def validate_request(
    text: object,
    k: object = DEFAULT_K,
    mode: object = DEFAULT_MODE,
    *,
    what: str = "question",
) -> Request:
    """Validate one question (``what="question"``, must not be empty) or search query.

    Raises ``InvalidQuestion`` or ``InvalidSetting`` with a one-line message.
    """
    cleaned = clean_question(text) if what == "question" else clean_text(text, what)
    return Request(cleaned, check_k(k), check_mode(mode))
