"""index.readers.text and .markdown: decoded text unchanged, titles from lines and headings."""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_helpers import load, write

from seedqa.index.errors import LoadError
from seedqa.index.load import (
    SUPPORTED_SUFFIXES,
    load_file,
)

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


