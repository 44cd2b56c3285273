"""Counted nouns for messages: ``plural(1, "document")`` is "1 document", never "1 documents"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """Return ``count`` with ``noun`` in the right number.

    ``many`` is the plural when it is not ``noun + "s"``.

    Example:
        >>> plural(1, "chunk"), plural(3, "chunk"), plural(2, "query", "queries")
        ('1 chunk', '3 chunks', '2 queries')

    """
    word = noun if count == 1 else (many or f"{noun}s")
    return f"{count} {word}"
