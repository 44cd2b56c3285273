"""Helpers for the loader and reader tests: write files, load them, read the failure reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from seedqa.index.errors import LoadError
from seedqa.index.load import load_file


def write(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path``, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_bytes(data.encode("utf-8"))
    else:
        path.write_bytes(data)
    return path


def load(path: Path) -> object:
    """Load ``path`` with its parent as the corpus root."""
    return load_file(path, path.parent)


def reason_of(path: Path) -> str:
    """The one-line reason loading ``path`` fails (checks the error's shape too)."""
    with pytest.raises(LoadError) as info:
        load(path)
    assert info.value.path == str(path)
    assert str(info.value) == f"{path}: {info.value.reason}"
    return info.value.reason


def encrypt_pdf(data: bytes, user_password: str) -> bytes:
    """``data`` (a PDF) encrypted with ``user_password`` (RC4-128)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
