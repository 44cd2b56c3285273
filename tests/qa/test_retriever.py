"""The Retriever API: modes, hit fields, validation and thread safety."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from seedqa.index.errors import IndexNotFound, InvalidSetting
from seedqa.qa import Hit, Retriever
from seedqa.qa.retriever import MODES


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("query", "doc"),
    [
        ("When did Hekla erupt?", "small/volcanoes.md"),
        ("How long does sourdough dough rest before baking?", "small/bread.txt"),
        ("Deep Blue Kasparov match", "small/chess.txt"),
    ],
)
def test_every_mode_ranks_the_right_document_first(qa_retriever, query, doc, mode):
    hits = qa_retriever.search(query, k=3, mode=mode)
    assert hits, f"{mode} found nothing for {query!r}"
    assert hits[0].doc_id == doc


def test_dense_mode_finds_a_paraphrase_with_no_shared_words(qa_retriever):
    hits = qa_retriever.search("game pieces and a board", k=1, mode="dense")
    assert hits[0].doc_id == "small/chess.txt"
    assert set(hits[0].scores) == {"dense"}
    assert qa_retriever.search("game pieces and a board", k=1, mode="lexical") == []


def test_lexical_mode_scores_only_matching_chunks(qa_retriever):
    hits = qa_retriever.search("Eyjafjallajokull", k=5, mode="lexical")
    assert [h.doc_id for h in hits] == ["small/volcanoes.md"]
    assert set(hits[0].scores) == {"lexical"} and hits[0].scores["lexical"] > 0


def test_hits_carry_exact_offsets_and_all_fields(qa_retriever, qa_corpus):
    hits = qa_retriever.search("queen move in Spain", k=5)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    for hit in hits:
        assert isinstance(hit, Hit)
        text = (qa_corpus / hit.doc_id.split("/", 1)[1]).read_text(encoding="utf-8")
        assert text[hit.start : hit.end] == hit.text
        assert set(hit.scores) == {"dense", "lexical"}
        assert hit.title and hit.chunk_id and hit.page is None
        assert set(hit.to_json()) == {
            "rank", "score", "doc_id", "title", "chunk_id", "text", "start", "end", "page",
        }  # fmt: skip


def test_k_limits_the_number_of_hits(qa_retriever):
    assert len(qa_retriever.search("bread", k=1)) == 1
    assert len(qa_retriever.search("history", k=50)) == len(qa_retriever.chunks)


@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_blank_queries_return_no_hits(qa_retriever, query):
    assert qa_retriever.search(query) == []


def test_invalid_settings_name_the_valid_values(qa_retriever):
    with pytest.raises(InvalidSetting, match="hybrid, dense, lexical"):
        qa_retriever.search("x", mode="semantic")
    with pytest.raises(InvalidSetting, match="1 to 1000"):
        qa_retriever.search("x", k=0)


def test_missing_index_gives_the_clear_error(tmp_path):
    with pytest.raises(IndexNotFound, match="seedqa index"):
        Retriever.load(tmp_path / "nowhere")


def test_eight_threads_get_the_same_results_as_serial_calls(qa_retriever):
    queries = [
        "volcano ash over Europe", "sourdough starter", "chess in Persia", "Deep Blue",
        "baking temperature", "Hekla 1104", "lactic acid", "queen move",
    ] * 4  # fmt: skip
    modes = [MODES[i % 3] for i in range(len(queries))]

    def run(args):
        query, mode = args
        return [(h.chunk_id, round(h.score, 6)) for h in qa_retriever.search(query, 3, mode)]

    serial = [run(a) for a in zip(queries, modes, strict=True)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(run, zip(queries, modes, strict=True)))
    assert parallel == serial
