"""Tests of ``seedqa index``: summary, bad inputs, settings, model errors, SIGKILL and Ctrl-C.

Subprocesses load the model themselves (seconds each), so only the cases that
need a real process (a signal, the installed entry point) run one; the rest
call ``ui.cli.main`` in-process.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from seedqa.index.build import build_index
from seedqa.index.errors import IndexNotFound
from seedqa.index.paths import INDEX_DIR_ENV
from seedqa.index.readers import suffix_list
from seedqa.index.state import IndexState, read_manifest
from seedqa.index.store import load_index
from seedqa.ui.cli import main

REPO = Path(__file__).resolve().parents[2]
SEEDQA = Path(sys.executable).with_name("seedqa")
SCIFACT = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "scifact" / "corpus.jsonl"
SUMMARY = re.compile(
    r"^Indexed (\d+) documents? \((\d+) chunks?\) into (.+): (\d+) added, (\d+) updated, "
    r"(\d+) removed, (\d+) unchanged; (\d+) chunks? embedded in \d+\.\d\d s$"
)


@pytest.fixture
def bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """One path per kind of bad input, with (a fragment of) the reason it is refused."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty-dir").mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (bad / "latin1.md").write_bytes("Caf\u00e9 cr\u00e8me\n".encode("latin-1"))
    (bad / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R")
    return {
        "missing": (bad / "missing.txt", "no such file or directory"),
        "empty dir": (bad / "empty-dir", f"no {suffix_list(' or ')} files found"),
        "empty": (bad / "empty.txt", "empty file"),
        "binary": (bad / "binary.txt", "binary file"),
        "undecodable": (bad / "latin1.md", "not valid UTF-8"),
        "broken pdf": (bad / "broken.pdf", "broken PDF"),
    }


def assert_each_named(output: str, bad: dict[str, tuple[Path, str]], prefix: str = "") -> None:
    lines = output.splitlines()
    for kind, (path, reason) in bad.items():
        assert any(line.startswith(prefix) and f"{path}: {reason}" in line for line in lines), (
            f"{kind}: no line naming {path} ({reason}) in:\n{output}"
        )


def test_mixed_inputs_index_the_good_file_and_name_each_bad_one(
    tmp_path: Path, bad_inputs, capsys, monkeypatch
) -> None:
    index_dir = tmp_path / "env-index"
    monkeypatch.setenv(INDEX_DIR_ENV, str(index_dir))
    good = tmp_path / "good.txt"
    good.write_text("Otters\n\nSea otters hold hands while they sleep.\n", encoding="utf-8")
    paths = [str(good)] + [str(p) for p, _ in bad_inputs.values()]

    assert main(["index", *paths]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert_each_named(err, bad_inputs, prefix="skipped ")
    match = SUMMARY.match(out.strip())
    assert match, out
    assert match.group(1, 2) == ("1", "1")
    assert match.group(4, 5, 6, 7, 8) == ("1", "0", "0", "0", "1")
    assert match.group(3) == str(index_dir)  # SEEDQA_INDEX_DIR is the default index dir
    assert list(load_index(index_dir).manifest.documents) == [f"{tmp_path.name}/good.txt"]

    # An unchanged re-run embeds nothing and says so; the bad inputs are reported again.
    assert main(["index", *paths, "--quiet"]) == 0
    out, err = capsys.readouterr()
    match = SUMMARY.match(out.strip())
    assert match and match.group(4, 5, 6, 7, 8) == ("0", "0", "0", "1", "0"), out
    assert_each_named(err, bad_inputs, prefix="skipped ")

    # --rebuild without paths re-embeds everything from the index's own sources.
    assert main(["index", "--rebuild", "--quiet"]) == 0
    out, err = capsys.readouterr()
    match = SUMMARY.match(out.strip())
    assert match and match.group(1, 2, 4, 8) == ("1", "1", "1", "1"), out
    assert "Traceback" not in err
    assert list(read_manifest(index_dir).documents) == [f"{tmp_path.name}/good.txt"]


def test_nothing_indexable_exits_non_zero_and_keeps_the_index(
    editable_corpus: Path, tmp_path: Path, bad_inputs, embedder
) -> None:
    index_dir = tmp_path / "idx"
    build_index([editable_corpus], index_dir, embedder=embedder)
    before = read_manifest(index_dir)
    # The installed console script, as a user runs it (no model is loaded on this path).
    result = subprocess.run(
        [str(SEEDQA), "index", *(str(p) for p, _ in bad_inputs.values())],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, INDEX_DIR_ENV: str(index_dir)},
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("seedqa: error:")]
    assert len(errors) == 1 and "nothing could be indexed" in errors[0]
    assert_each_named(result.stderr, bad_inputs)
    assert read_manifest(index_dir) == before
    assert len(load_index(index_dir).manifest.documents) == 3


def test_empty_folder_alone_is_nothing_to_index(tmp_path: Path, capsys) -> None:
    (tmp_path / "empty").mkdir()
    index_dir = tmp_path / "idx"
    assert main(["index", str(tmp_path / "empty"), "--index-dir", str(index_dir)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.count("\n") == 3 and err.startswith("Reading ")
    assert "nothing could be indexed" in err and f"{tmp_path / 'empty'}: no .txt" in err
    assert not IndexState.read(index_dir).exists
    with pytest.raises(IndexNotFound, match="seedqa index"):
        load_index(index_dir)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--chunk-tokens", "8"], "chunk_tokens=8 is invalid; use an integer from 16 to 2048"),
        (["--chunk-tokens", "64", "--overlap", "40"], "overlap_tokens=40 is invalid"),
        (["--overlap", "200"], "overlap_tokens=200 is invalid"),
    ],
)
def test_invalid_chunk_settings_are_one_clear_line(
    editable_corpus: Path, tmp_path: Path, capsys, options: list[str], message: str
) -> None:
    index_dir = tmp_path / "idx"
    code = main(["index", str(editable_corpus), "--index-dir", str(index_dir), "-q", *options])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.splitlines() == [f"seedqa: error: {err.split('error: ', 1)[1].strip()}"]
    assert message in err
    assert not IndexState.read(index_dir).exists


@pytest.mark.parametrize("value", ["-3", "many"])
def test_non_numeric_or_negative_chunk_tokens_are_usage_errors(value: str, capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["index", "--chunk-tokens", value])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "--chunk-tokens" in err and "Traceback" not in err


def test_model_errors_are_one_clear_line(
    editable_corpus: Path, tmp_path: Path, capsys, embedder
) -> None:
    # A model that cannot be loaded offline.
    fresh = tmp_path / "fresh"
    argv = ["index", str(editable_corpus), "--index-dir", str(fresh), "-q"]
    assert main([*argv, "--model", "/nonexistent/model"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith("seedqa: error: cannot load embedding model '/nonexistent/model'")
    assert err.count("\n") == 1 and "--model" in err
    assert not IndexState.read(fresh).exists

    # Another model than the one an existing index was built with.
    index_dir = tmp_path / "idx"
    build_index([editable_corpus], index_dir, embedder=embedder)
    before = read_manifest(index_dir)
    argv = ["index", str(editable_corpus), "--index-dir", str(index_dir), "-q"]
    assert main([*argv, "--model", "/nonexistent/model"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and err.count("\n") == 1
    assert "all-MiniLM-L6-v2" in err and "--rebuild" in err
    assert read_manifest(index_dir) == before


# ------------------------------------------------------------------ SIGKILL and Ctrl-C


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    """About 300 documents: enough that embedding them takes a few seconds."""
    root = tmp_path_factory.mktemp("big") / "abstracts"
    root.mkdir()
    if SCIFACT.exists():
        with SCIFACT.open(encoding="utf-8") as handle:
            for number, line in zip(range(300), handle, strict=False):
                row = json.loads(line)
                text = f"{row['title']}\n\n{row['text']}\n"
                (root / f"doc{number:03}.txt").write_text(text, encoding="utf-8")
    else:
        rng = random.Random(0)
        words = "cell protein gene tumour dose trial patient risk model brain blood".split()
        for number in range(300):
            sentences = [" ".join(rng.choices(words, k=12)).capitalize() + "." for _ in range(20)]
            (root / f"doc{number:03}.txt").write_text(" ".join(sentences), encoding="utf-8")
    return root


class BuildProcess:
    """``python -m ui.cli index`` in a subprocess, its stderr read line by line."""

    def __init__(self, corpus: Path, index_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "seedqa.ui.cli",
                "index",
                str(corpus),
                "--index-dir",
                str(index_dir),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self.embedding = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if line.startswith("Embedding"):
                self.embedding.set()

    def signal_while_embedding(self, signum: int) -> None:
        deadline = time.monotonic() + 240
        while not self.embedding.wait(0.1):
            assert self.proc.poll() is None, f"build ended early:\n{self.stderr}"
            assert time.monotonic() < deadline, f"embedding never started:\n{self.stderr}"
        time.sleep(0.3)
        assert self.proc.poll() is None, "the build finished before it could be interrupted"
        self.proc.send_signal(signum)

    def finish(self) -> tuple[int, str, str]:
        # A hang guard only: on a loaded CI machine the last batch can take long to finish.
        code = self.proc.wait(timeout=600)
        self.reader.join(timeout=10)
        assert self.proc.stdout is not None
        return code, self.proc.stdout.read(), self.stderr

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


def test_killed_or_interrupted_build_leaves_previous_index(
    editable_corpus: Path, big_corpus: Path, tmp_path: Path, embedder
) -> None:
    killed_dir, interrupted_dir = tmp_path / "killed", tmp_path / "interrupted"
    for index_dir in (killed_dir, interrupted_dir):
        build_index([editable_corpus], index_dir, embedder=embedder)
    before = read_manifest(killed_dir)

    # Both builds run at once (each with its own index) to share the model-loading wait.
    killed = BuildProcess(big_corpus, killed_dir)
    interrupted = BuildProcess(big_corpus, interrupted_dir)
    killed.signal_while_embedding(signal.SIGKILL)
    interrupted.signal_while_embedding(signal.SIGINT)

    code, _, _ = killed.finish()
    assert code == -signal.SIGKILL
    stored = load_index(killed_dir)
    assert stored.manifest.documents == before.documents
    assert len(stored.vectors) == len(stored.chunks) == before.n_chunks

    code, out, err = interrupted.finish()
    assert code == 130, err
    assert "Traceback" not in out + err
    assert err.rstrip().splitlines()[-1] == "seedqa: interrupted; the previous index is unchanged"
    assert load_index(interrupted_dir).manifest.documents == before.documents

    # A dead build may leave a half-written generation; the next build removes it.
    stale = killed_dir / "gen-0.tmp"
    stale.mkdir(exist_ok=True)
    (stale / "chunks.jsonl").write_text('{"doc_id": ', encoding="utf-8")
    report = build_index([editable_corpus], killed_dir, embedder=embedder)
    assert report.wrote is False and report.unchanged == 3
    assert not list(killed_dir.glob("gen-*.tmp"))
    assert load_index(killed_dir).manifest.documents == before.documents
