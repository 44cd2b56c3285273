"""Follow-up questions: resolve "and over what period?" against the conversation.

A follow-up is recognised by its form (it opens with "and", "what about"...,
or it is short and leans on a pronoun or has almost no content words); its
retrieval query is then the previous question followed by the follow-up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_OPENERS = (
    "and ",
    "but ",
    "also ",
    "what about",
    "how about",
    "and what",
    "so ",
    "then ",
    "what else",
    "anything else",
    "why?",
    "why so",
    "how come",
)
_PRONOUNS = {
    "it", "its", "they", "them", "their", "this", "that", "these", "those",
    "he", "she", "his", "her", "him", "there", "then", "same", "such",
}  # fmt: skip
_QUESTION_WORDS = {
    "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "much", "many",
    "is", "are", "was", "were", "do", "does", "did", "the", "a", "an", "of", "in", "on",
    "for", "to", "over", "and", "by", "with", "about", "at", "be", "been", "has", "have",
    "had", "can", "could", "will", "would", "should", "period", "long", "time",
}  # fmt: skip
_WORD = re.compile(r"[\w$%]+", re.UNICODE)


def previous_questions(history: Sequence[Any] | None) -> list[str]:
    """Return the user's earlier questions from ``history``, oldest first.

    Accepts ``(question, answer)`` pairs, ``{"question": ..., "answer": ...}``
    dicts, or chat messages ``{"role": "user", "content": ...}``.
    """
    questions: list[str] = []
    for turn in history or ():
        if isinstance(turn, Mapping):
            if "question" in turn:
                questions.append(str(turn["question"]))
            elif turn.get("role") == "user" and isinstance(turn.get("content"), str):
                questions.append(turn["content"])
        elif isinstance(turn, (list, tuple)) and turn and isinstance(turn[0], str):
            questions.append(turn[0])
    return [q for q in questions if q.strip()]


def is_followup(question: str) -> bool:
    """Return True when ``question`` reads as a follow-up that needs earlier context."""
    text = question.strip().lower()
    if text.startswith(_OPENERS):
        return True
    words = _WORD.findall(text)
    content = [w for w in words if w not in _QUESTION_WORDS and w not in _PRONOUNS]
    if len(words) <= 8 and any(w in _PRONOUNS for w in words):
        return True
    return len(content) <= 1


def resolve_query(question: str, history: Sequence[Any] | None) -> str:
    """Return the retrieval query: the question, prefixed by the previous one if a follow-up."""
    earlier = previous_questions(history)
    if earlier and is_followup(question):
        return f"{earlier[-1].strip()} {question.strip()}"
    return question
