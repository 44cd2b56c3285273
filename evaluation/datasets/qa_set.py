"""QA sets: JSONL files of questions, one JSON object a line.

Blank lines are skipped. A line looks like this::

    {"id": "q1", "question": "How much will Xiaomi invest?",
     "answers": ["$7.18 billion"], "answerable": true,
     "evidence": ["to $7.18 billion"], "source": "seeds/xiaomi.txt"}

``answers`` and ``evidence`` must be non-empty for an answerable question
and may be empty for an unanswerable one; every evidence string must occur
verbatim (whitespace runs may differ) in the ``source`` document, or, when
``source`` is absent, in some indexed document. ``source`` is a document id
as ``SeedqaService.documents()`` lists it, or a unique trailing part of one
(a file name). Errors name the file and the line.
"""

from __future__ import annotations

import json
from pathlib import Path

from seedqa.evaluation.datasets.records import Question
from seedqa.evaluation.errors import EvalDataError, QASetError


def _string_list(value: object, key: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QASetError(f"{where}: {key!r} must be a list of strings")
    if any(not v.strip() for v in value):
        raise QASetError(f"{where}: {key!r} contains an empty string")
    return tuple(value)


def parse_qa_line(text: str, where: str, line: int) -> Question:
    """Parse one line of a QA set; raise ``QASetError`` naming ``where`` (file and line)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise QASetError(f"{where}: not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise QASetError(f"{where}: expected a JSON object, got {type(data).__name__}")
    missing = [
        key for key in ("id", "question", "answers", "answerable", "evidence") if key not in data
    ]
    if missing:
        raise QASetError(f"{where}: missing key {', '.join(repr(k) for k in missing)}")
    identifier = data["id"]
    if (
        isinstance(identifier, bool)
        or not isinstance(identifier, str | int)
        or (isinstance(identifier, str) and not identifier.strip())
    ):
        raise QASetError(f"{where}: 'id' must be a non-empty string")
    question = data["question"]
    if not isinstance(question, str) or not question.strip():
        raise QASetError(f"{where}: 'question' must be a non-empty string")
    if not isinstance(data["answerable"], bool):
        raise QASetError(f"{where}: 'answerable' must be true or false")
    answers = _string_list(data["answers"], "answers", where)
    evidence = _string_list(data["evidence"], "evidence", where)
    if data["answerable"] and not answers:
        raise QASetError(f"{where}: an answerable question needs at least one answer")
    if data["answerable"] and not evidence:
        raise QASetError(f"{where}: an answerable question needs at least one evidence string")
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        raise QASetError(f"{where}: 'source' must be a document id (a non-empty string)")
    return Question(
        str(identifier), question, answers, data["answerable"], evidence, source, line
    )


def load_qa_set(path: str | Path) -> list[Question]:
    """Read and validate a QA set; errors name the file and the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such QA set file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise EvalDataError(f"{path}: cannot read the QA set ({error})") from None
    items: list[Question] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        where = f"{path} line {number}"
        item = parse_qa_line(text, where, number)
        if item.id in seen:
            raise QASetError(f"{where}: duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise QASetError(f"{path}: the QA set has no questions (one JSON object a line)")
    return items
