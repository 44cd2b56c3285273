"""Answerers by name: what turns an ``Evidence`` record into an ``Extraction``.

* ``reader``: the trained cross-encoder (``reader_answerer.py``) reads the
  question with each of the scorer's best sentences, picks one and decides
  against its calibrated threshold;
* ``model``: the trained answer-sentence model (``model_answerer.py``)
  reads the question with each candidate sentence and abstains below its
  calibrated threshold;
* ``similarity`` (default): the earlier scorer (``extract.py``), embedding cosine plus
  lexical share with a logistic confidence fitted on SQuAD. It stays
  selectable so that comparisons can be reproduced.
"""

from __future__ import annotations

import functools
from typing import Protocol

from seedqa.index.embed import Embedder
from seedqa.index.errors import InvalidSetting
from seedqa.qa.evidence import Evidence
from seedqa.qa.extract import Extraction, extract_answer

DEFAULT_ANSWERER = "similarity"


class Answerer(Protocol):
    """Chooses the sentences that answer, or abstains."""

    name: str

    def extract(self, evidence: Evidence) -> Extraction:
        """The answer sentences of ``evidence`` (none when abstaining)."""


class SimilarityAnswerer:
    """The earlier scorer: cosine plus lexical share, logistic confidence, hand rules."""

    name = "similarity"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def extract(self, evidence: Evidence) -> Extraction:
        """See ``extract.extract_answer``."""
        return extract_answer(evidence)


def _model(embedder: Embedder) -> Answerer:
    from seedqa.qa.model_answerer import ModelAnswerer

    return ModelAnswerer(embedder)


@functools.cache
def _shipped_reader() -> Answerer:
    """The reader over the shipped ``models/reader``, loaded once per process.

    It does not depend on the index, so a service that reloads its assistant
    after every index change keeps the same ONNX session.
    """
    from seedqa.qa.reader_answerer import ReaderAnswerer

    return ReaderAnswerer()


def _reader(embedder: Embedder) -> Answerer:
    return _shipped_reader()


_FACTORIES = {"reader": _reader, "model": _model, "similarity": SimilarityAnswerer}
ANSWERERS = tuple(_FACTORIES)


def check_answerer(name: object) -> str:
    """Return ``name`` when it names an answerer; else raise ``InvalidSetting``."""
    if not isinstance(name, str) or name not in _FACTORIES:
        raise InvalidSetting(f"answerer {name!r} is not valid; use one of {', '.join(ANSWERERS)}")
    return name


def make_answerer(name: str, embedder: Embedder) -> Answerer:
    """The answerer called ``name`` (see ``ANSWERERS``), reading with ``embedder``."""
    return _FACTORIES[check_answerer(name)](embedder)
