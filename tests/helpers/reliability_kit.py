"""Shared pieces of the reliability suite: its corpus, the built index record, snapshots."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = {
    "volcanoes.md": (
        "# Volcanoes of Iceland\n\n"
        "Iceland has about 130 volcanic mountains. Hekla erupted in the year 1104 and "
        "buried farms under ash.\n\n"
        "Eyjafjallajokull erupted in 2010 and its ash cloud grounded flights across Europe "
        "for six days.\n"
    ),
    "bread.txt": (
        "Sourdough bread\n\n"
        "Sourdough is leavened by a starter of wild yeast and lactic acid bacteria. "
        "A starter is fed with equal weights of flour and water every day.\n\n"
        "The dough rests for twelve hours before it is baked at 250 degrees Celsius.\n"
    ),
    "chess.txt": (
        "The history of chess\n\n"
        "Chess reached Europe through Persia and the Arab world. The modern queen move "
        "appeared in Spain around 1475.\n\n"
        "Garry Kasparov lost a match to the computer Deep Blue in 1997.\n"
    ),
}
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
