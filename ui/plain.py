"""Plain text for the terminal: answers with their numbered sources, and search hits.

The command line's counterpart of ``ui.render`` (which makes the web chat's HTML).
"""

from __future__ import annotations

import textwrap
from typing import Any

#: Width answers and passages are wrapped to.
WIDTH = 96


def location(doc_id: str, start: int, end: int, page: int | None) -> str:
    """Where a passage is: ``doc_id, chars START-END`` and the page for PDFs."""
    where = f"{doc_id}, chars {start}-{end}"
    return f"{where}, page {page}" if page else where


def answer_text(answer: Any) -> str:
    """Return an ``Answer`` as text: the answer, then its numbered sources.

    When seedqa abstains, the closest passages follow instead, marked as not an answer.
    """
    lines = [textwrap.fill(answer.answer, WIDTH)]
    if answer.citations:
        lines.append("\nSources:")
    for citation in answer.citations:
        lines.append(f"[{citation.n}] {citation.title}")
        lines.append(
            f"    {location(citation.doc_id, citation.start, citation.end, citation.page)}"
        )
        lines.append(textwrap.indent(textwrap.fill(f"“{citation.text}”", WIDTH - 4), "    "))
    if answer.abstained and answer.hits:
        lines.append("\nClosest passages (not an answer; try rephrasing the question):")
        for hit in answer.hits[:3]:
            lines.append(f"- {hit.title} ({location(hit.doc_id, hit.start, hit.end, hit.page)})")
            snippet = " ".join(hit.text.split())
            snippet = snippet if len(snippet) <= 240 else snippet[:239].rsplit(" ", 1)[0] + "…"
            lines.append(textwrap.indent(textwrap.fill(snippet, WIDTH - 4), "    "))
    return "\n".join(lines)


def hits_text(hits: list[Any]) -> str:
    """Return search hits as text: rank, score and signals, title, location, passage."""
    if not hits:
        return "No matching passages."
    lines = []
    for hit in hits:
        signals = ", ".join(f"{name} {value:.3f}" for name, value in hit.scores.items())
        lines.append(f"[{hit.rank}] {hit.score:.4f} ({signals})  {hit.title}")
        lines.append(f"    {location(hit.doc_id, hit.start, hit.end, hit.page)}")
        lines.append(textwrap.indent(textwrap.fill(hit.text, WIDTH), "    "))
    return "\n".join(lines)
