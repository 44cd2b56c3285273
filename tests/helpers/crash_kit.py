"""Kill ``seedqa index`` with SIGKILL at random moments and check what it leaves behind.

Used by ``tests/reliability/test_crash.py`` (5 kills, in ``make test``) and by
``eval/bench_crash.py`` (20 kills, a benchmark). A base index is copied for
each kill; a real ``python -m seedqa.ui.cli index`` process then updates the
copy to a bigger corpus and is killed a random time after it starts reading.
The killed copy must answer exactly as the base index did or exactly as the
finished build does, pass ``check_index``, and keep the generation it had.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
QUERIES = ("harbour crane tonnes", "glacier ice retreat", "orchard apple harvest", "tidal energy")
_WORDS = (
    "harbour crane tonnes glacier ice retreat orchard apple harvest tidal energy turbine "
    "river delta sediment bridge cable steel library archive manuscript vineyard frost "
    "satellite orbit antenna bakery flour oven ferry route island lighthouse beacon"
).split()


def write_corpus(folder: Path, documents: int, seed: int = 7) -> Path:
    """Write ``documents`` deterministic text files (a few chunks each) into ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(documents):
        paragraphs = []
        for _ in range(4):
            sentences = [" ".join(rng.choices(_WORDS, k=14)).capitalize() + "." for _ in range(6)]
            paragraphs.append(" ".join(sentences))
        text = f"Report {number}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"report-{number:03}.txt").write_text(text, encoding="utf-8")
    return folder


def answers(index: Path, embedder: object) -> list[list[tuple[str, float]]]:
    """What the index answers: the top-5 hybrid hits (chunk id, score) of each query."""
    from seedqa.qa.retriever import Retriever

    retriever = Retriever.load(index, embedder=embedder)
    return [
        [(hit.chunk_id, round(hit.score, 5)) for hit in retriever.search(query, k=5)]
        for query in QUERIES
    ]


@dataclass
class BuildRun:
    """One ``seedqa index`` process: when it started reading, its stderr, how it ended."""

    started: float
    reading_at: float | None = None
    lines: list[str] = field(default_factory=list)
    code: int | None = None
    ended: float | None = None


def start_build(corpus: Path, index: Path) -> tuple[subprocess.Popen, BuildRun, threading.Event]:
    """Start ``python -m seedqa.ui.cli index CORPUS --index-dir INDEX``; watch its stderr."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "seedqa.ui.cli", "index", str(corpus), "--index-dir", str(index)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    run = BuildRun(time.monotonic())
    reading = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            run.lines.append(line.rstrip("\n"))
            if line.startswith("Reading"):
                run.reading_at = time.monotonic()
                reading.set()
        reading.set()

    threading.Thread(target=read, daemon=True).start()
    return process, run, reading


def finish(process: subprocess.Popen, run: BuildRun, timeout: float = 600) -> BuildRun:
    """Wait for the process; record its exit status and end time."""
    run.code = process.wait(timeout=timeout)
    run.ended = time.monotonic()
    return run


@dataclass
class Kill:
    """One kill: when (seconds after reading began), the last line printed, the outcome."""

    after_s: float
    last_line: str
    outcome: str  # "before", "after" or a description of what went wrong
    generations: int


def kill_once(base: Path, work: Path, corpus: Path, delay: float) -> tuple[Path, Kill]:
    """Copy ``base`` to ``work``, start a build there, SIGKILL it ``delay`` s after reading."""
    shutil.copytree(base, work)
    process, run, reading = start_build(corpus, work)
    reading.wait(timeout=600)
    time.sleep(delay)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    finish(process, run)
    last = run.lines[-1] if run.lines else ""
    generations = len([p for p in work.glob("gen-*") if not p.name.endswith(".tmp")])
    return work, Kill(delay, last, "", generations)


def judge(
    index: Path, kill: Kill, before: list, after: list, base_generation: str, embedder: object
) -> Kill:
    """Decide whether a killed index answers as before or as after, and is intact."""
    from seedqa.index.check import check_index
    from seedqa.index.state import IndexState

    state = IndexState.read(index)
    try:
        got = answers(index, embedder)
        report = check_index(index)
    except Exception as error:  # noqa: BLE001 - any failure is the outcome to report
        kill.outcome = f"unusable: {type(error).__name__}: {error}"
        return kill
    if state.warning or not report.ok:
        kill.outcome = f"damaged: {state.warning or report.lines()}"
    elif got == before and state.generation == base_generation:
        kill.outcome = "before"
    elif got == after and state.generation != base_generation:
        kill.outcome = "after"
    else:
        kill.outcome = "answers differ from both the old and the finished index"
    if not (index / base_generation).is_dir():
        kill.outcome += "; the previous generation was deleted"
    return kill
