"""index.readers.pdf: page texts, page starts and titles; broken and encrypted PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest
from load_helpers import encrypt_pdf, load, reason_of, write
from pdf_maker import make_pdf

from seedqa.index.load import (
    load_file,
    load_paths,
)

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


