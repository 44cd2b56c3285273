"""Thumbs up/down on answers, kept in the index directory and exportable as a QA set.

Each rating is one JSON line appended to ``<index-dir>/feedback.jsonl``. A
rating changed later, or given a note, is appended again with the same
``id``; the last line of an id wins. ``export_qa_set`` turns the ratings into
a QA set that ``seedqa eval qa`` reads (format in ``evaluation.datasets.qa_set``):

* thumbs up on an answer: an answerable question whose answers and evidence
  are the cited sentences (a regression check: the answer must stay);
* thumbs up on a decline: an unanswerable question (the decline must stay);
* thumbs down: left out, since the right answer is not known; the count is
  reported and the notes stay in the feedback file for review.

Example:
    >>> store = FeedbackStore(Path(".seedqa"))
    >>> cited = (("notes/a.md", 0, 2, "A."),)
    >>> store.record(Feedback("t1", "up", "Q?", "A. [1]", False, cited))  # doctest: +SKIP

"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from seedqa.index.errors import InvalidSetting

FEEDBACK_FILE = "feedback.jsonl"
RATINGS = ("up", "down")
#: Longest note kept (characters).
MAX_NOTE = 2000


@dataclass(frozen=True)
class Feedback:
    """One rating of one answer; ``citations`` are ``(doc_id, start, end, text)``."""

    id: str
    rating: str
    question: str
    answer: str
    abstained: bool
    citations: tuple[tuple[str, int, int, str], ...] = ()
    note: str = ""
    k: int | None = None
    mode: str | None = None
    at: str = field(default="")

    def to_json(self) -> dict[str, Any]:
        """The record as one JSON object (a line of ``feedback.jsonl``)."""
        return {**asdict(self), "citations": [list(c) for c in self.citations]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Feedback:
        """Read a record written by ``to_json``."""
        citations = tuple((str(d), int(s), int(e), str(t)) for d, s, e, t in data["citations"])
        fields = {key: data[key] for key in cls.__dataclass_fields__ if key in data}
        return cls(**{**fields, "citations": citations})


@dataclass(frozen=True)
class ExportReport:
    """What ``export_qa_set`` wrote: counts, and the file."""

    path: str
    answerable: int
    unanswerable: int
    skipped: int

    @property
    def summary(self) -> str:
        """One line for the user."""
        total = self.answerable + self.unanswerable
        line = (
            f"Wrote {total} question{'s' if total != 1 else ''} to {self.path} "
            f"({self.answerable} answerable, {self.unanswerable} unanswerable)"
        )
        if self.skipped:
            line += (
                f"; left out {self.skipped} thumbs-down (the right answer is not known: "
                f"see their notes in {FEEDBACK_FILE})"
            )
        return line


class FeedbackStore:
    """The ratings of one index directory, appended safely from many threads."""

    def __init__(self, index_dir: str | Path) -> None:
        self.path = Path(index_dir) / FEEDBACK_FILE
        self._lock = threading.Lock()

    def record(self, feedback: Feedback) -> Feedback:
        """Check and append ``feedback`` (stamped with the time); return what was stored."""
        if feedback.rating not in RATINGS:
            raise InvalidSetting(f"rating {feedback.rating!r} is not valid; use up or down")
        if not feedback.id or not feedback.question.strip():
            raise InvalidSetting("feedback needs the answer's id and its question")
        stamped = replace(
            feedback,
            note=feedback.note.strip()[:MAX_NOTE],
            at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        line = json.dumps(stamped.to_json(), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
        return stamped

    def latest(self) -> list[Feedback]:
        """Every rated answer once, as last rated; unreadable lines are skipped."""
        if not self.path.exists():
            return []
        latest: dict[str, Feedback] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                item = Feedback.from_json(json.loads(line))
            except (ValueError, KeyError, TypeError):
                continue
            latest.pop(item.id, None)
            latest[item.id] = item
        return list(latest.values())

    def export_qa_set(self, out: str | Path) -> ExportReport:
        """Write the ratings as a QA set for ``seedqa eval qa`` (see the module docstring)."""
        lines, answerable, unanswerable, skipped = [], 0, 0, 0
        for item in self.latest():
            entry = _qa_item(item)
            if entry is None:
                skipped += 1
                continue
            answerable += entry["answerable"]
            unanswerable += not entry["answerable"]
            lines.append(json.dumps(entry, ensure_ascii=False))
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return ExportReport(str(out), answerable, unanswerable, skipped)


def _qa_item(item: Feedback) -> dict[str, Any] | None:
    """The QA-set line of one rating, or None when it cannot be scored (thumbs down)."""
    if item.rating != "up":
        return None
    base = {"id": f"feedback-{item.id}", "question": item.question}
    if item.note:
        base["note"] = item.note
    if item.abstained or not item.citations:
        return {**base, "answers": [], "answerable": False, "evidence": []}
    source = item.citations[0][0]
    texts = _unique(text for doc_id, _, _, text in item.citations if doc_id == source)
    return {**base, "answers": texts[:1], "answerable": True, "evidence": texts, "source": source}


def _unique(texts: Sequence[str] | Any) -> list[str]:
    seen: list[str] = []
    for text in texts:
        if text.strip() and text not in seen:
            seen.append(text)
    return seen
