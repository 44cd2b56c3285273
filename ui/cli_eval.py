"""``seedqa eval``: the evaluation subcommands (placeholder until the eval issue lands)."""

from __future__ import annotations

import argparse


def add_eval_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seedqa eval`` and its subcommands."""
    parser = subparsers.add_parser("eval", help="evaluate on QA sets and public benchmarks")
    parser.set_defaults(handler=lambda args: parser.error("eval is not implemented yet") or 2)
