"""Write small real ``.docx`` files with python-docx for the reader tests."""

from __future__ import annotations

from pathlib import Path


def make_docx(
    path: Path,
    paragraphs: list[tuple[str, str]],
    table: list[list[str]] | None = None,
    title: str = "",
) -> Path:
    """Write ``(style, text)`` paragraphs, then an optional table, to ``path``."""
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    document.save(str(path))
    return path
