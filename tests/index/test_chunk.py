"""Tests of index.chunk: token-bounded, sentence-aligned chunks."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from seedqa.index.chunk import (
    DEFAULT_CHUNK_TOKENS,
    DEFAULT_OVERLAP_TOKENS,
    ChunkSettings,
    chunk_document,
)
from seedqa.index.errors import InvalidSetting
from seedqa.index.records import Chunk, Document
from seedqa.index.tokens import count_tokens

SEED = Path(__file__).resolve().parents[2] / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"

WORDS = st.sampled_from(
    [
        "the", "The", "research", "Xiaomi", "5G", "$7.18", "2020", "Dr.", "e.g.", "U.S.",
        "end.", "stop!", "why?", "“quote.”", "über", "東京大学", "Ωmega", "😀", "a,", "x",
        "-", "#", "1.", "…", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ]
)  # fmt: skip
SEPARATORS = st.sampled_from([" ", " ", " ", " ", "  ", "\n", "\n\n", " \n\n  ", "\t", "\r\n"])


@st.composite
def documents(draw: st.DrawFn) -> Document:
    """Documents of random sentences, paragraphs, unicode and long space-less runs."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 120))):
        kind = draw(st.integers(0, 19))
        if kind == 0:  # a long word without spaces, longer than small chunks
            parts.append(
                draw(st.sampled_from(["z", "ab", "9", "é", "東", "-"])) * draw(st.integers(20, 400))
            )
        elif kind == 1:
            parts.append(draw(st.text(max_size=40)))
        else:
            parts.append(draw(WORDS))
        parts.append(draw(SEPARATORS))
    text = "".join(parts)
    return Document("doc.txt", "doc", text, "/tmp/doc.txt", "txt")


