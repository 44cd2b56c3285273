"""The real `seedqa chat` server through gradio_client: the /ask API and concurrency."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
QUESTIONS = [
    "How much will Xiaomi invest in 5G, AI and IoT?",
    "How much had Xiaomi committed before?",
    "What share of Xiaomi's revenue comes from overseas?",
    "Which products are part of Xiaomi's portfolio?",
    "Who is the CEO of Xiaomi?",
    "What is the capital of France?",
    "Is Xiaomi a global technology leader?",
    "What does Xiaomi's strategy focus on?",
    "Do AI and IoT work together?",
    "What segment is open to Xiaomi besides consumers?",
]


def check_answer(result: dict, question: str) -> None:
    assert isinstance(result, dict)
    assert result["question"] == question
    assert isinstance(result["answer"], str) and result["answer"]
    assert set(result["timings_ms"]) >= {"retrieve", "answer", "total"}
    if result["abstained"]:
        assert result["citations"] == []
        return
    assert result["citations"]
    for n, citation in enumerate(result["citations"], start=1):
        assert citation["n"] == n
        assert f"[{n}]" in result["answer"]
        if citation["doc_id"] == "seeds/" + SEED_FILE.name:
            assert SEED_TEXT[citation["start"] : citation["end"]] == citation["text"]


def test_first_start_indexes_the_seed_corpus_and_prints_the_url(server):
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "indexing the seed corpus first" in log
    assert "Indexed 1 document" in log
    assert f"open http://127.0.0.1:{server.port}/" in log


def test_ask_endpoint_answers_a_seed_question_with_a_valid_citation(server):
    client = Client(server.url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    question = "How much will Xiaomi invest in 5G, AI and IoT?"
    result = client.predict(question, 5, "hybrid", api_name="/ask")
    check_answer(result, question)
    assert not result["abstained"]
    assert "$7.18 billion" in result["answer"]
    cited = [c for c in result["citations"] if "$7.18 billion" in c["text"]]
    assert cited and cited[0]["doc_id"] == "seeds/" + SEED_FILE.name
    assert SEED_TEXT[cited[0]["start"] : cited[0]["end"]] == cited[0]["text"]


def test_ask_endpoint_defaults_abstention_and_errors(server):
    client = Client(server.url, verbose=False)
    result = client.predict("What is the capital of France?", api_name="/ask")
    assert result["abstained"] is True and result["citations"] == []
    lexical = client.predict("Xiaomi overseas revenue", 3, "lexical", api_name="/ask")
    assert len(lexical["hits"]) <= 3
    for bad in (("", 5, "hybrid"), ("Xiaomi?", 5, "psychic")):
        try:
            client.predict(*bad, api_name="/ask")
        except Exception as error:  # gradio_client raises AppError with our message
            assert "question is empty" in str(error) or "mode 'psychic' is not valid" in str(error)
        else:
            raise AssertionError(f"{bad} was accepted")


def test_ten_concurrent_clients_twenty_questions_each(server):
    def run_client(worker: int) -> list[tuple[str, dict]]:
        client = Client(server.url, verbose=False)
        results = []
        for i in range(20):
            question = QUESTIONS[(worker + i) % len(QUESTIONS)]
            results.append((question, client.predict(question, 5, "hybrid", api_name="/ask")))
        return results

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        batches = list(pool.map(run_client, range(10)))
    elapsed = time.perf_counter() - started
    answered = [pair for batch in batches for pair in batch]
    assert len(answered) == 200
    for question, result in answered:
        check_answer(result, question)
    print(f"200 questions from 10 clients in {elapsed:.1f} s")
