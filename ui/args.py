"""Argument types and helpers shared by the ``seedqa`` commands (``ui.cli``, ``ui.cli_eval``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn


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


def k_value(text: str) -> int:
    """Argparse type of ``-k``: the shared request check (a whole number from 1 to 100)."""
    from seedqa.qa.errors import SeedqaError
    from seedqa.qa.inputs import parse_k

    try:
        return parse_k(text)
    except SeedqaError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line that names the fix (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        """Print ``PROG: error: MESSAGE; see `PROG --help``` on stderr and exit with status 2."""
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def say(message: str) -> None:
    """Print a progress or status line on stderr."""
    print(message, file=sys.stderr, flush=True)
