"""The reliability table, command line: every bad input gets one clear line and loses nothing.

Each case runs ``seedqa`` in-process (``ui.cli.main`` with the session's model)
on a private copy of a two-generation index, and asserts the exit status, the
one line that names the problem (an error, a skip or a warning), that no
traceback is printed, and that the index is unchanged byte for byte. Cases
that need a real process (undecodable argv bytes, another user) run one.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_kit import Built, snapshot

from seedqa.index.store import build_lock
from seedqa.ui.cli import main

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Env:
    """What a case's setup may change: its index copy, the shared corpus, a scratch folder."""

    index: Path
    corpus: Path
    tmp: Path
    built: Built
    extras: list[Path]

    def add(self, name: str, data: bytes = b"") -> Path:
        path = self.corpus / name
        path.write_bytes(data)
        self.extras.append(path)
        return path

    def live(self) -> Path:
        return self.index / (self.index / "CURRENT").read_text().strip()


Setup = Callable[[Env], None]


def _fifo(env: Env) -> None:
    os.mkfifo(env.corpus / "pipe.txt")
    env.extras.append(env.corpus / "pipe.txt")


def _socket(env: Env) -> None:
    path = env.corpus / "sock.md"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
    env.extras.append(path)


def _link(target: str, name: str) -> Setup:
    def make(env: Env) -> None:
        os.symlink(target, env.corpus / name)
        env.extras.append(env.corpus / name)

    return make


def _cycle(env: Env) -> None:
    _link("cycle-b.txt", "cycle-a.txt")(env)
    _link("cycle-a.txt", "cycle-b.txt")(env)


def _sparse(env: Env) -> None:
    with open(env.corpus / "huge.txt", "wb") as handle:
        handle.truncate(60 * 1024 * 1024)  # over the 50 MB default, without writing 60 MB
    env.extras.append(env.corpus / "huge.txt")


def _hard_link(env: Env) -> None:
    os.link(env.corpus / "bread.txt", env.corpus / "bread-hardlink.txt")
    env.extras.append(env.corpus / "bread-hardlink.txt")


def _pointer(data: bytes | None) -> Setup:
    def make(env: Env) -> None:
        if data is None:
            (env.index / "CURRENT").unlink()
        else:
            (env.index / "CURRENT").write_bytes(data)

    return make


def _manifest(change: Callable[[dict], object] | None) -> Setup:
    def make(env: Env) -> None:
        path = env.live() / "manifest.json"
        if change is None:
            path.unlink()
            return
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return make


def _garbage_manifest(env: Env) -> None:
    (env.live() / "manifest.json").write_text('{"embedder": "all-Mini', encoding="utf-8")


def _zero_after_64(name: str) -> Setup:
    def make(env: Env) -> None:
        path = env.live() / name
        data = bytearray(path.read_bytes())
        data[64:] = bytes(len(data) - 64)
        path.write_bytes(bytes(data))

    return make


def _truncate(name: str) -> Setup:
    def make(env: Env) -> None:
        path = env.live() / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    return make


def _edit_chunk_text(env: Env) -> None:
    path = env.live() / "chunks.jsonl"
    path.write_text(path.read_text().replace("1104", "1999"), encoding="utf-8")  # same size


def _damaged_then_new_file(env: Env) -> None:
    _zero_after_64("vectors.faiss")(env)
    env.add("news.txt", b"Fresh news\n\nA new bridge opened in Lisbon today.\n")


def _break_every_generation(env: Env) -> None:
    (env.index / "CURRENT").unlink()
    for generation in env.built.generations:
        (env.index / generation / "manifest.json").write_text("{", encoding="utf-8")


def _file_as_index_dir(env: Env) -> None:
    (env.tmp / "a-file").write_text("not a directory\n")


def _bad_files(names: dict[str, bytes]) -> Setup:
    def make(env: Env) -> None:
        for name, data in names.items():
            (env.tmp / name).write_bytes(data)

    return make


