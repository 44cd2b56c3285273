"""The ``seedqa`` command line: parse options, call one library function, print.

Library errors (``SeedqaError``) become one line on stderr with the fix and
exit status 2; nothing a user can cause prints a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from seedqa.qa.errors import InvalidSetting, SeedqaError
from seedqa.qa.wording import plural
from seedqa.ui.args import (
    SuggestingParser,
    add_answerer_option,
    k_value,
    say,
    unknown_options_message,
    whole_number,
)
from seedqa.ui.cli_eval import add_eval_parser
from seedqa.ui.cli_serve import add_server_parsers
from seedqa.ui.plain import answer_text, hits_text

if TYPE_CHECKING:
    from seedqa.qa.service import SeedqaService

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def _add_index_dir(parser: argparse.ArgumentParser) -> None:
    from seedqa.qa.service import DEFAULT_INDEX_DIR, INDEX_DIR_ENV

    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help=f"index directory (default: ${INDEX_DIR_ENV} or {DEFAULT_INDEX_DIR})",
    )


def _service(args: argparse.Namespace, quiet: bool = False) -> SeedqaService:
    """The service over ``--index-dir`` (or the default location), printing progress."""
    from seedqa.qa.service import SeedqaService

    return SeedqaService(
        args.index_dir,
        embedder=getattr(args, "embedder", None),
        on_status=_warnings_only if quiet else _status,
        progress=not quiet and sys.stderr.isatty(),
        answerer=getattr(args, "answerer", "similarity"),
    )


def _status(message: str) -> None:
    """Print a progress line, or a warning as ``seedqa: warning: ...``, on stderr."""
    say(f"seedqa: {message}" if message.startswith("warning:") else message)


def _warnings_only(message: str) -> None:
    """The status sink of quiet commands: warnings still reach the user, progress does not."""
    if message.startswith("warning:"):
        _status(message)


def _confirm_removals(service: SeedqaService, args: argparse.Namespace) -> bool:
    """Warn about indexed documents outside the named paths; ask first on a terminal.

    Returns False when the user declines (nothing is changed then).
    """
    unnamed = service.unnamed_documents(args.paths)
    if not unnamed.doc_ids:
        return True
    count = len(unnamed.doc_ids)
    say(
        f"seedqa: warning: {plural(count, 'document')} in {service.index_dir} "
        f"{'is' if count == 1 else 'are'} not under the paths given and will be removed:"
    )
    for doc_id in unnamed.doc_ids[:10]:
        say(f"  {doc_id}")
    if count > 10:
        say(f"  … and {count - 10} more")
    named = " ".join([*unnamed.sources, *args.paths])
    say(
        "To keep them, add the new paths with `seedqa index --add PATHS`, "
        f"or name their sources too: `seedqa index {named}`"
    )
    if args.yes or not sys.stdin.isatty():
        return True
    try:
        reply = input("Remove them? [y/N] ")
    except EOFError:
        reply = ""
    return reply.strip().lower() in ("y", "yes")


def cmd_index(args: argparse.Namespace) -> int:
    """Run ``seedqa index``: build or update the index and print a summary."""
    if args.repair:
        if args.paths or args.rebuild:
            raise InvalidSetting("--repair takes no paths and no --rebuild; run it alone")
        print(_service(args, quiet=True).repair().summary())
        return 0
    if args.add and not args.paths:
        raise InvalidSetting("--add needs the paths to add, e.g. `seedqa index --add notes/`")
    service = _service(args, quiet=args.quiet)
    if args.paths and not args.add and not _confirm_removals(service, args):
        say("Nothing changed.")
        return 1
    options = {
        "model": args.model,
        "chunk_tokens": args.chunk_tokens,
        "overlap_tokens": args.overlap,
        "include": args.include,
        "exclude": args.exclude,
        "rebuild": args.rebuild,
        "max_file_bytes": args.max_file_mb * 1024 * 1024,
        "store": {
            key: value
            for key, value in (
                ("kind", args.store),
                ("uri", args.milvus_uri),
                ("collection", args.milvus_collection),
                ("token", args.milvus_token),
            )
            if value is not None
        },
    }
    if args.add:
        report = service.add_paths(args.paths, **options)
    else:
        report = service.index(args.paths or None, **options)
    for problem in report.problems:
        say(f"skipped {problem}")
    if report.over_window:
        say(
            f"warning: {plural(report.over_window, 'chunk')} exceeded the model's input window "
            "and were truncated when embedded; lower --chunk-tokens"
        )
    print(report.summary)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Run ``seedqa check``: verify sizes and checksums (and sources with ``--deep``)."""
    report = _service(args, quiet=True).check(deep=args.deep)
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


