"""``seedqa eval``: score seedqa on QA sets and public benchmarks.

Subcommands (each calls one run function of ``seedqa.evaluation``, prints the
result's summary table and optionally writes ``--json`` and its ``--report``):

* ``seedqa eval qa FILE.jsonl [--corpus PATHS...] [--index-dir DIR] [--mode M] [-k N]``
* ``seedqa eval beir DIR [--mode dense|lexical|hybrid|all] [--index-dir DIR]``
* ``seedqa eval squad FILE [--limit N] [--seed S] [--index-dir DIR] [--mode M] [-k N]``

The JSON schemas are documented on ``QAResult.to_json``, ``BeirResult.to_json``
and ``SquadResult.to_json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from seedqa.qa.errors import SeedqaError
from seedqa.ui.args import say as _say
from seedqa.ui.args import whole_number

if TYPE_CHECKING:
    from seedqa.evaluation.report import EvalResult


def _write_outputs(result: EvalResult, args: argparse.Namespace) -> None:
    """Print the summary table and write ``--json`` / ``--report`` when asked."""
    print(result.summary_table())
    try:
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n",
                encoding="utf-8",
            )
            _say(f"wrote {args.json}")
        if args.report:
            written = result.write_report(args.report)
            _say(f"wrote {', '.join(str(p) for p in written)}")
    except OSError as error:
        reason = f"{error.strerror}: {error.filename}"
        raise SeedqaError(f"cannot write the results ({reason})") from None


def cmd_eval_qa(args: argparse.Namespace) -> int:
    """Run ``seedqa eval qa``."""
    from seedqa.evaluation import run_qa_set

    result = run_qa_set(
        args.file,
        corpus=args.corpus,
        index_dir=args.index_dir,
        mode=args.mode,
        k=args.k,
        progress=True,
        on_status=_say,
        answerer=args.answerer,
    )
    _write_outputs(result, args)
    return 0


def cmd_eval_beir(args: argparse.Namespace) -> int:
    """Run ``seedqa eval beir``."""
    from seedqa.evaluation import run_beir

    result = run_beir(
        args.directory, mode=args.mode, index_dir=args.index_dir, progress=True, on_status=_say
    )
    _write_outputs(result, args)
    return 0


def cmd_eval_squad(args: argparse.Namespace) -> int:
    """Run ``seedqa eval squad``."""
    from seedqa.evaluation import run_squad

    result = run_squad(
        args.file,
        limit=args.limit,
        seed=args.seed,
        index_dir=args.index_dir,
        mode=args.mode,
        k=args.k,
        progress=True,
        on_status=_say,
        answerer=args.answerer,
        articles=args.articles,
    )
    _write_outputs(result, args)
    return 0


def _article_list(text: str) -> list[int]:
    """Parse ``--articles 3,17,20`` into indices."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of article numbers; write e.g. 3,17,20"
        ) from None
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: give article numbers from 0 up, e.g. 3,17,20")
    return values


def _answerer(parser: argparse.ArgumentParser) -> None:
    from seedqa.qa.answerers import ANSWERERS, DEFAULT_ANSWERER

    parser.add_argument(
        "--answerer",
        choices=ANSWERERS,
        default=DEFAULT_ANSWERER,
        help=f"how answers are chosen ({DEFAULT_ANSWERER}; similarity is the earlier scorer)",
    )


def _outputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the metrics as JSON")
    parser.add_argument(
        "--report", type=Path, metavar="OUT.md", help="write a Markdown report (PNG plots beside)"
    )


def add_eval_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seedqa eval`` and its subcommands ``qa``, ``beir`` and ``squad``."""
    from seedqa.qa.service import DEFAULT_K, DEFAULT_MODE, MODES

    parser = subparsers.add_parser("eval", help="evaluate on QA sets and public benchmarks")
    sub = parser.add_subparsers(dest="eval_command", required=True, metavar="SET")

    qa = sub.add_parser("qa", help="a JSONL QA set (answers, citations, abstention)")
    qa.add_argument("file", type=Path, metavar="FILE.jsonl")
    qa.add_argument(
        "--corpus", nargs="+", metavar="PATH", help="index these files/folders first (fresh index)"
    )
    qa.add_argument("--index-dir", type=Path, help="index to use, or to build --corpus into (kept)")
    qa.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help="retrieval mode")
    qa.add_argument("-k", type=whole_number(1), default=DEFAULT_K, help=f"passages ({DEFAULT_K})")
    _answerer(qa)
    _outputs(qa)
    qa.set_defaults(handler=cmd_eval_qa)

    beir = sub.add_parser("beir", help="a BEIR folder (corpus.jsonl, queries.jsonl, qrels/)")
    beir.add_argument("directory", type=Path, metavar="DIR")
    beir.add_argument(
        "--mode", choices=(*MODES, "all"), default="all", help="retrieval mode(s) (all)"
    )
    beir.add_argument(
        "--index-dir", type=Path, help="keep the corpus index here (re-runs embed nothing)"
    )
    _outputs(beir)
    beir.set_defaults(handler=cmd_eval_beir)

    squad = sub.add_parser("squad", help="SQuAD v1.1 as open-domain QA over all paragraphs")
    squad.add_argument("file", type=Path, metavar="FILE")
    squad.add_argument(
        "--limit", type=whole_number(1), help="ask a seeded random sample of N questions (all)"
    )
    squad.add_argument("--seed", type=int, default=0, help="sample seed (0)")
    squad.add_argument(
        "--index-dir", type=Path, help="keep the corpus index here (re-runs embed nothing)"
    )
    squad.add_argument("--mode", choices=MODES, default=DEFAULT_MODE, help="retrieval mode")
    squad.add_argument(
        "-k", type=whole_number(1), default=DEFAULT_K, help=f"passages ({DEFAULT_K})"
    )
    squad.add_argument(
        "--articles",
        type=_article_list,
        metavar="N,N,...",
        help="only these articles (indices in the file): their paragraphs and questions",
    )
    _answerer(squad)
    _outputs(squad)
    squad.set_defaults(handler=cmd_eval_squad)
