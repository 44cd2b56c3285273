"""seedqa: semantic question answering over your documents, with sentence-level citations.

The repository root is the ``seedqa`` import package: ``index/``, ``qa/`` and ``ui/``
install as ``seedqa.index``, ``seedqa.qa`` and ``seedqa.ui``, so nothing generic lands in
site-packages. The public API is re-exported here and imported lazily, so that
``import seedqa`` (and ``seedqa --help``) stays fast.

Example:
    >>> from seedqa import Assistant
    >>> answer = Assistant.load(".seedqa").ask("How much will Xiaomi invest?")  # doctest: +SKIP

"""

from __future__ import annotations

from typing import Any

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "Hit",
    "InvalidQuestion",
    "Retriever",
    "SeedqaService",
]


def __getattr__(name: str) -> Any:
    """Import the public API on first use (PEP 562)."""
    if name in __all__:
        from seedqa import qa

        return getattr(qa, name)
    raise AttributeError(f"module 'seedqa' has no attribute {name!r}")
