"""Tests of the load stage (index/load.py): discovery, decoding failures, problems, ids."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
from load_helpers import reason_of, write
from pdf_maker import make_pdf

from seedqa.index.load import (
    LoadProblem,
    LoadResult,
    discover,
    load_file,
    load_paths,
)

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seeds" / "000_5e8f83e102c9a296.txt"
SEED_COPY = REPO / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"


# ----------------------------------------------------------------------------- bad input


def test_empty_file(tmp_path: Path) -> None:
    for name in ("e.txt", "e.md", "e.html", "e.pdf"):
        assert reason_of(write(tmp_path / name, b"")) == "empty file"


def test_whitespace_only(tmp_path: Path) -> None:
    assert reason_of(write(tmp_path / "w.txt", " \r\n\t\n ")).startswith("no text")
    assert reason_of(write(tmp_path / "w.md", "\n\n")).startswith("no text")


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert reason_of(path).startswith("binary file, not text")
    html = write(tmp_path / "bin.html", b"<p>x</p>\x00\x01\x02")
    assert reason_of(html).startswith("binary file, not text")


def test_utf16_without_bom_hint(tmp_path: Path) -> None:
    path = write(tmp_path / "nobom.txt", "plain ascii text".encode("utf-16-le"))
    assert "UTF-16 without a BOM" in reason_of(path)


def test_invalid_utf8_names_byte_and_offset(tmp_path: Path) -> None:
    path = write(tmp_path / "latin1.txt", "Caf\u00e9 ok".encode("latin-1"))
    assert reason_of(path) == "not valid UTF-8 text (byte 0xe9 at offset 3); save it as UTF-8"
    path = write(tmp_path / "bom-bad.txt", codecs.BOM_UTF8 + b"ab\xff")
    assert reason_of(path) == "not valid UTF-8 text (byte 0xff at offset 5); save it as UTF-8"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without permission")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", "hidden")
    path.chmod(0)
    try:
        assert reason_of(path).startswith("permission denied")
    finally:
        path.chmod(0o644)


def test_load_file_on_directory_and_missing(tmp_path: Path) -> None:
    directory = tmp_path / "folder.txt"
    directory.mkdir()
    assert reason_of(directory) == "is a directory, not a file"
    assert reason_of(tmp_path / "gone.txt") == "no such file or directory"


def test_load_file_unsupported_suffix(tmp_path: Path) -> None:
    reason = reason_of(write(tmp_path / "data.csv", "a,b"))
    assert reason.startswith("unsupported file type .csv; supported: .txt, .md")


# ----------------------------------------------------------------------------- discover


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    write(root / "b.txt", "bee")
    write(root / "a.md", "# A")
    write(root / "sub" / "c.html", "<p>see</p>")
    write(root / "sub" / "deeper" / "d.pdf", make_pdf([["dee"]]))
    write(root / "sub" / "skip.csv", "x,y")
    write(root / "image.png", b"\x89PNG\x00")
    write(root / ".hidden.txt", "hidden file")
    write(root / ".git" / "notes.txt", "hidden dir")
    write(root / "drafts" / "draft.txt", "draft")
    write(root / "UPPER.TXT", "upper")
    return root


def rels(pairs: list[tuple[Path, Path]]) -> list[str]:
    return [file.relative_to(root).as_posix() for file, root in pairs]


def test_discover_directory(corpus: Path) -> None:
    pairs, problems = discover([corpus])
    assert problems == []
    assert rels(pairs) == [
        "UPPER.TXT",
        "a.md",
        "b.txt",
        "drafts/draft.txt",
        "sub/c.html",
        "sub/deeper/d.pdf",
    ]
    assert all(root == corpus for _, root in pairs)


def test_discover_include_exclude(corpus: Path) -> None:
    pairs, _ = discover([corpus], include=["*.txt"])
    assert rels(pairs) == ["b.txt", "drafts/draft.txt"]
    pairs, _ = discover([corpus], include=["sub/*"])
    assert rels(pairs) == ["sub/c.html", "sub/deeper/d.pdf"]
    pairs, _ = discover([corpus], exclude=["drafts", "*.pdf"])
    assert rels(pairs) == ["UPPER.TXT", "a.md", "b.txt", "sub/c.html"]
    pairs, _ = discover([corpus], include=["*.txt"], exclude=["draft.txt"])
    assert rels(pairs) == ["b.txt"]
    pairs, problems = discover([corpus], include=["*.docx"])
    assert pairs == []
    assert len(problems) == 1 and "no files match" in problems[0].reason
    pairs, _ = discover([corpus / "b.txt"], exclude=["b.*"])
    assert pairs == []


def test_discover_explicit_files(corpus: Path) -> None:
    pairs, problems = discover([corpus / ".hidden.txt", str(corpus / "sub" / "c.html")])
    assert problems == []
    assert pairs == [(corpus / ".hidden.txt", corpus), (corpus / "sub" / "c.html", corpus / "sub")]
    pairs, problems = discover(corpus / "sub" / "skip.csv")
    assert pairs == []
    assert problems == [
        LoadProblem(
            str(corpus / "sub" / "skip.csv"),
            "unsupported file type .csv; supported: .txt, .md, .markdown, .html, .htm, .pdf, "
            ".docx",
        )
    ]


def test_discover_dedupes_by_resolved_path(corpus: Path) -> None:
    again = corpus / "sub" / ".." / "b.txt"
    pairs, problems = discover([corpus, corpus / "b.txt", again, str(corpus)])
    assert problems == []
    assert rels(pairs).count("b.txt") == 1
    assert len(pairs) == 6


def test_discover_missing_and_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    other = tmp_path / "other"
    write(other / "x.csv", "1")
    write(other / ".secret.txt", "s")
    missing = tmp_path / "nope"
    pairs, problems = discover([missing, empty, other])
    assert pairs == []
    assert [str(p) for p in problems] == [
        f"{missing}: no such file or directory",
        f"{empty}: no .txt, .md, .markdown, .html, .htm, .pdf or .docx files found",
        f"{other}: no .txt, .md, .markdown, .html, .htm, .pdf or .docx files found",
    ]


def test_discover_special_files(tmp_path: Path) -> None:
    fifo = tmp_path / "dir" / "pipe.txt"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    write(tmp_path / "dir" / "real.txt", "real")
    (tmp_path / "dir" / "dangling.txt").symlink_to(tmp_path / "does-not-exist")
    pairs, problems = discover([tmp_path / "dir"])
    assert rels(pairs) == ["real.txt"]
    assert [p.reason for p in problems] == [
        "broken symbolic link",
        "a named pipe (FIFO), not a regular file; it is never read",
    ]
    pairs, problems = discover([fifo])
    assert pairs == []
    assert problems[0].reason.startswith("a named pipe (FIFO)")


# ----------------------------------------------------------------------------- load_paths


def test_load_paths_collects_problems(corpus: Path, tmp_path: Path) -> None:
    write(corpus / "empty.txt", b"")
    write(corpus / "sub" / "bad.pdf", b"%PDF-1.4\ngarbage")
    result = load_paths([corpus, tmp_path / "missing"])
    assert isinstance(result, LoadResult)
    assert [d.doc_id for d in result.documents] == [
        "corpus/UPPER.TXT",
        "corpus/a.md",
        "corpus/b.txt",
        "corpus/drafts/draft.txt",
        "corpus/sub/c.html",
        "corpus/sub/deeper/d.pdf",
    ]
    reasons = {Path(p.path).name: p.reason for p in result.problems}
    assert reasons["missing"] == "no such file or directory"
    assert reasons["empty.txt"] == "empty file"
    assert "PDF" in reasons["bad.pdf"]
    assert all("\n" not in str(p) for p in result.problems)


def test_doc_ids_stable(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = [d.doc_id for d in load_paths([corpus]).documents]
    monkeypatch.chdir(corpus.parent)
    relative = [d.doc_id for d in load_paths(["corpus"]).documents]
    monkeypatch.chdir(corpus)
    dot = [d.doc_id for d in load_paths(["."]).documents]
    assert first == relative == dot
    explicit = load_paths([Path("sub") / "c.html"]).documents[0]
    assert explicit.doc_id == "sub/c.html"
    assert explicit.source == str((corpus / "sub" / "c.html").resolve())


def test_duplicate_doc_ids_across_roots(tmp_path: Path) -> None:
    write(tmp_path / "a" / "docs" / "x.txt", "one")
    write(tmp_path / "b" / "docs" / "x.txt", "two")
    result = load_paths([tmp_path / "a" / "docs", tmp_path / "b" / "docs"])
    assert [d.text for d in result.documents] == ["one"]
    assert "duplicate document id docs/x.txt" in result.problems[0].reason


def test_load_problem_str() -> None:
    problem = LoadProblem("docs/a.pdf", "empty file")
    assert str(problem) == "docs/a.pdf: empty file"


# ----------------------------------------------------------------------------- seed article


@pytest.mark.parametrize("path", [SEED, SEED_COPY], ids=["shared", "repo-copy"])
def test_seed_article(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not present")
    doc = load_file(path, path.parent)
    assert doc.text == path.read_bytes().decode("utf-8")
    assert doc.title == "Xiaomi makes big noises with $7bn 5G, AI and IOT plan"
    assert doc.doc_id == f"{path.parent.name}/{path.name}"


def test_seed_copy_is_identical() -> None:
    if not SEED.exists():
        pytest.skip("shared seed not present")
    assert SEED_COPY.read_bytes() == SEED.read_bytes()

