"""PDF (``.pdf``): the text of each page, joined with blank lines, and the page starts.

pypdf is imported when a PDF is read. Broken, encrypted or image-only PDFs
raise ``LoadError`` with the fix.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

from seedqa.index.errors import LoadError
from seedqa.index.readers.base import Extracted, Reader, clean_title, first_line


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's warnings (logged and warned) about malformed PDFs."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pdf_text(path: Path, data: bytes) -> tuple[str, tuple[int, ...], str]:
    """Return (text, page_starts, metadata title) of a PDF, or raise ``LoadError``."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    if b"%PDF-" not in data[:1024]:
        raise LoadError(str(path), "not a PDF file (no %PDF- header); check the file extension")
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")
                except DependencyError as error:
                    raise LoadError(
                        str(path),
                        "encrypted PDF that needs the 'cryptography' package to open; "
                        "save an unencrypted copy (e.g. qpdf --decrypt in.pdf out.pdf)",
                    ) from error
                if not opened:
                    raise LoadError(
                        str(path),
                        "password-protected PDF; save an unencrypted copy "
                        "(e.g. qpdf --password=... --decrypt in.pdf out.pdf)",
                    )
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
            title = ""
            with contextlib.suppress(Exception):  # a broken /Info must not lose the text
                metadata = reader.metadata
                if metadata is not None and metadata.title:
                    title = clean_title(str(metadata.title))
        except LoadError:
            raise
        except Exception as error:  # pypdf raises many types for corrupted files
            detail = " ".join(str(error).split())[:120] or type(error).__name__
            raise LoadError(
                str(path), f"broken PDF, cannot be read ({detail}); repair or re-save it"
            ) from error
    if not any(pages):
        raise LoadError(str(path), "no extractable text (scanned PDF?); OCR it first")
    starts: list[int] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2
    return "\n\n".join(pages), tuple(starts), title



def read_pdf(path: Path, data: bytes) -> Extracted:
    """Read a PDF's pages; its title is the metadata title or the first line."""
    text, page_starts, title = _pdf_text(path, data)
    return Extracted(text, title or first_line(text), page_starts)


READER = Reader("pdf", read_pdf)
