"""Errors of the evaluation package (one-line messages, printed by the CLI)."""

from seedqa.index.errors import SeedqaError


class EvalDataError(SeedqaError):
    """An evaluation data file is missing or malformed; the message names file and line."""


class QASetError(EvalDataError):
    """A QA-set line is malformed; the message is ``FILE line N: problem``."""
