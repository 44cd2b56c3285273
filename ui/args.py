"""Argument types and helpers shared by the ``seedqa`` commands (``ui.cli``, ``ui.cli_eval``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def whole_number(minimum: int) -> Callable[[str], int]:
    """Return an argparse type that accepts whole numbers of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} must be at least {minimum}")
        return value

    return parse


def say(message: str) -> None:
    """Print a progress or status line on stderr."""
    print(message, file=sys.stderr, flush=True)
