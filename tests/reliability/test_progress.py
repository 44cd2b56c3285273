"""The embedding progress bar: rate and time left on a terminal, nothing with -q or in a pipe."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BAR = re.compile(r"Embedding: +\d+%.*\| *\d+/\d+ \[\d\d:\d\d<\d\d:\d\d, +[\d.]+ ?chunks?/s\]")


def _index_on_a_terminal(corpus: Path, index: Path, *extra: str) -> tuple[int, str]:
    """Run `seedqa index` with its stderr on a pseudo-terminal; return (status, what it showed)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 120 columns
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}
    process = subprocess.Popen(
        [sys.executable, "-m", "seedqa.ui.cli", "index", str(corpus), "--index-dir", str(index),
         *extra],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=follower, env=env,
    )  # fmt: skip
    os.close(follower)
    shown = bytearray()
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        shown += data
    os.close(leader)
    return process.wait(timeout=600), shown.decode("utf-8", "replace")


def test_progress_shows_rate_and_eta_on_a_terminal_only(tmp_path: Path) -> None:
    corpus = tmp_path / "notes"
    corpus.mkdir()
    for number in range(140):  # over the 128 texts that get a bar
        (corpus / f"note-{number:03}.txt").write_text(
            f"Note {number}\n\nMeasurement {number} of the tide gauge read {number * 7} cm.\n",
            encoding="utf-8",
        )
    status, shown = _index_on_a_terminal(corpus, tmp_path / "index")
    assert status == 0, shown
    assert BAR.search(shown), shown[-2000:]

    (corpus / "note-000.txt").write_text("Changed\n\nA new reading.\n", encoding="utf-8")
    quiet_status, quiet = _index_on_a_terminal(corpus, tmp_path / "index", "--rebuild", "-q")
    assert quiet_status == 0 and "Embedding" not in quiet and "chunk/s" not in quiet, quiet

    piped = subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", "index", str(corpus), "--index-dir",
         str(tmp_path / "index"), "--rebuild"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert piped.returncode == 0 and "chunk/s" not in piped.stderr and "%|" not in piped.stderr
