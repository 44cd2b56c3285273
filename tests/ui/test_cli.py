"""CLI manners: removal warnings and --add, missing indexes, closed pipes, typo hints, the shell.

In-process calls of ``ui.cli.main`` where no real terminal or pipe is needed;
a subprocess for the closed pipe and for ``ask`` with no question.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from seedqa.index.build import build_index
from seedqa.index.state import read_manifest
from seedqa.qa.service import SeedqaService
from seedqa.ui.cli import main
from seedqa.ui.shell import run_shell

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
NOTES = "# Sourdough\n\nOur starter is called **Gerald** and is fed every morning.\n"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", *args],
        cwd=REPO, input=stdin, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "SEEDQA_INDEX_DIR": "/nonexistent"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def seed_only(tmp_path_factory, embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("cli") / "index"
    build_index([SEEDS], index_dir, embedder=embedder)
    return index_dir


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "bread.md").write_text(NOTES, encoding="utf-8")
    return folder


class Terminal(io.StringIO):
    """Standard input that says it is a terminal (the user types the given answer)."""

    def isatty(self) -> bool:
        return True


def doc_ids(index_dir: Path) -> set[str]:
    return set(read_manifest(index_dir).documents)


def test_index_on_a_terminal_asks_before_removing_and_no_keeps_everything(
    seed_only, notes, monkeypatch, capsys
):
    before = (seed_only / "CURRENT").read_text()
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert main(["index", str(notes), "--index-dir", str(seed_only)]) == 1
    err = capsys.readouterr().err
    assert "warning: 1 document in" in err and "will be removed:" in err
    assert "  seeds/xiaomi-7bn-5g-ai-iot-plan.txt" in err
    assert "seedqa index --add PATHS" in err and f"{SEEDS} {notes}" in err
    assert "Nothing changed." in err
    assert (seed_only / "CURRENT").read_text() == before
    assert doc_ids(seed_only) == {"seeds/xiaomi-7bn-5g-ai-iot-plan.txt"}


def test_index_add_keeps_what_is_indexed_and_plain_index_warns_then_mirrors(
    tmp_path, notes, embedder, capsys
):
    index_dir = tmp_path / "index"
    build_index([SEEDS], index_dir, embedder=embedder)
    assert main(["index", "--add", str(notes), "--index-dir", str(index_dir)]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in err
    assert "Chunking 1 document\n" in err  # singular
    assert out.startswith("Indexed 2 documents (5 chunks)")
    assert "1 added, 0 updated, 0 removed, 1 unchanged; 1 chunk embedded" in out
    assert doc_ids(index_dir) == {"seeds/xiaomi-7bn-5g-ai-iot-plan.txt", "notes/bread.md"}

    # Not a terminal: the warning is printed and the index mirrors the paths given.
    assert main(["index", str(notes), "--index-dir", str(index_dir), "-q"]) == 0
    out, err = capsys.readouterr()
    assert "warning: 1 document in" in err and "seeds/xiaomi-7bn-5g-ai-iot-plan.txt" in err
    assert out.startswith("Indexed 1 document (1 chunk)") and "1 removed" in out
    assert doc_ids(index_dir) == {"notes/bread.md"}

    assert main(["index", "--add", "--index-dir", str(index_dir)]) == 2
    assert "--add needs the paths to add" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["ask", "search"])
def test_ask_and_search_elsewhere_say_there_is_no_index_and_how_to_build_one(
    command, tmp_path, capsys
):
    missing = tmp_path / "nope-dir"
    assert main([command, "What is 5G?", "--index-dir", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"seedqa: error: no index at {missing}; build one with "
        f"`seedqa index PATHS --index-dir {missing}`"
    )
    assert not missing.exists()  # the seed bootstrap is only for the default location


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["ask", "How much?", "--k", "3"], "--k: did you mean -k?"),
        (["search", "x", "--index_dir", "d"], "--index_dir: did you mean --index-dir?"),
        (["index", "--rebiuld"], "--rebiuld: did you mean --rebuild?"),
        (["aks", "How much?"], "invalid choice: 'aks'"),
    ],
)
def test_unknown_options_and_commands_suggest_the_nearest(argv, hint, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert hint in err and "Traceback" not in err
    if argv[0] == "aks":
        assert "did you mean ask?" in err and len(err.strip().splitlines()) == 1


def test_shell_answers_line_after_line_with_history(seed_only, embedder):
    service = SeedqaService(seed_only, embedder=embedder)
    lines = "How much will Xiaomi invest in 5G, AI and IoT?\nand over what period?\n/new\n\n"
    out = io.StringIO()
    assert run_shell(service, k=5, mode="hybrid", stdin=io.StringIO(lines), stdout=out) == 0
    text = out.getvalue()
    assert "$7.18 billion" in text
    assert text.index("$7.18 billion") < text.index("five years")  # the follow-up had history
    alone = io.StringIO()
    run_shell(service, 5, "hybrid", stdin=io.StringIO("and over what period?\n"), stdout=alone)
    assert "five years" not in alone.getvalue()


def test_ask_without_question_is_the_shell_and_a_closed_pipe_is_quiet(seed_only):
    shell = run("ask", "--index-dir", str(seed_only), stdin="What share of revenue is overseas?\n")
    assert shell.returncode == 0, shell.stderr
    assert "seedqa shell: 1 document indexed" in shell.stderr
    assert "Sources:" in shell.stdout

    process = subprocess.Popen(
        [sys.executable, "-m", "seedqa.ui.cli", "ask", "--json", "How much will Xiaomi invest?",
         "--index-dir", str(seed_only)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    process.stdout.close()  # the reader goes away before anything is written (`| head`)
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 141
    assert "Traceback" not in err and "BrokenPipe" not in err
