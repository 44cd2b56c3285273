"""Plain text (``.txt``): the decoded file, unchanged, so offsets index the file."""

from __future__ import annotations

from pathlib import Path

from seedqa.index.readers.base import Extracted, Reader, decode_text, first_line, require_text


def read_text(path: Path, data: bytes) -> Extracted:
    """Decode a text file; its title is its first non-blank line."""
    text = require_text(path, decode_text(path, data), "no text (only whitespace)")
    return Extracted(text, first_line(text))


READER = Reader("text", read_text)
