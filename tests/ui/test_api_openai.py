"""The OpenAI-compatible routes through the `openai` package, pointed at the real server."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from api_settings import API_KEY

SEED_FILE = Path(__file__).resolve().parents[2] / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
QUESTION = "How much had Xiaomi committed before?"


@pytest.fixture(scope="module")
def client(api_server) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=api_server.url + "v1", api_key=API_KEY, max_retries=0, timeout=120
    )


def ask(question: str) -> list[dict]:
    return [{"role": "user", "content": question}]


def test_models_lists_seedqa(client):
    assert [m.id for m in client.models.list()] == ["seedqa"]
    assert client.models.retrieve("seedqa").owned_by == "seedqa"


def test_chat_completion_carries_markers_sources_and_citations(client, api):
    completion = client.chat.completions.create(model="seedqa", messages=ask(QUESTION))
    assert completion.object == "chat.completion" and completion.model == "seedqa"
    assert completion.system_fingerprint == api.get("/v1/health").json()["generation"]
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    content = choice.message.content
    assert "$1.43 billion" in content and "[1]" in content
    assert "Sources:\n- [1] Xiaomi makes big noises" in content
    citations = choice.message.model_extra["citations"]
    assert citations and citations[0]["n"] == 1
    for citation in citations:
        assert SEED_TEXT[citation["start"] : citation["end"]] == citation["text"]
        assert citation["text"] in content


def test_streaming_sends_the_same_text_then_citations(client):
    whole = client.chat.completions.create(model="seedqa", messages=ask(QUESTION))
    chunks = list(client.chat.completions.create(model="seedqa", messages=ask(QUESTION),
                                                 stream=True))  # fmt: skip
    assert len(chunks) > 3
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    assert last.delta.model_extra["citations"] == whole.choices[0].message.model_extra["citations"]
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_stream_is_server_sent_events_ending_with_done(api):
    body = {"model": "seedqa", "messages": ask(QUESTION), "stream": True}
    with api.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in events)
    assert events[-1] == "data: [DONE]"
    for line in events[:-1]:
        assert json.loads(line[len("data: ") :])["object"] == "chat.completion.chunk"


def test_conversation_resolves_a_follow_up_and_abstains_when_unknown(client):
    first = client.chat.completions.create(model="seedqa", messages=ask(QUESTION))
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        *ask(QUESTION),
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": "and over what period?"}]},
    ]
    follow_up = client.chat.completions.create(model="seedqa", messages=messages)
    assert "five years" in follow_up.choices[0].message.content
    unknown = client.chat.completions.create(
        model="seedqa", messages=ask("What is the capital of France?"), extra_body={"k": 3}
    )
    assert unknown.choices[0].message.content.startswith("The documents don't answer")
    assert unknown.choices[0].message.model_extra["citations"] == []


def test_errors_reach_the_openai_client_as_its_exceptions(client, api_server):
    with pytest.raises(openai.NotFoundError, match="model 'gpt-4' does not exist"):
        client.chat.completions.create(model="gpt-4", messages=ask(QUESTION))
    with pytest.raises(openai.BadRequestError, match="last message must be the user"):
        client.chat.completions.create(
            model="seedqa", messages=[{"role": "assistant", "content": "Hello"}]
        )
    with pytest.raises(openai.BadRequestError, match="mode 'psychic' is not valid"):
        client.chat.completions.create(
            model="seedqa", messages=ask(QUESTION), extra_body={"mode": "psychic"}
        )
    stranger = openai.OpenAI(base_url=api_server.url + "v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="a valid API key is required"):
        stranger.chat.completions.create(model="seedqa", messages=ask(QUESTION))
