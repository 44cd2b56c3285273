"""The ``seedqa`` command line: parse options, call one library function, print.

Library errors (``SeedqaError``) become one line on stderr with the fix and
exit status 2; nothing a user can cause prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

from seedqa.index.errors import SeedqaError
from seedqa.index.store import INDEX_DIR_ENV, default_index_dir

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


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


def _add_index_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help=f"index directory (default: ${INDEX_DIR_ENV} or .seedqa)",
    )


def _index_dir(args: argparse.Namespace) -> Path:
    return args.index_dir or default_index_dir()


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_index(args: argparse.Namespace) -> int:
    """Run ``seedqa index``: build or update the index and print a summary."""
    from seedqa.index.build import build_index
    from seedqa.index.chunk import ChunkSettings
    from seedqa.index.store import index_exists, read_manifest

    settings = None
    if args.chunk_tokens is not None or args.overlap is not None:
        defaults = ChunkSettings()
        if index_exists(_index_dir(args)):  # an option left out keeps the index's value
            manifest = read_manifest(_index_dir(args))
            defaults = ChunkSettings(manifest.chunk_tokens, manifest.overlap_tokens)
        settings = ChunkSettings(
            chunk_tokens=defaults.chunk_tokens if args.chunk_tokens is None else args.chunk_tokens,
            overlap_tokens=defaults.overlap_tokens if args.overlap is None else args.overlap,
        )
    report = build_index(
        args.paths or None,
        _index_dir(args),
        model=args.model,
        chunk_settings=settings,
        include=args.include,
        exclude=args.exclude,
        rebuild=args.rebuild,
        progress=not args.quiet,
        on_status=None if args.quiet else _say,
    )
    for problem in report.problems:
        _say(f"skipped {problem}")
    if report.over_window:
        _say(
            f"warning: {report.over_window} chunks exceed the model's input window and were "
            "truncated when embedded; lower --chunk-tokens"
        )
    print(report.summary())
    return 0


def _ensure_index(index_dir: Path, quiet: bool = False) -> None:
    """Build the default index from ``seeds/`` when ``index_dir`` has none yet."""
    from seedqa.index.build import build_index
    from seedqa.index.store import index_started

    if not index_started(index_dir):
        if not quiet:
            _say(f"No index at {index_dir} yet: indexing the seed corpus first")
        report = build_index(None, index_dir, progress=not quiet, on_status=None if quiet else _say)
        if not quiet:
            _say(report.summary())


def _location(doc_id: str, start: int, end: int, page: int | None) -> str:
    where = f"{doc_id}, chars {start}-{end}"
    return f"{where}, page {page}" if page else where


def cmd_search(args: argparse.Namespace) -> int:
    """Run ``seedqa search``: print the raw hits."""
    from seedqa.qa.retriever import Retriever

    index_dir = _index_dir(args)
    _ensure_index(index_dir, quiet=args.json)
    hits = Retriever.load(index_dir).search(args.query, k=args.k, mode=args.mode)
    if args.json:
        result = {"query": args.query, "mode": args.mode, "hits": [h.to_json() for h in hits]}
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("No matching passages.")
    for hit in hits:
        signals = ", ".join(f"{name} {value:.3f}" for name, value in hit.scores.items())
        print(f"[{hit.rank}] {hit.score:.4f} ({signals})  {hit.title}")
        print(f"    {_location(hit.doc_id, hit.start, hit.end, hit.page)}")
        print(textwrap.indent(textwrap.fill(hit.text, 96), "    "))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Run ``seedqa ask``: print the cited answer and its numbered sources."""
    from seedqa.qa.answer import Assistant

    index_dir = _index_dir(args)
    _ensure_index(index_dir, quiet=args.json)
    answer = Assistant.load(index_dir).ask(args.question, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(textwrap.fill(answer.answer, 96))
    if answer.citations:
        print("\nSources:")
    for citation in answer.citations:
        print(f"[{citation.n}] {citation.title}")
        print(f"    {_location(citation.doc_id, citation.start, citation.end, citation.page)}")
        print(textwrap.indent(textwrap.fill(f"“{citation.text}”", 92), "    "))
    print(f"\n({answer.timings_ms['total']:.0f} ms)", file=sys.stderr)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """Run ``seedqa chat``: serve the web chat on the local machine."""
    from seedqa.ui.web import parse_auth, serve

    parse_auth(args.auth)  # a malformed --auth fails before any indexing work
    index_dir = _index_dir(args)
    _ensure_index(index_dir)
    serve(index_dir, host=args.host, port=args.port, auth=args.auth)
    return 0


def _add_query_options(parser: argparse.ArgumentParser) -> None:
    from seedqa.qa.retriever import DEFAULT_MODE, MODES

    _add_index_dir(parser)
    parser.add_argument("-k", type=whole_number(1), default=5, help="passages to retrieve (5)")
    parser.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help="retrieval mode")
    parser.add_argument("--json", action="store_true", help="print JSON (schema in README)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="seedqa",
        description="Ask questions about your documents; every answer cites its sentences.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = sub.add_parser("index", help="build or update the index from files and folders")
    index.add_argument(
        "paths", nargs="*", help="files or folders (default: the index's sources, or seeds/)"
    )
    _add_index_dir(index)
    index.add_argument("--rebuild", action="store_true", help="re-chunk and re-embed everything")
    index.add_argument("--chunk-tokens", type=whole_number(1), help="chunk size in tokens")
    index.add_argument("--overlap", type=whole_number(0), help="overlap between chunks in tokens")
    index.add_argument("--model", help="sentence-transformers model name or local path")
    index.add_argument("--include", action="append", default=[], metavar="GLOB")
    index.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    index.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    index.set_defaults(handler=cmd_index)

    search = sub.add_parser("search", help="print the passages that match a query")
    search.add_argument("query")
    _add_query_options(search)
    search.set_defaults(handler=cmd_search)

    ask = sub.add_parser("ask", help="answer a question with cited sentences")
    ask.add_argument("question")
    _add_query_options(ask)
    ask.set_defaults(handler=cmd_ask)

    chat = sub.add_parser("chat", help="open the web chat (Gradio) on this machine")
    _add_index_dir(chat)
    chat.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    chat.add_argument("--port", type=int, default=7860, help="port (7860)")
    chat.add_argument("--auth", metavar="USER:PASSWORD", help="require this login")
    chat.set_defaults(handler=cmd_chat)

    from seedqa.ui.cli_eval import add_eval_parser

    add_eval_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``seedqa`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except SeedqaError as error:
        for problem in getattr(error, "problems", ()):
            print(f"skipped {problem}", file=sys.stderr)
        print(f"seedqa: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seedqa: interrupted; the previous index is unchanged", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
