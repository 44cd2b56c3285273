"""Table helpers shared by every result type: formatting, text and Markdown tables.

Each result type (``QAResult``, ``BeirResult``, ``SquadResult``) builds its
own summary rows and report with these; plots are in ``evaluation.plots``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class EvalResult(Protocol):
    """What every result type offers: JSON, a terminal table and a Markdown report."""

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` schema."""

    def summary_table(self) -> str:
        """The plain-text summary table the CLI prints."""

    def write_report(self, path: Any) -> list[Any]:
        """Write the Markdown report and its plots; return the paths written."""


def fmt(value: Any, digits: int = 3) -> str:
    """Format a figure for a table: floats to ``digits`` places, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def ms(value: float | None) -> str:
    """Format milliseconds without decimals; None as an em dash."""
    return "—" if value is None else f"{value:.0f}"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table (for the terminal)."""
    cells = [[str(h) for h in headers]] + [[fmt(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown (GitHub) table; ``|`` in cells is escaped."""

    def cell(value: Any) -> str:
        return fmt(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