def cmd_search(args: argparse.Namespace) -> int:
    """Run ``seedqa search``: print the raw hits."""
    hits = _service(args, quiet=args.json).search(args.query, k=args.k, mode=args.mode)
    if args.json:
        result = {"query": args.query, "mode": args.mode, "hits": [h.to_json() for h in hits]}
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(hits_text(hits))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Run ``seedqa ask``: print the cited answer and its numbered sources.

    With no question it runs the interactive shell (``seedqa shell``).
    """
    if args.question is None:
        return cmd_shell(args)
    answer = _service(args, quiet=args.json).ask(args.question, k=args.k, mode=args.mode)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(answer_text(answer))
    print(f"\n({answer.timings_ms['total']:.0f} ms)", file=sys.stderr)
    return 0


def cmd_shell(args: argparse.Namespace) -> int:
    """Run ``seedqa shell``: answer question after question with the model kept loaded."""
    from seedqa.ui.shell import run_shell

    return run_shell(_service(args), k=args.k, mode=args.mode)


def cmd_feedback_export(args: argparse.Namespace) -> int:
    """Run ``seedqa feedback export``: write the chat's ratings as a QA set."""
    report = _service(args, quiet=True).export_feedback(args.out)
    print(report.summary)
    if report.answerable + report.unanswerable:
        print(f"Score seedqa on it with: seedqa eval qa {report.path}")
    return 0


def _add_query_options(parser: argparse.ArgumentParser, json_output: bool = True) -> None:
    from seedqa.qa.service import DEFAULT_K, DEFAULT_MODE, MODES

    _add_index_dir(parser)
    parser.add_argument(
        "-k", type=k_value, default=DEFAULT_K, help=f"passages to retrieve, 1-100 ({DEFAULT_K})"
    )
    parser.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help="retrieval mode")
    add_answerer_option(parser)
    if json_output:
        parser.add_argument("--json", action="store_true", help="print JSON (schema in README)")


def _add_scope_options(index: argparse.ArgumentParser) -> None:
    """``index --add`` and ``--yes``: keep what is indexed, or drop it without asking."""
    index.add_argument(
        "--add", action="store_true", help="add PATHS and keep everything already indexed"
    )
    index.add_argument(
        "-y", "--yes", action="store_true",
        help="remove documents not under PATHS without asking (a terminal asks first)",
    )  # fmt: skip


