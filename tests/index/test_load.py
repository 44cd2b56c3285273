"""Tests of the load stage (index/load.py), on real files written to tmp_path."""

from __future__ import annotations

import codecs
import io
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdf_maker import make_pdf
from pypdf import PdfReader, PdfWriter

from seedqa.index.errors import LoadError
from seedqa.index.load import (
    SUPPORTED_SUFFIXES,
    LoadProblem,
    LoadResult,
    discover,
    load_file,
    load_paths,
)

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seeds" / "000_5e8f83e102c9a296.txt"
SEED_COPY = REPO / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"


# ----------------------------------------------------------------------------- helpers


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return path


def load(path: Path) -> object:
    return load_file(path, path.parent)


def reason_of(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load(path)
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- text


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


def test_txt_text_is_unchanged_crlf_unicode(tmp_path: Path) -> None:
    content = (
        "Caf\u00e9 \U0001f600 first line\r\n\r\ne\u0301t\u00e9 na\u0308ive \u4e2d\u6587\r\nend\n"
    )
    path = write(tmp_path / "corpus" / "a.txt", content)
    doc = load_file(path, tmp_path / "corpus")
    assert doc.text == content
    assert "\r\n" in doc.text
    start = content.index("\U0001f600")
    assert doc.text[start : start + 1] == "\U0001f600"
    assert doc.text[content.index("e\u0301") :].startswith("e\u0301t\u00e9")
    assert doc.doc_id == "corpus/a.txt"
    assert doc.source == str(path.resolve())
    assert doc.kind == "text"
    assert doc.page_starts == ()
    assert doc.page_at(0) is None
    assert doc.title == "Caf\u00e9 \U0001f600 first line"


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", codecs.BOM_UTF8 + b"Hello\r\nworld")
    doc = load(path)
    assert doc.text == "Hello\r\nworld"
    assert doc.title == "Hello"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, encoding: str) -> None:
    content = "Gr\u00fc\u00dfe \U0001f30d\r\nline two"
    bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be" else codecs.BOM_UTF16_LE
    raw = content.encode(encoding)
    if encoding != "utf-16":
        raw = bom + raw
    doc = load(write(tmp_path / "u16.txt", raw))
    assert doc.text == content


def test_txt_title_first_nonblank_line_truncated(tmp_path: Path) -> None:
    long_line = "word " * 60
    doc = load(write(tmp_path / "t.txt", f"\n   \n  {long_line}\nsecond"))
    assert doc.title.startswith("word word")
    assert len(doc.title) <= 121
    assert doc.title.endswith("\u2026")
    doc = load(write(tmp_path / "s.txt", "\n\n   Short   title  \nbody"))
    assert doc.title == "Short title"


@given(st.text(min_size=1, max_size=200).filter(lambda s: s.strip() and "\x00" not in s))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_txt_roundtrip_property(content: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "p.txt"
        path.write_bytes(content.encode("utf-8", "surrogatepass"))
        if any(0xD800 <= ord(c) <= 0xDFFF for c in content):
            with pytest.raises(LoadError):
                load(path)
            return
        assert load(path).text == content


# ----------------------------------------------------------------------------- markdown


@pytest.mark.parametrize(
    ("content", "title"),
    [
        ("intro line\n\n# The *Real* Title #\n\ntext", "The *Real* Title"),
        ("## Second level\n# First", "Second level"),
        ("Setext Title\r\n===========\r\n\r\nBody", "Setext Title"),
        ("Sub title\n---------\nBody", "Sub title"),
        ("```bash\n# not a title\n```\n# After fence\n", "After fence"),
        ("---\ntitle: \"Front Matter\"\ndate: 2020\n---\n# Heading\n", "Front Matter"),
        ("---\nauthor: x\n---\n\nFirst para line\nmore", "First para line"),
        ("#hashtag is not a heading\nline", "#hashtag is not a heading"),
        ("# [Linked **title**](http://x.org) `code`\n", "Linked title code"),
        ("\n\n  plain first line  \n", "plain first line"),
    ],
)
def test_markdown_titles(tmp_path: Path, content: str, title: str) -> None:
    doc = load(write(tmp_path / "doc.md", content))
    assert doc.title == title
    assert doc.text == content
    assert doc.kind == "markdown"


def test_markdown_suffix_and_uppercase(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "README.MARKDOWN", "# Hi\r\n\r\nthere\r\n"))
    assert doc.kind == "markdown"
    assert doc.text == "# Hi\r\n\r\nthere\r\n"
    assert doc.title == "Hi"


# ----------------------------------------------------------------------------- HTML

HTML = """<!DOCTYPE html>
<html><head><title>  Page &amp; Title </title>
<style>body { color: red } .secret-style {}</style>
<script>alert(1)</script>
<meta name="x" content="meta-content-never">
</head>
<body>
<!-- a comment never shown -->
<h1>Main heading</h1>
<p>Caf&eacute; it&#8217;s   <b>bold</b>
   and <i>italic</i>. <img src="x.png" alt="alt-text" onerror="alert('img')">Second sentence.</p>
<div>Line one<br>Line two</div>
<script type="text/javascript">document.write("<p>injected</p>")</script>
<noscript>Enable JavaScript</noscript>
<template><p>template-body</p></template>
<iframe src="x">iframe-fallback</iframe>
<svg><title>svg-title</title><text>svg-text</text></svg>
<ul><li>First item</li><li>Second item</li></ul>
<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>41</td></tr></table>
<pre>
  indented  code
    more</pre>
<p hidden>hidden-paragraph</p><p style="display: none">display-none</p>
<p>Last &lt;tag&gt; text&nbsp;here.</p>
</body></html>
"""