chunk_settings = st.integers(16, 300).flatmap(
    lambda size: st.builds(ChunkSettings, st.just(size), st.integers(0, size // 2 - 1))
)


def check_chunks(doc: Document, chunks: list[Chunk], chunk_settings: ChunkSettings) -> None:
    """Assert every chunk invariant the chunk stage promises."""
    text = doc.text
    covered: set[int] = set()
    previous_start = -1
    for chunk in chunks:
        assert chunk.doc_id == doc.doc_id
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text and chunk.text == chunk.text.strip()
        assert count_tokens(chunk.text) <= chunk_settings.chunk_tokens
        assert chunk.start > previous_start  # progress
        previous_start = chunk.start
        assert chunk.sentences
        assert chunk.sentences[0].start == chunk.start
        assert chunk.sentences[-1].end == chunk.end
        last_end = chunk.start
        for span in chunk.sentences:
            assert last_end <= span.start < span.end <= chunk.end
            piece = text[span.start : span.end]
            assert piece == piece.strip()
            last_end = span.end
            covered.update(range(span.start, span.end))
        assert chunk.sentence_texts() == [text[s.start : s.end] for s in chunk.sentences]
        assert chunk.page == doc.page_at(chunk.start)
    for index, char in enumerate(text):
        if not char.isspace():
            assert index in covered, (index, char)


@settings(max_examples=150, deadline=None)
@given(documents(), chunk_settings)
def test_chunk_properties(doc: Document, chunk_settings: ChunkSettings) -> None:
    check_chunks(doc, chunk_document(doc, chunk_settings), chunk_settings)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.integers(16, 40))
def test_arbitrary_text_properties(text: str, size: int) -> None:
    doc = Document("d", "d", text, "/d", "txt")
    chunk_settings = ChunkSettings(size, size // 4)
    check_chunks(doc, chunk_document(doc, chunk_settings), chunk_settings)


@settings(max_examples=60, deadline=None)
@given(documents(), chunk_settings)
def test_overlap_is_trailing_whole_sentences(doc: Document, chunk_settings: ChunkSettings) -> None:
    chunks = chunk_document(doc, chunk_settings)
    for before, after in zip(chunks, chunks[1:], strict=False):
        shared = [s for s in after.sentences if s in before.sentences]
        assert shared == list(after.sentences[: len(shared)])
        if shared:
            assert shared == list(before.sentences[-len(shared) :])
            overlap_text = doc.text[shared[0].start : shared[-1].end]
            assert count_tokens(overlap_text) <= chunk_settings.overlap_tokens
        assert after.sentences[-1].end > before.end  # every chunk adds new text


def test_empty_and_blank_documents() -> None:
    for text in ("", "   \n\n\t  "):
        assert chunk_document(Document("d", "d", text, "/d", "txt")) == []


def seed_doc() -> Document:
    return Document(SEED.name, "seed", SEED.read_text(encoding="utf-8"), str(SEED), "txt")


def test_seed_article_defaults() -> None:
    doc = seed_doc()
    chunks = chunk_document(doc)
    check_chunks(doc, chunks, ChunkSettings())
    assert len(chunks) >= 2
    first = chunks[0].sentence_texts()
    assert first[0] == "Xiaomi makes big noises with $7bn 5G, AI and IOT plan"
    assert first[2] == "January 2, 2020"
    assert any(
        "Xiaomi had already committed $1.43 billion over the next five years" in s
        for chunk in chunks
        for s in chunk.sentence_texts()
    )


def test_overlap_content_present() -> None:
    sentences = [f"Sentence number {i} talks about topic {i}." for i in range(60)]
    doc = Document("d", "d", " ".join(sentences), "/d", "txt")
    chunks = chunk_document(doc, ChunkSettings(64, 20))
    assert len(chunks) > 3
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.sentence_texts()[0] in before.sentence_texts()
        assert after.sentence_texts()[0] != before.sentence_texts()[0]
    no_overlap = chunk_document(doc, ChunkSettings(64, 0))
    for before, after in zip(no_overlap, no_overlap[1:], strict=False):
        assert after.start > before.end


def test_chunks_are_well_filled() -> None:
    doc = Document("d", "d", " ".join(f"Word {i} is here." for i in range(400)), "/d", "txt")
    chunks = chunk_document(doc, ChunkSettings(100, 0))
    assert all(count_tokens(c.text) >= 90 for c in chunks[:-1])


def test_paragraph_boundary_preferred() -> None:
    first = " ".join(f"Alpha fact {i} is stated here." for i in range(12))  # ~84 tokens
    second = " ".join(f"Beta fact {i} is stated here." for i in range(12))
    text = f"{first}\n\n{second}"
    assert count_tokens(first) < 100 < count_tokens(text) - 20
    chunks = chunk_document(Document("d", "d", text, "/d", "txt"), ChunkSettings(120, 0))
    assert chunks[0].text == first
    assert chunks[1].text == second


def test_small_paragraph_still_packed() -> None:
    text = "A short opening paragraph.\n\nAnother short one.\n\nAnd a third."
    chunks = chunk_document(Document("d", "d", text, "/d", "txt"), ChunkSettings(64, 8))
    assert len(chunks) == 1 and chunks[0].text == text


def test_long_sentence_is_split_at_whitespace() -> None:
    sentence = " ".join(f"token{i}" for i in range(400))  # no punctuation at all
    doc = Document("d", "d", sentence, "/d", "txt")
    chunk_settings = ChunkSettings(32, 0)
    chunks = chunk_document(doc, chunk_settings)
    check_chunks(doc, chunks, chunk_settings)
    assert len(chunks) > 5
    for chunk in chunks:
        for piece in chunk.sentence_texts():
            assert not piece.startswith("oken") and piece.startswith("token")


def test_long_word_without_spaces_is_split() -> None:
    doc = Document("d", "d", "x" * 5000 + " end. " + "東京" * 500, "/d", "txt")
    chunk_settings = ChunkSettings(16, 4)
    chunks = chunk_document(doc, chunk_settings)
    check_chunks(doc, chunks, chunk_settings)
    assert "".join(chunk.text for chunk in chunks).count("x") >= 5000


def test_pages_follow_page_starts() -> None:
    text = "Page one sentence. " * 40 + "Page two sentence. " * 40
    doc = Document("d.pdf", "d", text, "/d.pdf", "pdf", page_starts=(0, len(text) // 2))
    chunks = chunk_document(doc, ChunkSettings(32, 0))
    assert chunks[0].page == 1 and chunks[-1].page == 2
    assert all(c.page == doc.page_at(c.start) for c in chunks)


def test_default_settings() -> None:
    assert ChunkSettings() == ChunkSettings(DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS)
    assert 16 <= DEFAULT_CHUNK_TOKENS <= 2048
    assert 0 <= DEFAULT_OVERLAP_TOKENS < DEFAULT_CHUNK_TOKENS // 2


@pytest.mark.parametrize(
    ("chunk_tokens", "overlap_tokens", "named"),
    [
        (15, 0, "chunk_tokens=15"),
        (2049, 0, "chunk_tokens=2049"),
        (0, 0, "chunk_tokens=0"),
        ("160", 0, "chunk_tokens='160'"),
        (True, 0, "chunk_tokens=True"),
        (160, -1, "overlap_tokens=-1"),
        (160, 80, "overlap_tokens=80"),
        (16, 8, "overlap_tokens=8"),
        (160, 1.5, "overlap_tokens=1.5"),
    ],
)
def test_invalid_settings(chunk_tokens: object, overlap_tokens: object, named: str) -> None:
    with pytest.raises(InvalidSetting) as error:
        ChunkSettings(chunk_tokens, overlap_tokens)  # type: ignore[arg-type]
    message = str(error.value)
    assert named in message
    assert ("16 to 2048" in message) if named.startswith("chunk") else ("0 to" in message)


def test_valid_edge_settings() -> None:
    ChunkSettings(16, 7)
    ChunkSettings(2048, 1023)
    ChunkSettings(160, 0)
