"""index.readers: one reader per format behind one suffix map; the DOCX reader."""

from __future__ import annotations

from pathlib import Path

import pytest
from docx_maker import make_docx
from pdf_maker import make_pdf

from seedqa.index.errors import LoadError
from seedqa.index.load import load_file, load_paths
from seedqa.index.readers import READERS, SUPPORTED_SUFFIXES, Extracted, reader_for, suffix_list
from seedqa.qa.uploads import check_upload, supported_suffixes


def sample(path: Path) -> Path:
    """A small valid file of ``path``'s format holding the word 'zorblax'."""
    kind = READERS[path.suffix].kind
    sentence = "The zorblax reactor produces 42 megawatts."
    if kind == "pdf":
        path.write_bytes(make_pdf([[sentence]]))
    elif kind == "docx":
        make_docx(path, [("Normal", sentence)])
    elif kind == "html":
        path.write_text(f"<html><body><p>{sentence}</p></body></html>", encoding="utf-8")
    else:
        path.write_text(f"{sentence}\n", encoding="utf-8")
    return path


def test_the_map_is_the_only_suffix_list():
    assert SUPPORTED_SUFFIXES == frozenset(READERS)
    assert supported_suffixes() == tuple(READERS)
    assert suffix_list(" or ").endswith(" or .docx")
    assert reader_for("A.PDF") is READERS[".pdf"] and reader_for("a.csv") is None


@pytest.mark.parametrize("suffix", sorted(READERS))
def test_every_reader_keeps_the_contract(tmp_path: Path, suffix: str):
    """Each reader returns text holding the content; the loader records its kind."""
    path = sample(tmp_path / f"doc{suffix}")
    extracted = READERS[suffix].read(path, path.read_bytes())
    assert isinstance(extracted, Extracted) and "zorblax" in extracted.text
    document = load_file(path, tmp_path)
    assert document.kind == READERS[suffix].kind and document.title
    assert check_upload(path) == path.name  # the upload check takes every mapped type


def test_docx_paragraphs_tables_and_title(tmp_path: Path):
    path = make_docx(
        tmp_path / "report.docx",
        [
            ("Title", "Zorblax annual report"),
            ("Normal", "The reactor produced 42 megawatts in 2023."),
            ("Heading 1", "Maintenance"),
            ("Normal", "Crews visit the site every spring."),
        ],
        table=[["Year", "Output"], ["2023", "42 MW"]],
    )
    document = load_file(path, tmp_path)
    assert document.kind == "docx" and document.title == "Zorblax annual report"
    assert document.text == (
        "Zorblax annual report\n\nThe reactor produced 42 megawatts in 2023.\n\n"
        "Maintenance\n\nCrews visit the site every spring.\n\nYear | Output\n\n2023 | 42 MW"
    )
    titled = make_docx(tmp_path / "t.docx", [("Normal", "Body text.")], title="Given title")
    assert load_file(titled, tmp_path).title == "Given title"


def test_broken_and_empty_docx_are_problems(tmp_path: Path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LoadError, match="broken DOCX, cannot be read"):
        load_file(broken, tmp_path)
    empty = make_docx(tmp_path / "empty.docx", [("Normal", "   ")])
    with pytest.raises(LoadError, match="no text"):
        load_file(empty, tmp_path)
    result = load_paths([tmp_path])
    assert not result.documents and len(result.problems) == 2


def test_a_docx_is_indexed_and_answered(tmp_path: Path, embedder):
    from seedqa.qa.service import SeedqaService

    corpus = tmp_path / "docs"
    corpus.mkdir()
    make_docx(corpus / "plant.docx", [("Normal", "The zorblax reactor produces 42 megawatts.")])
    service = SeedqaService(tmp_path / "index", embedder=embedder)
    service.index([corpus])
    answer = service.ask("How many megawatts does the zorblax reactor produce?")
    assert answer.citations and answer.citations[0].doc_id == "docs/plant.docx"
    assert "42 megawatts" in answer.citations[0].text