def _add_shell_and_feedback_parsers(sub: argparse._SubParsersAction) -> None:
    """``seedqa shell`` and ``seedqa feedback export``."""
    shell = sub.add_parser("shell", help="answer question after question, model kept loaded")
    _add_query_options(shell, json_output=False)
    shell.set_defaults(handler=cmd_shell)

    feedback = sub.add_parser("feedback", help="the web chat's ratings as a QA set")
    actions = feedback.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the rated answers as a QA set (JSONL)")
    export.add_argument("out", type=Path, metavar="OUT.jsonl")
    _add_index_dir(export)
    export.set_defaults(handler=cmd_feedback_export)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = SuggestingParser(
        prog="seedqa",
        description="Ask questions about your documents; every answer cites its sentences.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = sub.add_parser("index", help="build or update the index from files and folders")
    index.add_argument(
        "paths", nargs="*", help="files or folders (default: the index's sources, or seeds/)"
    )
    _add_index_dir(index)
    _add_scope_options(index)
    index.add_argument("--rebuild", action="store_true", help="re-chunk and re-embed everything")
    index.add_argument("--chunk-tokens", type=whole_number(1), help="chunk size in tokens")
    index.add_argument("--overlap", type=whole_number(0), help="overlap between chunks in tokens")
    index.add_argument("--model", help="sentence-transformers model name or local path")
    index.add_argument("--include", action="append", default=[], metavar="GLOB")
    index.add_argument("--exclude", action="append", default=[], metavar="GLOB")
    index.add_argument(
        "--max-file-mb",
        type=whole_number(1),
        default=50,
        metavar="N",
        help="skip files larger than N MB (50)",
    )
    index.add_argument(
        "--store",
        choices=("faiss", "milvus"),
        help="where the vectors live: FAISS files (default for a new index) or Milvus; "
        "changing it moves the index without re-embedding",
    )
    index.add_argument(
        "--milvus-uri",
        metavar="URI",
        help="Milvus server (http://HOST:19530) or Milvus Lite file (*.db; default "
        "milvus.db in the index directory); implies --store milvus",
    )
    index.add_argument(
        "--milvus-collection", metavar="NAME", help="collection (default: named after the index)"
    )
    index.add_argument(
        "--milvus-token",
        metavar="TOKEN",
        help="Milvus token or USER:PASSWORD for this build (readers use $SEEDQA_MILVUS_TOKEN)",
    )
    index.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    index.add_argument(
        "--repair",
        action="store_true",
        help="make the newest intact generation live again (nothing is re-embedded)",
    )
    index.set_defaults(handler=cmd_index)

    check = sub.add_parser("check", help="verify the index's files and, with --deep, its sources")
    _add_index_dir(check)
    check.add_argument(
        "--deep", action="store_true", help="also re-read every source and compare its chunks"
    )
    check.set_defaults(handler=cmd_check)

    search = sub.add_parser("search", help="print the passages that match a query")
    search.add_argument("query")
    _add_query_options(search)
    search.set_defaults(handler=cmd_search)

    ask = sub.add_parser("ask", help="answer a question with cited sentences")
    ask.add_argument("question", nargs="?", help="the question (none: the interactive shell)")
    _add_query_options(ask)
    ask.set_defaults(handler=cmd_ask)

    _add_shell_and_feedback_parsers(sub)
    add_server_parsers(sub)
    add_eval_parser(sub)
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; unknown options are an error that names the nearest known one."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        command = subparsers.choices.get(getattr(args, "command", None) or "", parser)
        command.error(unknown_options_message(command, extras))
    return args


def _quiet_closed_pipe() -> int:
    """Stop writing to a reader that went away (``seedqa ask --json | head``): no traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, as for other Unix tools whose reader went away


def main(argv: Sequence[str] | None = None, *, embedder: object | None = None) -> int:
    """Entry point of the ``seedqa`` console script; returns the exit status.

    ``embedder`` is an already loaded ``Embedder`` for programs (and tests)
    that run several commands in one process, so the model loads once.
    """
    args = _parse(build_parser(), argv)
    args.embedder = embedder
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        status = handler(args)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _quiet_closed_pipe()
    except SeedqaError as error:
        for problem in getattr(error, "problems", ()):
            print(f"skipped {problem}", file=sys.stderr)
        print(f"seedqa: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seedqa: interrupted; the previous index is unchanged", file=sys.stderr)
        return 130
    except OSError as error:  # the system refused something the library did not foresee
        where = f" ({error.filename})" if error.filename else ""
        print(
            f"seedqa: error: {error.strerror or error}{where}; check the path and its permissions",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
