"""Training data for the answer-sentence model from SQuAD v1.1 dev, split by article.

Each question becomes sentence-level examples (the QNLI formulation: does this
sentence answer this question?):

* **positive**: the sentence of its paragraph that holds the gold answer;
* **same_paragraph**: the other sentences of that paragraph, which share the
  question's words without answering it;
* **other_paragraph**: sentences of other paragraphs of the same article;
* **perturbed**: the question with a year, figure, name or key noun replaced by
  one its article never mentions (``perturb.py``), paired with the original
  answer sentence, which no longer answers it.

Sentences are split with ``seedqa.index.sentences`` so that training sentences
look like the ones the answerer sees. The article split is fixed by a seed and
written down in ``training/squad_split.json``; numbers are never reported on the
train articles. The trainer itself uses retrieval-based candidate lists
(``training/collect.py``) built from the same questions.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from seedqa.index.records import Span
from seedqa.index.sentences import split_sentences
from seedqa.training.perturb import name_pool, noun_pool, perturb_question

SPLIT_FILE = Path(__file__).with_name("squad_split.json")
SPLIT_SEED = 13
DEV_ARTICLES = 8
TEST_ARTICLES = 8
PAIR_KINDS = ("positive", "same_paragraph", "other_paragraph", "perturbed")


@dataclass(frozen=True)
class Paragraph:
    """One SQuAD paragraph: ``key`` is ``AA-PPP`` (article and paragraph index)."""

    key: str
    context: str
    sentences: tuple[Span, ...]
    qas: tuple[dict, ...] = field(repr=False)

    def sentence_text(self, index: int) -> str:
        """The text of sentence ``index``."""
        span = self.sentences[index]
        return self.context[span.start : span.end]


@dataclass(frozen=True)
class Article:
    """A SQuAD article: its position in the file, title and paragraphs."""

    index: int
    title: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def text(self) -> str:
        """All paragraphs joined (to check that a replacement is absent)."""
        return "\n\n".join(p.context for p in self.paragraphs)


@dataclass(frozen=True)
class QuestionRecord:
    """A question with its paragraph and answer sentence.

    ``gold`` is the answer sentence's span in the paragraph; ``answerable`` is
    False for perturbed questions, whose ``gold`` sentence then no longer
    answers. ``kind`` is ``"squad"`` or ``"perturbed-<year|figure|name|noun>"``.
    """

    id: str
    question: str
    paragraph: str
    answers: tuple[str, ...]
    gold: Span
    answerable: bool
    kind: str


@dataclass(frozen=True)
class Pair:
    """One sentence-level example: whether ``sentence`` answers ``question``."""

    question_id: str
    question: str
    sentence: str
    previous: str
    label: int
    kind: str


def load_articles(path: str | Path) -> list[Article]:
    """Read a SQuAD v1.1 file into articles with sentence-split paragraphs."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    articles = []
    for a, article in enumerate(raw["data"]):
        paragraphs = tuple(
            Paragraph(
                key=f"{a:02d}-{p:03d}",
                context=paragraph["context"],
                sentences=tuple(split_sentences(paragraph["context"])),
                qas=tuple(paragraph["qas"]),
            )
            for p, paragraph in enumerate(article["paragraphs"])
        )
        articles.append(Article(a, article["title"].replace("_", " "), paragraphs))
    return articles


def make_split(titles: Sequence[str], seed: int = SPLIT_SEED) -> dict[str, list[int]]:
    """Split article indices into train / dev / test with a seeded shuffle."""
    order = list(range(len(titles)))
    random.Random(seed).shuffle(order)
    test = sorted(order[:TEST_ARTICLES])
    dev = sorted(order[TEST_ARTICLES : TEST_ARTICLES + DEV_ARTICLES])
    train = sorted(order[TEST_ARTICLES + DEV_ARTICLES :])
    return {"train": train, "dev": dev, "test": test}


def load_split(path: Path = SPLIT_FILE) -> dict[str, list[int]]:
    """The written-down article split (indices into the SQuAD file's ``data``)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {name: [a["index"] for a in data[name]] for name in ("train", "dev", "test")}


def sentence_at(paragraph: Paragraph, offset: int) -> int | None:
    """Index of the sentence of ``paragraph`` that holds character ``offset``."""
    for index, span in enumerate(paragraph.sentences):
        if span.start <= offset < span.end:
            return index
    return None


def squad_questions(article: Article) -> Iterator[tuple[Paragraph, dict, int]]:
    """Each question of ``article`` with its paragraph and answer-sentence index.

    Questions whose first answer spans a sentence boundary are skipped.
    """
    for paragraph in article.paragraphs:
        for qa in paragraph.qas:
            first = qa["answers"][0]
            start = int(first["answer_start"])
            index = sentence_at(paragraph, start)
            end_index = sentence_at(paragraph, start + max(len(first["text"]) - 1, 0))
            if index is None or index != end_index:
                continue
            yield paragraph, qa, index


def build_questions(
    articles: Sequence[Article],
    seed: int = 0,
    perturb_share: float = 0.6,
    pools: Sequence[Article] | None = None,
) -> list[QuestionRecord]:
    """Every answerable question of ``articles`` plus perturbed near-miss copies.

    ``perturb_share`` of the questions get a perturbed copy; replacement names
    and nouns come from the questions of ``pools`` (default: ``articles``),
    always from an article other than the question's own.
    """
    rng = random.Random(seed)
    pool_articles = pools if pools is not None else articles
    records: list[QuestionRecord] = []
    for article in articles:
        others = [
            qa["question"]
            for other in pool_articles
            if other.index != article.index
            for p in other.paragraphs
            for qa in p.qas
        ]
        names, nouns = name_pool(others), noun_pool(others)
        text = article.text
        for paragraph, qa, index in squad_questions(article):
            gold = paragraph.sentences[index]
            answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
            records.append(
                QuestionRecord(
                    qa["id"], qa["question"], paragraph.key, answers, gold, True, "squad"
                )
            )
            if rng.random() >= perturb_share:
                continue
            found = perturb_question(
                qa["question"], text, paragraph.sentence_text(index), names, nouns, rng
            )
            if found is not None:
                records.append(
                    QuestionRecord(
                        f"{qa['id']}-p",
                        found.question,
                        paragraph.key,
                        (),
                        gold,
                        False,
                        f"perturbed-{found.kind}",
                    )
                )
    return records


def build_pairs(
    articles: Sequence[Article], seed: int = 0, other_per_question: int = 2
) -> Iterator[Pair]:
    """Sentence-level examples of all four kinds (see the module docstring)."""
    rng = random.Random(seed)
    by_key = {p.key: (article, p) for article in articles for p in article.paragraphs}
    for record in build_questions(articles, seed=seed):
        article, paragraph = by_key[record.paragraph]
        index = next(i for i, s in enumerate(paragraph.sentences) if s == record.gold)
        previous = paragraph.sentence_text(index - 1) if index > 0 else ""
        sentence = paragraph.sentence_text(index)
        if not record.answerable:
            yield Pair(record.id, record.question, sentence, previous, 0, "perturbed")
            continue
        yield Pair(record.id, record.question, sentence, previous, 1, "positive")
        for other in range(len(paragraph.sentences)):
            if other != index:
                yield Pair(
                    record.id,
                    record.question,
                    paragraph.sentence_text(other),
                    paragraph.sentence_text(other - 1) if other > 0 else "",
                    0,
                    "same_paragraph",
                )
        elsewhere = [p for p in article.paragraphs if p.key != paragraph.key and p.sentences]
        for _ in range(min(other_per_question, len(elsewhere))):
            other_paragraph = rng.choice(elsewhere)
            pick = rng.randrange(len(other_paragraph.sentences))
            yield Pair(
                record.id,
                record.question,
                other_paragraph.sentence_text(pick),
                other_paragraph.sentence_text(pick - 1) if pick > 0 else "",
                0,
                "other_paragraph",
            )


def write_split(squad_file: str | Path, path: Path = SPLIT_FILE) -> dict[str, list[int]]:
    """Compute the split for ``squad_file`` and write it, with titles, to ``path``."""
    articles = load_articles(squad_file)
    split = make_split([a.title for a in articles])
    data = {
        "source": "SQuAD v1.1 dev (dev-v1.1.json), 48 articles",
        "seed": SPLIT_SEED,
        **{
            name: [{"index": i, "title": articles[i].title} for i in indices]
            for name, indices in split.items()
        },
    }
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return split
