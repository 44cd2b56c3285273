"""kill -9 during `seedqa index` at 5 random moments: the index answers as before (or as after).

A real build process updates a copy of an index from 6 to 24 documents and is
SIGKILLed at a moment drawn uniformly from the span between its first
"Reading" line and the end of an uninterrupted run of the same build. Every
killed copy must answer the queries exactly as the old index or exactly as
the finished build, pass ``check_index``, and keep the old generation.
``eval/bench_crash.py`` is the 20-kill version.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from crash_kit import answers, finish, judge, kill_once, start_build, write_corpus

from seedqa.index.build import build_index
from seedqa.index.state import IndexState

KILLS = 5


def test_kill_9_at_five_random_moments_loses_nothing(tmp_path: Path, embedder) -> None:
    corpus = write_corpus(tmp_path / "corpus", 6)
    base = tmp_path / "base"
    build_index([corpus], base, embedder=embedder)
    base_generation = str(IndexState.read(base).generation)
    before = answers(base, embedder)
    write_corpus(corpus, 24)  # the first 6 documents are unchanged, 18 are new

    finished = tmp_path / "finished"
    shutil.copytree(base, finished)
    process, run, reading = start_build(corpus, finished)
    reading.wait(timeout=600)
    finish(process, run)
    assert run.code == 0 and run.reading_at and run.ended, "\n".join(run.lines)
    after = answers(finished, embedder)
    assert after != before
    span = run.ended - run.reading_at

    rng = random.Random()
    delays = sorted(rng.uniform(0, span) for _ in range(KILLS))
    kills = []
    for number, delay in enumerate(delays):
        work, kill = kill_once(base, tmp_path / f"kill-{number}", corpus, delay)
        kills.append(judge(work, kill, before, after, base_generation, embedder))
    report = "\n".join(
        f"{k.after_s:6.2f} s of {span:.2f} s, last line {k.last_line!r}: {k.outcome}" for k in kills
    )
    assert all(k.outcome in ("before", "after") for k in kills), report
