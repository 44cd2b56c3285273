"""Errors of the evaluation package (one-line messages, printed by the CLI)."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from seedqa.qa.errors import SeedqaError


class EvalDataError(SeedqaError):
    """An evaluation data file is missing or malformed; the message names file and line."""


class QASetError(EvalDataError):
    """A QA-set line is malformed; the message is ``FILE line N: problem``."""


class EvalExtraMissing(SeedqaError):
    """A package of the optional ``eval`` extra (plots, IR metrics) is not installed."""


def require_extra(module: str, package: str) -> ModuleType:
    """Import ``module`` of the ``eval`` extra, or raise ``EvalExtraMissing`` with the fix."""
    try:
        return import_module(module)
    except ImportError:
        raise EvalExtraMissing(
            f"{package} is not installed; install the eval extra: "
            "pip install -e '.[eval]' (make eval and make test do it)"
        ) from None
