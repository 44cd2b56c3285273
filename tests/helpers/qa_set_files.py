"""Write QA-set files for the evaluation and `seedqa eval` tests."""

from __future__ import annotations

from pathlib import Path

#: A valid QA-set line as a dict.
GOOD = {
    "id": "q1",
    "question": "Who?",
    "answers": ["Ann"],
    "answerable": True,
    "evidence": ["Ann said"],
}


def write_lines(path: Path, lines: list[str]) -> Path:
    """Write ``lines`` as a JSONL file and return its path."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
