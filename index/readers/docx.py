"""Word documents (``.docx``): paragraphs and table rows in reading order, via python-docx.

Paragraphs are separated by blank lines; each table row becomes one line
with its cells separated by `` | ``. The title is the document's core
``title`` property, else its first Title or Heading paragraph, else its
first line. python-docx is imported when a ``.docx`` file is read.
"""

from __future__ import annotations

import io
from pathlib import Path

from seedqa.index.errors import LoadError
from seedqa.index.readers.base import Extracted, Reader, clean_title, first_line


def _blocks(document: object) -> tuple[list[str], str]:
    """The text blocks of a document in order, and its first heading."""
    from docx.table import Table

    blocks: list[str] = []
    heading = ""
    for item in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(item, Table):
            for row in item.rows:
                cells = [" ".join(cell.text.split()) for cell in row.cells]
                line = " | ".join(dict.fromkeys(c for c in cells if c))
                if line:
                    blocks.append(line)
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        if not heading and style.startswith(("Title", "Heading")):
            heading = text
        blocks.append(text)
    return blocks, heading


def read_docx(path: Path, data: bytes) -> Extracted:
    """Read a ``.docx`` file's text; raise ``LoadError`` when it is broken or empty."""
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        blocks, heading = _blocks(document)
        title = document.core_properties.title or ""
    except Exception as error:  # python-docx raises many types for broken files
        detail = " ".join(str(error).split())[:120] or type(error).__name__
        raise LoadError(
            str(path), f"broken DOCX, cannot be read ({detail}); repair or re-save it"
        ) from error
    text = "\n\n".join(blocks)
    if not text:
        raise LoadError(str(path), "no text (an empty document)")
    return Extracted(text, clean_title(title) or clean_title(heading) or first_line(text))


READER = Reader("docx", read_docx)
