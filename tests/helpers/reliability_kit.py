"""Shared pieces of the reliability suite: its corpus, the built index record, snapshots."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from corpora import QA_CORPUS

CORPUS = QA_CORPUS
#: Added for the second generation.
KITES = ("kites.txt", "Kite festivals\n\nThe Weifang kite festival draws forty thousand flyers.\n")


@dataclass
class Built:
    """The session index: its directory, corpus folder and generations (oldest first)."""

    index: Path
    corpus: Path
    generations: list[str] = field(default_factory=list)


def snapshot(directory: Path) -> dict[str, str]:
    """Every entry below ``directory``: file contents hashed, directories and links marked."""
    entries: dict[str, str] = {}
    if not directory.exists():
        return {".": "absent"}
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_symlink():
            entries[name] = f"link:{path.readlink()}"
        elif path.is_dir():
            entries[name] = "dir"
        else:
            entries[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries
