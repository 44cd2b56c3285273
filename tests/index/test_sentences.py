"""Tests of index.sentences: sentence and paragraph spans."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedqa.index.records import Span
from seedqa.index.sentences import paragraph_spans, split_sentences

SEED = Path(__file__).resolve().parents[2] / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"

WORDS = st.sampled_from(
    [
        "the", "The", "Xiaomi", "5G", "$7.18", "1.43", "Dr.", "Mr.", "e.g.", "U.S.", "etc.",
        "J.", "Fig.", "No.", "al.", "wait...", "end.", "end!", "why?", "“quoted.”", "(aside.)",
        "'single'", "über", "naïve", "東京", "Ωmega", "x", "-", "#", "|", "1.", "…", "état",
        "supercalifragilisticexpialidocious" * 3, "a,", "b;", "c:",
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", " \n \n ", "\t", "\r\n", "\u00a0"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    """Sentence-like text with paragraphs, newlines, unicode and odd whitespace."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 60))):
        parts.append(draw(WORDS))
        parts.append(draw(SEPARATORS))
    if draw(st.booleans()):
        parts.append(draw(st.text(max_size=80)))
    return draw(SEPARATORS) + "".join(parts)


def check_spans(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> None:
    """Assert the span invariants: stripped, non-empty, ordered, covering non-whitespace."""
    end = len(text) if end is None else end
    covered = set()
    previous_end = start
    for span in spans:
        assert previous_end <= span.start < span.end <= end
        piece = text[span.start : span.end]
        assert piece == piece.strip() and piece
        covered.update(range(span.start, span.end))
        previous_end = span.end
    for index in range(start, end):
        if not text[index].isspace():
            assert index in covered, (index, text[index])


def sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


@settings(max_examples=200, deadline=None)
@given(texts())
def test_sentence_span_properties(text: str) -> None:
    check_spans(text, split_sentences(text))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_span_properties(text: str) -> None:
    check_spans(text, split_sentences(text))
    check_spans(text, paragraph_spans(text))


@settings(max_examples=100, deadline=None)
@given(texts(), st.data())
def test_sub_range_spans_stay_inside(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    check_spans(text, split_sentences(text, start, end), start, end)


@settings(max_examples=100, deadline=None)
@given(texts())
def test_sentences_nest_in_paragraphs(text: str) -> None:
    paragraphs = paragraph_spans(text)
    check_spans(text, paragraphs)
    for span in split_sentences(text):
        assert any(p.start <= span.start and span.end <= p.end for p in paragraphs)


def test_empty_and_blank_text() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t\n  ") == []
    assert paragraph_spans("\n\n") == []


def test_basic_split() -> None:
    assert sentences("One thing. Two things! Three? “Four.” (Five.) 6 is next.") == [
        "One thing.",
        "Two things!",
        "Three?",
        "“Four.”",
        "(Five.)",
        "6 is next.",
    ]


def test_no_split_before_lowercase() -> None:
    assert sentences("It went well. and then more.") == ["It went well. and then more."]


@pytest.mark.parametrize(
    "sentence",
    [
        "Xiaomi committed $1.43 billion over the next five years.",
        "Dr. Smith and Mr. Jones met Prof. Lee at 7.18 p.m. today.",
        "Fruit, e.g. Apples, and i.e. Pears are sold by Acme Inc. Worldwide.",
        "The work of J. R. R. Tolkien is famous.",
        "He moved to the U.S. In the end he stayed.",
        "See Fig. 3 and No. 12 in Smith et al. (2020) for details.",
        "Barcelona vs. Madrid ended on Jan. 5 with a draw.",
        "He paused... and then continued.",
    ],
)
def test_abbreviations_initials_and_decimals_do_not_split(sentence: str) -> None:
    assert sentences(sentence) == [sentence]


def test_number_abbreviation_only_before_digits() -> None:
    assert sentences("He said no. Then he left.") == ["He said no.", "Then he left."]


def test_ellipsis_before_capital_splits() -> None:
    assert sentences("I waited… Nobody came.") == ["I waited…", "Nobody came."]


def test_seed_title_and_date_lines_are_sentences() -> None:
    text = SEED.read_text(encoding="utf-8")
    result = sentences(text)
    assert result[0] == "Xiaomi makes big noises with $7bn 5G, AI and IOT plan"
    assert "January 2, 2020" in result
    assert "About the Author" in result
    assert result[-1] == "You May Also Like"
    assert (
        "Xiaomi had already committed $1.43 billion over the next five years, though this has "
        "now been aggressively pushed up to the $7.18 billion over the same period."
    ) in result
    check_spans(text, split_sentences(text))


def test_paragraph_breaks_always_end_sentences() -> None:
    text = "A line without a stop\n\nanother paragraph that starts lowercase"
    assert sentences(text) == ["A line without a stop", "another paragraph that starts lowercase"]
    assert [text[p.start : p.end] for p in paragraph_spans(text)] == sentences(text)


def test_hard_wrapped_prose_is_joined() -> None:
    text = (
        "This paragraph was hard wrapped by an editor at a fixed width of about\n"
        "seventy characters, so its single newlines are just spaces inside the\n"
        "sentence and must not split it until the period at the very end.\n"
        "Then a second sentence follows on the last line."
    )
    result = sentences(text)
    assert len(result) == 2
    assert result[0].endswith("the very end.")


def test_heading_and_markdown_lines_split() -> None:
    text = "# Title\nIntro text here\n- first item\n- second item\n1. numbered\n> quoted\n| a | b |"
    assert sentences(text) == [
        "# Title",
        "Intro text here",
        "- first item",
        "- second item",
        "1. numbered",
        "> quoted",
        "| a | b |",
    ]


def test_long_line_without_punctuation_continues() -> None:
    first = "word " * 20  # 100 characters: too long for a heading
    text = first.strip() + "\nContinues Here."
    assert len(sentences(text)) == 1


def test_offsets_are_document_offsets() -> None:
    text = "Skip this. Keep this one. And this."
    spans = split_sentences(text, 11)
    assert [text[s.start : s.end] for s in spans] == ["Keep this one.", "And this."]
    assert spans[0].start == 11


def test_wrapped_line_starting_with_number_is_not_a_list_item() -> None:
    text = (
        "Of the 268 patients treated with this regimen, data for efficacy were\n"
        "available for the primary analysis of all the outcomes in this study of\n"
        "249. A total of 12 patients left the study before the final visit in the\n"
        "spring, and the remaining ones completed it."
    )
    result = sentences(text)
    assert len(result) == 2
    assert result[0].endswith("249.")
