"""Argument types and helpers shared by the ``seedqa`` commands (``ui.cli``, ``ui.cli_eval``)."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
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


def nearest(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to ``word`` (a typo's likely intent), or None."""
    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.5)
    return matches[0] if matches else None


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    """Every option string ``parser`` accepts (``-k``, ``--index-dir``, ``--help``...)."""
    return [name for action in parser._actions for name in action.option_strings]


def unknown_options_message(parser: argparse.ArgumentParser, extras: Sequence[str]) -> str:
    """The error for arguments ``parser`` did not recognise, suggesting the nearest option."""
    known = option_strings(parser)
    hints = []
    for extra in extras:
        if not extra.startswith("-") or extra == "-":
            continue
        option = extra.split("=", 1)[0]
        guess = nearest(option, known)
        if guess:
            hints.append(f"{option}: did you mean {guess}?")
    message = f"unrecognized arguments: {' '.join(extras)}"
    return f"{message} ({'; '.join(hints)})" if hints else message


_INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)")


class SuggestingParser(OneLineParser):
    """A ``OneLineParser`` whose errors suggest the nearest command or choice."""

    def error(self, message: str) -> NoReturn:
        """Exit 2 with the one-line error, adding "did you mean" when a choice is close."""
        found = _INVALID_CHOICE.search(message)
        if found:
            choices = [c.strip().strip("'") for c in found.group(2).split(",")]
            guess = nearest(found.group(1), choices)
            if guess:
                message += f"; did you mean {guess}?"
        super().error(message)


def say(message: str) -> None:
    """Print a progress or status line on stderr."""
    print(message, file=sys.stderr, flush=True)


def add_answerer_option(parser: argparse.ArgumentParser) -> None:
    """``--answerer``: what picks the answer sentences (README: The answer model)."""
    parser.add_argument(
        "--answerer", choices=("similarity", "reader", "model"), default="similarity",
        help="similarity (default), reader (the trained cross-encoder) or model",
    )  # fmt: skip
