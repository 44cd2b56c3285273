"""BEIR folders (e.g. SciFact): ``corpus.jsonl``, ``queries.jsonl`` and ``qrels/<split>.tsv``.

``corpus.jsonl`` rows have ``_id``, ``title`` and ``text``; a document's text
is its title and its text separated by a blank line. ``queries.jsonl`` rows
have ``_id`` and ``text``; ``qrels/test.tsv`` holds ``query-id``,
``corpus-id`` and a graded ``score`` (an optional header line). Only the
queries named in the qrels are kept. Errors name the file and the line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seedqa.evaluation.errors import EvalDataError


@dataclass
class BeirData:
    """A loaded BEIR dataset: documents (id → text), test queries and graded qrels."""

    name: str
    documents: dict[str, str]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _jsonl(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise EvalDataError(
            f"{path}: missing; a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/test.tsv"
        )
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalDataError(f"{path} line {number}: not valid JSON ({error.msg})") from None
            if not isinstance(data, dict) or "_id" not in data:
                raise EvalDataError(f"{path} line {number}: expected an object with an '_id'")
            rows.append((number, data))
    return rows


def _text(data: dict[str, Any], key: str, path: Path, number: int) -> str:
    value = data.get(key) or ""
    if not isinstance(value, str):
        raise EvalDataError(f"{path} line {number}: {key!r} must be a string")
    return value.strip()


def load_beir(directory: str | Path, split: str = "test") -> BeirData:
    """Read a BEIR folder; errors name the file and the line."""
    directory = Path(directory)
    if not directory.is_dir():
        raise EvalDataError(f"{directory}: no such BEIR folder")
    documents = {}
    path = directory / "corpus.jsonl"
    for number, data in _jsonl(path):
        title, text = _text(data, "title", path, number), _text(data, "text", path, number)
        documents[str(data["_id"])] = f"{title}\n\n{text}" if title and text else title or text
    qrels_path = directory / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise EvalDataError(f"{qrels_path}: missing; a BEIR folder needs qrels/{split}.tsv")
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(qrels_path.read_text(encoding="utf-8").splitlines(), 1):
        fields = line.split("\t") if "\t" in line else line.split()
        if not fields or (number == 1 and fields[0].lower() in ("query-id", "query_id", "qid")):
            continue
        if len(fields) != 3:
            raise EvalDataError(f"{qrels_path} line {number}: expected query-id, corpus-id, score")
        try:
            score = int(float(fields[2]))
        except ValueError:
            raise EvalDataError(
                f"{qrels_path} line {number}: score {fields[2]!r} is not a number"
            ) from None
        qrels.setdefault(fields[0], {})[fields[1]] = score
    if not qrels:
        raise EvalDataError(f"{qrels_path}: no relevance judgements")
    path = directory / "queries.jsonl"
    all_queries = {str(d["_id"]): _text(d, "text", path, n) for n, d in _jsonl(path)}
    missing = [q for q in qrels if q not in all_queries]
    if missing:
        raise EvalDataError(f"{path}: query {missing[0]!r} of the qrels is missing")
    queries = {q: all_queries[q] for q in qrels}
    name = directory.resolve().name
    return BeirData(name, documents, queries, qrels)
