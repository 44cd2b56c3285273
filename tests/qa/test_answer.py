"""The Assistant: cited extractive answers, abstention, follow-ups and bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from seedqa.qa import Answer, Assistant, InvalidQuestion
from seedqa.qa.followup import is_followup, previous_questions, resolve_query

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_TEXT = next(SEEDS.glob("*.txt")).read_text(encoding="utf-8")

ANSWERABLE = [
    ("How much will Xiaomi invest in R&D for 5G, AI and IoT?", "7.18 billion"),
    ("How much had Xiaomi already committed before the increase?", "1.43 billion"),
    ("What kind of brand was Xiaomi in years gone?", "backwater"),
    ("Which two technologies work hand-in-hand?", "AI and IOT"),
]
UNANSWERABLE = [
    "How much did Xiaomi invest in R&D in 2018?",
    "What did Huawei announce about 5G?",
    "What is the capital of France?",
    "How many smartphones did Xiaomi ship in 2019?",
]


def assert_citations_exact(answer: Answer, texts: dict[str, str]) -> None:
    markers = [f"[{c.n}]" for c in answer.citations]
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for citation, marker in zip(answer.citations, markers, strict=True):
        assert marker in answer.answer
        assert texts[citation.doc_id][citation.start : citation.end] == citation.text
        assert citation.text in answer.answer


@pytest.mark.parametrize(("question", "expected"), ANSWERABLE)
def test_seed_answers_are_correct_and_cite_the_exact_sentence(seed_assistant, question, expected):
    answer = seed_assistant.ask(question)
    assert not answer.abstained, answer.reason
    assert expected.lower() in answer.answer.lower()
    assert answer.citations
    assert_citations_exact(answer, {answer.citations[0].doc_id: SEED_TEXT})
    assert any(expected.lower() in c.text.lower() for c in answer.citations)
    assert set(answer.timings_ms) >= {"retrieve", "answer", "total"}


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_seed_questions_abstain(seed_assistant, question):
    answer = seed_assistant.ask(question)
    assert answer.abstained, answer.answer
    assert answer.citations == []
    assert "don't answer" in answer.answer
    assert answer.hits  # the closest passages are still returned for inspection


def test_small_corpus_answers_cite_the_right_document(qa_assistant, qa_corpus):
    texts = {f"small/{p.name}": p.read_text(encoding="utf-8") for p in qa_corpus.iterdir()}
    for question, doc, expected in [
        ("When did Hekla erupt?", "small/volcanoes.md", "1104"),
        ("Who lost a match to Deep Blue?", "small/chess.txt", "Kasparov"),
        ("At how many degrees is the dough baked?", "small/bread.txt", "250"),
    ]:
        answer = qa_assistant.ask(question)
        assert not answer.abstained, (question, answer.reason)
        assert answer.citations[0].doc_id == doc
        assert expected in answer.answer
        assert_citations_exact(answer, texts)


def test_follow_up_is_resolved_against_the_previous_question(seed_assistant):
    first = "How much had Xiaomi committed to 5G, AI and IoT before?"
    alone = seed_assistant.ask("And over what period?")
    answer = seed_assistant.ask("And over what period?", history=[(first, "...")])
    assert answer.query.startswith(first)
    assert not answer.abstained
    assert "five years" in answer.answer
    assert alone.query == "And over what period?"


def test_follow_up_detection_and_history_formats():
    assert is_followup("and over what period?")
    assert is_followup("What about its revenue?")
    assert not is_followup("How much will Xiaomi invest in artificial intelligence research?")
    messages = [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1"}]
    assert previous_questions(messages) == ["Q1"]
    assert previous_questions([{"question": "Q2", "answer": "A"}]) == ["Q2"]
    history = [("Who is the CEO?", "Lei Jun")]
    assert resolve_query("and when?", history) == "Who is the CEO? and when?"
    assert resolve_query("and when?", None) == "and when?"


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x07"])
def test_empty_questions_are_refused_clearly(seed_assistant, question):
    with pytest.raises(InvalidQuestion, match="empty"):
        seed_assistant.ask(question)


def test_questions_over_the_length_limit_are_refused_clearly(seed_assistant):
    with pytest.raises(InvalidQuestion, match=r"10,149 characters long; the limit is 2,000"):
        seed_assistant.ask("How much will Xiaomi invest? " * 350)


@pytest.mark.parametrize(
    "question",
    [
        "How much will Xiaomi invest? " * 68,  # just under the 2,000-character limit
        "How much\x00 will\x1b[31m Xiaomi invest\x7f?",
        "🚀🚀 How much will Xiaomi invest? 💰",
        "小米将在5G、人工智能和物联网上投资多少？",
        "Combien Xiaomi va-t-il investir dans la 5G ?",
        "<script>alert(1)</script>",
    ],
)
def test_odd_questions_get_an_answer_or_an_abstention_never_a_crash(seed_assistant, question):
    answer = seed_assistant.ask(question)
    assert isinstance(answer.answer, str) and answer.answer
    assert_citations_exact(answer, {c.doc_id: SEED_TEXT for c in answer.citations})


def test_answer_json_has_exactly_the_documented_schema(seed_assistant):
    data = seed_assistant.ask("How much will Xiaomi invest?").to_json()
    assert set(data) == {"question", "answer", "abstained", "citations", "hits", "timings_ms"}
    assert set(data["citations"][0]) == {
        "n", "doc_id", "title", "start", "end", "page", "text", "score",
    }  # fmt: skip
    assert set(data["hits"][0]) == {
        "rank", "doc_id", "chunk_id", "title", "start", "end", "page", "text", "score",
    }  # fmt: skip


def test_assistant_is_safe_to_share_across_threads(seed_assistant):
    questions = [q for q, _ in ANSWERABLE] + UNANSWERABLE
    serial = [seed_assistant.ask(q).answer for q in questions]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda q: seed_assistant.ask(q).answer, questions))
    assert parallel == serial


def test_assistant_load_reads_the_index(seed_index):
    assistant = Assistant.load(seed_index, k=3, mode="dense")
    answer = assistant.ask("How much will Xiaomi invest?")
    assert len(answer.hits) <= 3


def test_pdf_citations_carry_their_page(tmp_path, embedder):
    from pdf_maker import make_pdf

    from seedqa.index.build import build_index
    from seedqa.qa import Retriever

    folder = tmp_path / "pdfs"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(
        make_pdf(
            [
                ["Annual report of the Harbour Authority."],
                ["The new lighthouse at Kestrel Point was finished in 1898."],
            ],
            title="Harbour report",
        )
    )
    build_index([folder], tmp_path / "ix", embedder=embedder)
    assistant = Assistant(Retriever.load(tmp_path / "ix", embedder=embedder))
    answer = assistant.ask("When was the Kestrel Point lighthouse finished?")
    assert not answer.abstained, answer.reason
    assert answer.citations[0].page == 2
    assert answer.citations[0].title == "Harbour report"
    assert "1898" in answer.citations[0].text