ERROR = r"^seedqa(?: \w+)?: error: "
SKIPPED = r"^skipped {corpus}/"
WARNING = r"^seedqa: warning: the index at {index} "
FALLBACK = r"; answering from {second}, the newest complete generation"
SEARCH = ["search", "Hekla volcano ash", "-k", "1", "--mode", "lexical", "--index-dir", "{index}"]
REINDEX = ["index", "--index-dir", "{index}", "-q"]
LONG = "Why " + "really " * 400 + "?"
UNCHANGED = "Indexed 4 documents (4 chunks) into {index}: 0 added, 0 updated, 0 removed"

#: (id, setup, argv, exit status, the one line expected, something stdout must hold)
CASES: list[tuple[str, Setup | None, list[str], int, str, str]] = [
    # ---- questions and queries
    ("question lone surrogate", None, ["ask", "When\ud800?", "--index-dir", "{index}"], 2,
     ERROR + r"the question holds a lone surrogate \(U\+D800", ""),
    ("question undecodable byte", None, ["ask", "caf\udce9?", "--index-dir", "{index}"], 2,
     ERROR + r"the question is not valid UTF-8 \(byte 0xe9", ""),
    ("query lone surrogate", None, ["search", "\udfff", "--index-dir", "{index}"], 2,
     ERROR + "the query holds a lone surrogate", ""),
    ("question too long", None, ["ask", LONG, "--index-dir", "{index}"], 2,
     ERROR + "the question is 2,8.. characters long; the limit is 2,000", ""),
    ("query too long", None, ["search", LONG, "--index-dir", "{index}"], 2,
     ERROR + "the query is 2,8.. characters long", ""),
    ("empty question", None, ["ask", "", "--index-dir", "{index}"], 2,
     ERROR + "the question is empty", ""),
    ("blank question", None, ["ask", " \t\n ", "--index-dir", "{index}"], 2,
     ERROR + "the question is empty", ""),
    ("only escape sequences", None, ["ask", "\x1b[31m\x1b[0m", "--index-dir", "{index}"], 2,
     ERROR + "the question is empty", ""),
    ("k zero", None, ["ask", "When?", "-k", "0", "--index-dir", "{index}"], 2,
     ERROR + "argument -k: k=0 is not valid; use a whole number from 1 to 100", ""),
    ("k fraction", None, ["ask", "When?", "-k", "2.7", "--index-dir", "{index}"], 2,
     ERROR + "argument -k: k=2.7 is not valid", ""),
    ("k above 100", None, ["search", "x", "-k", "101", "--index-dir", "{index}"], 2,
     ERROR + "argument -k: k=101 is not valid", ""),
    ("k negative", None, ["ask", "When?", "-k", "-3", "--index-dir", "{index}"], 2,
     ERROR + "argument -k: k=-3 is not valid", ""),
    ("k not a number", None, ["ask", "When?", "-k", "five", "--index-dir", "{index}"], 2,
     ERROR + "argument -k: k='five' is not valid", ""),
    ("unknown mode", None, ["search", "x", "--mode", "psychic", "--index-dir", "{index}"], 2,
     ERROR + "argument --mode: invalid choice: 'psychic'", ""),
    ("unknown command", None, ["reindex"], 2, ERROR + "argument COMMAND: invalid choice", ""),
    # ---- where the index is
    ("index dir is a file (ask)", _file_as_index_dir,
     ["ask", "When?", "--index-dir", "{tmp}/a-file"], 2,
     ERROR + "the index directory {tmp}/a-file is a file", ""),
    ("index dir is a file (index)", _file_as_index_dir,
     ["index", "{corpus}", "--index-dir", "{tmp}/a-file/sub"], 2,
     ERROR + "the index directory {tmp}/a-file/sub is a file", ""),
    ("no index there", None, ["ask", "When?", "--index-dir", "{tmp}/nothing"], 2,
     ERROR + r"no index at {tmp}/nothing; build one with `seedqa index PATHS --index-dir", ""),
    # ---- files in the corpus: skipped with one line each, nothing else changes
    ("fifo in corpus", _fifo, REINDEX, 0, SKIPPED + "pipe.txt: a named pipe", UNCHANGED),
    ("socket in corpus", _socket, REINDEX, 0, SKIPPED + "sock.md: a socket", UNCHANGED),
    ("device in corpus", _link("/dev/null", "null.txt"), REINDEX, 0,
     SKIPPED + "null.txt: a character device", UNCHANGED),
    ("self symlink loop", _link("loop.txt", "loop.txt"), REINDEX, 0,
     SKIPPED + "loop.txt: symbolic link loop", UNCHANGED),
    ("two-file symlink cycle", _cycle, REINDEX, 0,
     SKIPPED + "cycle-a.txt: symbolic link loop", UNCHANGED),
    ("broken symlink", _link("gone.txt", "dangling.txt"), REINDEX, 0,
     SKIPPED + "dangling.txt: broken symbolic link", UNCHANGED),
    ("file over the size limit", _sparse, REINDEX, 0,
     SKIPPED + r"huge.txt: 60.0 MB is over the 50 MB limit per file; raise it with "
     r"--max-file-mb", UNCHANGED),
    ("hard link, same content", _hard_link, REINDEX, 0,
     SKIPPED + r"bread-hardlink.txt: same content as corpus/bread.txt", UNCHANGED),
    ("copy, same content", lambda e: e.add("copy.txt", (e.corpus / "chess.txt").read_bytes()),
     REINDEX, 0, SKIPPED + r"copy.txt: same content as corpus/chess.txt", UNCHANGED),
    ("empty file", lambda e: e.add("empty.txt"), REINDEX, 0, SKIPPED + "empty.txt: empty file",
     UNCHANGED),
    ("binary file", lambda e: e.add("logo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
     REINDEX, 0, SKIPPED + "logo.txt: binary file", UNCHANGED),
    ("latin-1 file", lambda e: e.add("cafe.md", "Caf\u00e9 cr\u00e8me\n".encode("latin-1")),
     REINDEX, 0, SKIPPED + r"cafe.md: not valid UTF-8 text \(byte 0xe9", UNCHANGED),
    ("utf-16 without bom", lambda e: e.add("wide.txt", "Hello there\n".encode("utf-16-le")),
     REINDEX, 0, SKIPPED + r"wide.txt: binary file, not text \(UTF-16 without a BOM", UNCHANGED),
    ("broken pdf", lambda e: e.add("broken.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"),
     REINDEX, 0, SKIPPED + "broken.pdf: broken PDF", UNCHANGED),
    ("only whitespace", lambda e: e.add("blank.md", b"  \n\n\t\n"), REINDEX, 0,
     SKIPPED + r"blank.md: no text \(only whitespace\)", UNCHANGED),
    ("missing path only", None, ["index", "{tmp}/missing.txt", "--index-dir", "{index}"], 2,
     ERROR + "nothing could be indexed", ""),
    ("empty folder only", lambda e: (e.tmp / "void").mkdir(),
     ["index", "{tmp}/void", "--index-dir", "{index}", "-q"], 2,
     ERROR + "nothing could be indexed", ""),
    ("unsupported file only", _bad_files({"tool.exe": b"MZ\x90\x00"}),
     ["index", "{tmp}/tool.exe", "--index-dir", "{index}", "-q"], 2,
     ERROR + "nothing could be indexed", ""),
    # ---- settings
    ("chunk tokens too small", None, [*REINDEX, "--chunk-tokens", "8"], 2,
     ERROR + "chunk_tokens=8 is invalid", ""),
    ("overlap over chunk size", None, [*REINDEX, "--overlap", "200"], 2,
     ERROR + "overlap_tokens=200 is invalid", ""),
    ("another model", None, [*REINDEX, "--model", "/nonexistent/model"], 2,
     ERROR + "the index was built with embedder 'all-MiniLM-L6-v2'", ""),
    ("size limit zero", None, [*REINDEX, "--max-file-mb", "0"], 2,
     ERROR + "argument --max-file-mb: 0 must be at least 1", ""),
    ("repair with paths", None, ["index", "{corpus}", "--repair", "--index-dir", "{index}"], 2,
     ERROR + "--repair takes no paths", ""),
    # ---- a broken pointer or manifest: answered from the newest complete generation
    ("pointer missing", _pointer(None), SEARCH, 0, WARNING + "has no CURRENT pointer" + FALLBACK,
     "volcanoes.md"),
    ("pointer empty", _pointer(b""), SEARCH, 0, WARNING + r"points at a missing generation",
     "volcanoes.md"),
    ("pointer dotdot", _pointer(b"..\n"), SEARCH, 0,
     WARNING + "points at '..', which is not a generation" + FALLBACK, "volcanoes.md"),
    ("pointer binary", _pointer(b"\xff\xfe\x00\x01gen"), SEARCH, 0,
     WARNING + r"is damaged \(CURRENT is not text\)" + FALLBACK, "volcanoes.md"),
    ("pointer to missing generation", _pointer(b"gen-0badc0ffee\n"), SEARCH, 0,
     WARNING + "points at a missing gen-0badc0ffee" + FALLBACK, "volcanoes.md"),
    ("manifest deleted", _manifest(None), SEARCH, 0, WARNING + "has a damaged manifest in gen-",
     "volcanoes.md"),
    ("manifest not json", _garbage_manifest, SEARCH, 0, WARNING + "has a damaged manifest",
     "volcanoes.md"),
    ("manifest wrong types", _manifest(lambda d: d.update(sources=5)), SEARCH, 0,
     WARNING + r"has a damaged manifest in {second} \(manifest.sources should be a list, not "
     r"int\); answering from {first}", "volcanoes.md"),
    ("manifest number as text", _manifest(lambda d: d.update(dimension="384")), SEARCH, 0,
     WARNING + r"has a damaged manifest in {second} \(manifest.dimension should be int, not str",
     "volcanoes.md"),
    ("manifest document wrong type", _manifest(lambda d: d["documents"].update(x=[])), SEARCH, 0,
     WARNING + r"has a damaged manifest in {second} \(manifest.documents\['x'\] should be an "
     "object, not list", "volcanoes.md"),
    ("manifest format version", _manifest(lambda d: d.update(format_version=99)), SEARCH, 2,
     ERROR + "index format version 99 is not supported", ""),
    ("every generation broken", _break_every_generation, SEARCH, 2,
     ERROR + r"index at {index} has no CURRENT pointer and holds no complete generation; "
     r"rebuild it from your documents with `seedqa index --rebuild PATHS", ""),
    # ---- damaged files: refused, naming the file, never wrong answers
    ("vectors zeroed after 64 bytes", _zero_after_64("vectors.faiss"), SEARCH, 2,
     ERROR + r"gen-\w+/vectors.faiss: checksum mismatch .* `seedqa index --repair", ""),
    ("vectors truncated", _truncate("vectors.faiss"), SEARCH, 2,
     ERROR + r"gen-\w+/vectors.faiss: [\d,]+ bytes, the manifest says [\d,]+", ""),
    ("chunk text edited", _edit_chunk_text, SEARCH, 2,
     ERROR + r"gen-\w+/chunks.jsonl: checksum mismatch", ""),
    ("chunks truncated", _truncate("chunks.jsonl"), SEARCH, 2,
     ERROR + r"gen-\w+/chunks.jsonl: [\d,]+ bytes", ""),
    ("bm25 zeroed", _zero_after_64("bm25/data.csc.index.npy"), SEARCH, 2,
     ERROR + r"gen-\w+/bm25/data.csc.index.npy: checksum mismatch", ""),
    ("bm25 file deleted", lambda e: (e.live() / "bm25" / "params.index.json").unlink(), SEARCH, 2,
     ERROR + r"gen-\w+/bm25/params.index.json: missing", ""),
    ("vectors damaged, update refused", _damaged_then_new_file, REINDEX, 2,
     ERROR + r"{second}/vectors.faiss: checksum mismatch", ""),
]


def _fill(text: str, env: Env) -> str:
    first = env.built.generations[0]
    return (
        text.replace("{index}", str(env.index))
        .replace("{corpus}", str(env.corpus))
        .replace("{tmp}", str(env.tmp))
        .replace("{first}", first)
        .replace("{second}", env.built.generations[1])
    )


@pytest.mark.parametrize(
    ("setup", "argv", "code", "line", "output"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_input_gets_one_line_and_loses_nothing(
    setup: Setup | None,
    argv: list[str],
    code: int,
    line: str,
    output: str,
    built: Built,
    index_copy: Path,
    corpus_extras: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    embedder,
) -> None:
    env = Env(index_copy, built.corpus, tmp_path, built, corpus_extras)
    if setup is not None:
        setup(env)
    before = snapshot(index_copy)
    capsys.readouterr()
    try:
        status = main([_fill(a, env) for a in argv], embedder=embedder)
    except SystemExit as exit_:  # argparse's usage errors
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    assert status == code, err
    assert "Traceback" not in out + err
    pattern = re.compile(_fill(line, env).replace("/", r"/"))
    matching = [text for text in err.splitlines() if pattern.search(text)]
    assert len(matching) == 1, f"expected one line like {pattern.pattern!r} in:\n{err}"
    if code:
        assert len([t for t in err.splitlines() if " error: " in t]) == 1, err
        assert out == ""
    assert _fill(output, env) in out
    assert snapshot(index_copy) == before


def test_the_table_covers_forty_classes() -> None:
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


def test_ansi_escapes_in_a_question_are_stripped_whole(
    index_copy: Path, capsys: pytest.CaptureFixture[str], embedder
) -> None:
    before = snapshot(index_copy)
    question = "\x1b[31mWhen did\x1b[0m Hekla \x1b]0;title\x07erupt?\x1b[K"
    assert main(["ask", question, "--json", "--index-dir", str(index_copy)], embedder=embedder) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert answer["question"] == "When did Hekla erupt?"
    assert not answer["abstained"] and "1104" in answer["answer"]
    assert "31" not in answer["answer"] and "\x1b" not in out and "Traceback" not in err
    assert snapshot(index_copy) == before


def test_control_characters_in_a_question_are_spaces(
    index_copy: Path, capsys: pytest.CaptureFixture[str], embedder
) -> None:
    argv = ["ask", "When\x00did\x07Hekla\x08erupt?", "--json", "--index-dir", str(index_copy)]
    assert main(argv, embedder=embedder) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["question"] == "When did Hekla erupt?" and "1104" in answer["answer"]


def test_another_build_holding_the_lock(
    index_copy: Path, capsys: pytest.CaptureFixture[str], embedder
) -> None:
    before = snapshot(index_copy)
    with build_lock(index_copy):
        status = main(["index", "--index-dir", str(index_copy), "-q"], embedder=embedder)
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("seedqa: error: another seedqa build is writing")
    assert err.count("\n") == 1 and snapshot(index_copy) == before


def _run(*args: bytes | str, **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", *args],
        cwd=REPO, capture_output=True, timeout=300, env=env, **options,
    )  # fmt: skip


def test_undecodable_argv_bytes_in_a_real_process(index_copy: Path) -> None:
    before = snapshot(index_copy)
    result = _run("ask", b"caf\xe9 prices?", "--index-dir", str(index_copy))
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2 and "Traceback" not in err
    assert err.splitlines() == [
        "seedqa: error: the question is not valid UTF-8 (byte 0xe9 at position 3); "
        "retype it or send it as UTF-8 text"
    ]
    assert snapshot(index_copy) == before


def test_an_index_the_user_cannot_write(
    index_copy: Path, corpus_extras: list[Path], built: Built, capsys, embedder
) -> None:
    """Root writes anywhere, so as root the index is made immutable (chattr +i) instead."""
    note = built.corpus / "note.txt"
    note.write_text("A note\n\nThe harbour crane lifts forty tonnes.\n", encoding="utf-8")
    corpus_extras.append(note)  # a change, so the build would have to write
    before = snapshot(index_copy)
    paths = [index_copy, *index_copy.rglob("*")]
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "-R", "+i", str(index_copy)]).returncode != 0:
            pytest.skip("chattr +i is not available on this filesystem")
    else:
        for path in paths:
            path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        status = main(["index", "--index-dir", str(index_copy), "-q"], embedder=embedder)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-R", "-i", str(index_copy)], check=True)
        else:
            for path in paths:
                path.chmod(0o755 if path.is_dir() else 0o644)
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"seedqa: error: the index directory {index_copy} cannot be written (permission denied); "
        "choose another with --index-dir or fix its permissions"
    ]
    assert snapshot(index_copy) == before
