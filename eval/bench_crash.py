"""kill -9 an index build at 20 random moments: does the index survive every one?

The benchmark version of ``tests/reliability/test_crash.py`` (not run in CI).
A base index of 6 documents is copied for each kill; a real
``python -m seedqa.ui.cli index`` process updates the copy to ``--documents``
documents and is SIGKILLed at a moment drawn uniformly from the span between
its first "Reading" line and the end of an uninterrupted run. Survival means
the killed index answers 4 queries exactly as the old index or exactly as the
finished build, passes ``check_index`` and kept the old generation.

    python eval/bench_crash.py [--kills 20] [--documents 60] [--seed S] [--json OUT]

Prints one line per kill and the survival count; exits 1 unless all survive.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "helpers"))

from crash_kit import answers, finish, judge, kill_once, start_build, write_corpus  # noqa: E402

from seedqa.index.build import build_index  # noqa: E402
from seedqa.index.embed import Embedder  # noqa: E402
from seedqa.index.state import IndexState  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--documents", type=int, default=60)
    parser.add_argument("--seed", type=int, default=None, help="seed of the kill moments")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    embedder = Embedder.load()
    with tempfile.TemporaryDirectory(prefix="seedqa-crash-") as scratch:
        root = Path(scratch)
        corpus = write_corpus(root / "corpus", 6)
        base = root / "base"
        build_index([corpus], base, embedder=embedder)
        base_generation = str(IndexState.read(base).generation)
        before = answers(base, embedder)
        write_corpus(corpus, args.documents)
        finished = root / "finished"
        shutil.copytree(base, finished)
        process, run, reading = start_build(corpus, finished)
        reading.wait(timeout=600)
        finish(process, run)
        if run.code != 0 or not (run.reading_at and run.ended):
            print("\n".join(run.lines))
            return 2
        after = answers(finished, embedder)
        span = run.ended - run.reading_at
        print(f"uninterrupted build: {span:.2f} s from reading to exit", flush=True)
        rng = random.Random(args.seed)
        kills = []
        for number in range(args.kills):
            delay = rng.uniform(0, span)
            work, kill = kill_once(base, root / f"kill-{number}", corpus, delay)
            kill = judge(work, kill, before, after, base_generation, embedder)
            kills.append(kill)
            print(f"kill {number + 1:2}: {delay:6.2f} s, last line {kill.last_line[:50]!r}: "
                  f"{kill.outcome}", flush=True)  # fmt: skip
            shutil.rmtree(work, ignore_errors=True)
    survived = sum(k.outcome in ("before", "after") for k in kills)
    outcomes = Counter(k.outcome for k in kills)
    load = os.getloadavg()
    print(f"survived {survived} of {len(kills)} ({dict(outcomes)}); load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")  # fmt: skip
    if args.json:
        report = {
            "kills": len(kills),
            "survived": survived,
            "outcomes": dict(outcomes),
            "span_s": round(span, 2),
            "loadavg": load,
            "detail": [k.__dict__ for k in kills],
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if survived == len(kills) else 1


if __name__ == "__main__":
    sys.exit(main())
