"""The training-data builder: splits, answer sentences and all three negative kinds (no torch)."""

import random
import subprocess
import sys

from seedqa.index.sentences import split_sentences
from seedqa.training import perturb
from seedqa.training.squad_data import (
    Article,
    Paragraph,
    build_pairs,
    build_questions,
    load_split,
    make_split,
)


def test_builder_imports_without_torch():
    code = (
        "import sys, seedqa.training.squad_data, seedqa.training.perturb; "
        "sys.exit('torch' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def _paragraph(key: str, context: str, qas: list[dict]) -> Paragraph:
    return Paragraph(key, context, tuple(split_sentences(context)), tuple(qas))


def _qa(qid: str, question: str, context: str, answer: str) -> dict:
    return {
        "id": qid,
        "question": question,
        "answers": [{"text": answer, "answer_start": context.index(answer)}],
    }


NORTHWIND = (
    "Northwind Energy was founded in 1998 in Aberdeen. "
    "In 2019 its revenue reached 412 million pounds. "
    "The company employs 2,100 engineers."
)
HARBOUR = "The harbour was rebuilt after the storm. Fishing boats returned in spring."
OTHER = "Glaciers in the Alps lost a tenth of their ice. Researchers used drones."


def _articles() -> list[Article]:
    first = Article(
        0,
        "Northwind Energy",
        (
            _paragraph(
                "00-000",
                NORTHWIND,
                [
                    _qa(
                        "q1",
                        "What was Northwind's revenue in 2019?",
                        NORTHWIND,
                        "412 million pounds",
                    ),
                    _qa("q2", "When was Northwind Energy founded?", NORTHWIND, "1998"),
                    _qa("q3", "How many engineers does the company employ?", NORTHWIND, "2,100"),
                ],
            ),
            _paragraph(
                "00-001",
                HARBOUR,
                [_qa("q4", "When did the fishing boats return?", HARBOUR, "spring")],
            ),
        ),
    )
    second = Article(
        1,
        "Glaciers",
        (_paragraph("01-000", OTHER, [_qa("q5", "Where did Glaciers lose ice?", OTHER, "Alps")]),),
    )
    return [first, second]


def test_builder_yields_positives_and_all_three_negative_kinds():
    pairs = list(build_pairs(_articles(), seed=1))
    kinds = {p.kind for p in pairs}
    assert kinds == {"positive", "same_paragraph", "other_paragraph", "perturbed"}
    positives = [p for p in pairs if p.kind == "positive"]
    assert all(p.label == 1 for p in positives)
    assert all(p.label == 0 for p in pairs if p.kind != "positive")
    revenue = next(p for p in positives if p.question_id == "q1")
    assert revenue.sentence == "In 2019 its revenue reached 412 million pounds."
    assert revenue.previous == "Northwind Energy was founded in 1998 in Aberdeen."
    same = [p for p in pairs if p.question_id == "q1" and p.kind == "same_paragraph"]
    assert {p.sentence for p in same} == {
        "Northwind Energy was founded in 1998 in Aberdeen.",
        "The company employs 2,100 engineers.",
    }
    other = [p for p in pairs if p.question_id == "q1" and p.kind == "other_paragraph"]
    assert other and all(p.sentence in HARBOUR for p in other)


def test_perturbed_questions_ask_about_something_the_article_lacks():
    records = build_questions(_articles(), seed=3, perturb_share=1.0)
    perturbed = [r for r in records if not r.answerable]
    assert perturbed
    for record in perturbed:
        original = next(r for r in records if r.id == record.id[:-2])
        assert record.question != original.question
        assert record.gold == original.gold  # the answer sentence, which no longer answers
        assert record.kind.startswith("perturbed-")


def test_year_perturbation_uses_a_year_absent_from_the_article():
    rng = random.Random(0)
    found = perturb.perturb_question(
        "What was Northwind's revenue in 2019?", NORTHWIND, NORTHWIND, [], [], rng, kinds=("year",)
    )
    assert found is not None and found.kind == "year"
    assert found.original == "2019" and found.replacement not in NORTHWIND
    assert found.question == f"What was Northwind's revenue in {found.replacement}?"


def test_noun_perturbation_swaps_an_attribute():
    rng = random.Random(0)
    found = perturb.perturb_question(
        "What was the revenue of Northwind?", NORTHWIND, NORTHWIND, [], [], rng, kinds=("noun",)
    )
    assert found is not None and found.original == "revenue"
    assert found.replacement in perturb._SWAPS["revenue"]


def test_split_is_by_article_and_written_down():
    split = load_split()
    assert sorted(split["train"] + split["dev"] + split["test"]) == list(range(48))
    assert not set(split["train"]) & (set(split["dev"]) | set(split["test"]))
    assert make_split([str(i) for i in range(48)]) == split
