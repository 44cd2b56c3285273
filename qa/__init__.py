"""seedqa's question answering: hybrid retrieval, cited extractive answers, the service.

>>> from seedqa.qa import Retriever, Assistant, SeedqaService

The names are imported on first use (PEP 562), so that importing a light
module such as ``seedqa.qa.errors`` does not load the engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Answer": "seedqa.qa.answer",
    "Assistant": "seedqa.qa.answer",
    "Citation": "seedqa.qa.answer",
    "Hit": "seedqa.qa.retriever",
    "InvalidQuestion": "seedqa.qa.errors",
    "Retriever": "seedqa.qa.retriever",
    "SeedqaService": "seedqa.qa.service",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'seedqa.qa' has no attribute {name!r}")
    return getattr(import_module(module), name)