def test_html_visible_text_only(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "page.html", HTML))
    text = doc.text
    assert doc.kind == "html"
    assert doc.title == "Page & Title"
    for junk in (
        "alert",
        "color: red",
        "secret-style",
        "meta-content-never",
        "comment",
        "injected",
        "Enable JavaScript",
        "template-body",
        "iframe-fallback",
        "svg-",
        "hidden-paragraph",
        "display-none",
        "alt-text",
        "onerror",
        "<b>",
        "&amp;",
        "&eacute;",
    ):
        assert junk not in text, junk
    assert "Caf\u00e9 it\u2019s bold and italic. Second sentence." in text
    assert "Last <tag> text here." in text
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Main heading"
    assert paragraphs[1] == "Caf\u00e9 it\u2019s bold and italic. Second sentence."
    assert paragraphs[2] == "Line one\nLine two"
    assert "First item" in paragraphs and "Second item" in paragraphs
    assert "Name\nAge" in paragraphs and "Ann\n41" in paragraphs
    assert "  indented  code\n    more" in paragraphs
    assert not text.startswith((" ", "\n")) and not text.endswith((" ", "\n"))
    assert "\n\n\n" not in text


def test_html_title_fallbacks(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "a.htm", "<body><p>intro</p><h1>The <em>H1</em></h1></body>"))
    assert doc.title == "The H1"
    assert doc.text == "intro\n\nThe H1"
    doc = load(write(tmp_path / "b.html", "<div>just text<br>more</div>"))
    assert doc.title == "just text"
    assert doc.text == "just text\nmore"


def test_html_script_alert_never_appears(tmp_path: Path) -> None:
    source = (
        "<p>Safe</p><script>alert(1)</script><img src=x onerror=alert(1)>"
        "<SCRIPT>alert(2)</SCRIPT><p onclick='alert(3)'>Click</p>"
    )
    doc = load(write(tmp_path / "x.html", source))
    assert "alert" not in doc.text
    assert doc.text == "Safe\n\nClick"


def test_html_declared_charset(tmp_path: Path) -> None:
    raw = '<meta charset="windows-1252"><p>Caf\u00e9 \u201cquoted\u201d</p>'.encode("cp1252")
    doc = load(write(tmp_path / "legacy.html", raw))
    assert doc.text == "Caf\u00e9 \u201cquoted\u201d"


def test_html_without_visible_text(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.html", "<html><head><script>x()</script></head><body> </body>")
    assert "no visible text" in reason_of(path)


# ----------------------------------------------------------------------------- PDF


def test_pdf_pages_and_metadata_title(tmp_path: Path) -> None:
    data = make_pdf(
        [["First page sentence.", "Another (line)."], ["Second page text."]], title="Report"
    )
    path = write(tmp_path / "docs" / "report.pdf", data)
    doc = load_file(path, tmp_path / "docs")
    assert doc.kind == "pdf"
    assert doc.title == "Report"
    assert doc.doc_id == "docs/report.pdf"
    assert len(doc.page_starts) == 2
    first = doc.text[doc.page_starts[0] : doc.page_starts[1]]
    second = doc.text[doc.page_starts[1] :]
    assert doc.page_starts[0] == 0
    assert first.rstrip("\n").split("\n") == ["First page sentence.", "Another (line)."]
    assert first.endswith("\n\n")
    assert second == "Second page text."
    assert doc.page_at(doc.text.index("Another")) == 1
    assert doc.page_at(doc.text.index("Second page")) == 2


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "n.pdf", make_pdf([["  Opening line  ", "body"]], title="  ")))
    assert doc.title == "Opening line"
    assert doc.page_starts == (0,)


def test_pdf_without_text(tmp_path: Path) -> None:
    path = write(tmp_path / "scan.pdf", make_pdf([[], []]))
    assert reason_of(path) == "no extractable text (scanned PDF?); OCR it first"


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_a_problem(tmp_path: Path, fraction: float) -> None:
    data = make_pdf([["Some text here."], ["More text."]])
    path = write(tmp_path / "broken.pdf", data[: int(len(data) * fraction)])
    result = load_paths([path])
    assert result.documents == []
    assert len(result.problems) == 1
    assert result.problems[0].path == str(path)
    assert "PDF" in result.problems[0].reason


def test_not_a_pdf(tmp_path: Path) -> None:
    path = write(tmp_path / "fake.pdf", "just text pretending")
    assert "not a PDF file" in reason_of(path)


def test_password_protected_pdf(tmp_path: Path) -> None:
    data = encrypt_pdf(make_pdf([["Secret."]]), user_password="pw")
    reason = reason_of(write(tmp_path / "locked.pdf", data))
    assert reason.startswith("password-protected PDF")
    assert "decrypt" in reason


def test_encrypted_pdf_with_empty_password_loads(tmp_path: Path) -> None:
    data = encrypt_pdf(make_pdf([["Readable anyway."]]), user_password="")
    assert load(write(tmp_path / "owner-only.pdf", data)).text == "Readable anyway."


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
