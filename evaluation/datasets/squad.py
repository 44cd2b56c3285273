"""SQuAD v1.1 JSON: every paragraph a document, every question tied to its paragraph.

Paragraph ids are ``AA-PPP`` (article and paragraph index in the file); a
question's ``source`` is its paragraph's id. ``sample_questions`` draws a
seeded random sample, kept in file order.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from seedqa.evaluation.datasets.records import Question
from seedqa.evaluation.errors import EvalDataError

DEFAULT_SEED = 0


@dataclass
class SquadData:
    """Paragraphs (id → context) and questions of a SQuAD file."""

    name: str
    paragraphs: dict[str, str]
    questions: list[Question]


def load_squad(path: str | Path) -> SquadData:
    """Read a SQuAD v1.1 JSON file; errors name the file and what is wrong."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalDataError(f"{path}: no such SQuAD file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EvalDataError(f"{path}: not a readable SQuAD JSON file ({error})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise EvalDataError(f"{path}: expected SQuAD JSON with a 'data' list of articles")
    paragraphs: dict[str, str] = {}
    questions: list[Question] = []
    try:
        for a, article in enumerate(raw["data"]):
            for p, paragraph in enumerate(article["paragraphs"]):
                pid = f"{a:02d}-{p:03d}"
                paragraphs[pid] = str(paragraph["context"])
                for qa in paragraph["qas"]:
                    answers = tuple(dict.fromkeys(str(x["text"]) for x in qa["answers"]))
                    questions.append(
                        Question(str(qa["id"]), str(qa["question"]), answers, source=pid)
                    )
    except (KeyError, TypeError) as error:
        raise EvalDataError(f"{path}: malformed SQuAD record (missing {error})") from None
    if not questions:
        raise EvalDataError(f"{path}: no questions")
    return SquadData(path.name, paragraphs, questions)


def sample_questions(
    questions: list[Question], limit: int | None, seed: int = DEFAULT_SEED
) -> list[Question]:
    """A seeded random sample of ``limit`` questions in file order (all when no limit)."""
    if not limit or limit >= len(questions):
        return list(questions)
    chosen = sorted(random.Random(seed).sample(range(len(questions)), limit))
    return [questions[i] for i in chosen]


def select_articles(data: SquadData, articles: Sequence[int]) -> SquadData:
    """Only the paragraphs and questions of the given articles (indices in the file).

    Raises ``EvalDataError`` naming an index that the file does not have.
    """
    wanted = {f"{a:02d}" for a in articles}
    present = {pid.split("-")[0] for pid in data.paragraphs}
    missing = sorted(wanted - present)
    if missing:
        raise EvalDataError(
            f"{data.name}: no article {', '.join(str(int(m)) for m in missing)} "
            f"(the file has articles 0 to {len(present) - 1})"
        )
    paragraphs = {p: t for p, t in data.paragraphs.items() if p.split("-")[0] in wanted}
    questions = [q for q in data.questions if (q.source or "").split("-")[0] in wanted]
    return SquadData(data.name, paragraphs, questions)
