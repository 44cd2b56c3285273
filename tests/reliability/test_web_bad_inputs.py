"""The reliability table, web: bad requests to the real chat server get one line, change nothing.

One Gradio app over ``SeedqaService`` runs on 127.0.0.1 (a real HTTP server)
for the module; every case calls its ``/ask`` API with raw HTTP (JSON escapes
such as ``"\\ud800"`` included, as any client can send them) or the chat's own
answer handler, and checks the outcome, the one-line
message and that the index is unchanged byte for byte. The server also
follows the index: a build made outside it is answered from next, and a
broken or damaged index on disk is handled like on the command line.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from reliability_kit import Built, snapshot

from seedqa.index.build import build_index
from seedqa.qa.service import SeedqaService
from seedqa.ui import web

QUESTION = "When did Hekla erupt?"


@dataclass
class Running:
    """The server under test: its URL, service, index and pristine copy of the index."""

    url: str
    service: SeedqaService
    index: Path
    pristine: Path
    messages: list[str]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def running(built: Built, tmp_path_factory, embedder) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("web-reliability")
    index, pristine = root / "index", root / "pristine"
    shutil.copytree(built.index, index)
    shutil.copytree(built.index, pristine)
    messages: list[str] = []
    service = SeedqaService(index, embedder=embedder, on_status=messages.append)
    app = web.build_app(service)
    port = _port()
    app.launch(**web.launch_options("127.0.0.1", port, None, 1024 * 1024))
    try:
        yield Running(f"http://127.0.0.1:{port}", service, index, pristine, messages)
    finally:
        app.close()


@pytest.fixture
def server(running: Running) -> Iterator[Running]:
    """The running server over a pristine index (restored after a case that broke it)."""
    yield running
    if snapshot(running.index) != snapshot(running.pristine):
        shutil.rmtree(running.index)
        shutil.copytree(running.pristine, running.index)


class ApiError(Exception):
    """The error event of a ``/ask`` call: its message."""


def ask(server: Running, question: object, k: object = 5, mode: object = "hybrid") -> dict:
    """Call ``/ask`` over HTTP; return the Answer JSON or raise ``ApiError(message)``."""
    body = json.dumps({"data": [question, k, mode]}).encode("ascii")  # "\ud800" stays escaped
    started = httpx.post(
        f"{server.url}/gradio_api/call/ask",
        content=body,
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert started.status_code == 200, started.text
    event_id = started.json()["event_id"]
    stream = httpx.get(f"{server.url}/gradio_api/call/ask/{event_id}", timeout=300).text
    event = stream.split("\n", 1)[0].removeprefix("event: ")
    data = json.loads(stream.split("data: ", 1)[1].split("\n", 1)[0])
    if event == "error":
        raise ApiError(data["error"] if isinstance(data, dict) else data)
    assert event == "complete", stream
    return data[0]


BAD_REQUESTS = [
    ("lone surrogate", "When\ud800?", 5, "hybrid", "the question holds a lone surrogate (U+D800"),
    ("undecodable byte", "caf\udce9?", 5, "hybrid", "the question is not valid UTF-8"),
    ("empty question", "", 5, "hybrid", "the question is empty"),
    ("only escapes", "\x1b[31m\x1b[0m", 5, "hybrid", "the question is empty"),
    ("too long", "Why " * 600, 5, "hybrid", "characters long; the limit is 2,000"),
    ("not text", None, 5, "hybrid", "the question must be text"),
    ("k zero", QUESTION, 0, "hybrid", "k=0 is not valid; use a whole number from 1 to 100"),
    ("k fraction", QUESTION, 2.7, "hybrid", "k=2.7 is not valid"),
    ("k above 100", QUESTION, 101, "hybrid", "k=101 is not valid"),
    ("k negative", QUESTION, -3, "hybrid", "k=-3 is not valid"),
    ("k text", QUESTION, "five", "hybrid", "k='five' is not valid"),
    ("unknown mode", QUESTION, 5, "psychic", "mode 'psychic' is not valid"),
]


@pytest.mark.parametrize(
    ("question", "k", "mode", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in BAD_REQUESTS],
)
def test_bad_api_request_gets_one_line(
    server: Running, question: object, k: object, mode: object, message: str
) -> None:
    before = snapshot(server.index)
    with pytest.raises(ApiError) as caught:
        ask(server, question, k, mode)
    text = str(caught.value)
    assert message in text and "\n" not in text and "Traceback" not in text
    assert snapshot(server.index) == before


def test_escapes_and_controls_are_stripped_and_answered(server: Running) -> None:
    before = snapshot(server.index)
    answer = ask(server, "\x1b[31mWhen did\x1b[0m Hekla\x00 erupt?\x1b]0;t\x07", 5.0)
    assert answer["question"] == QUESTION
    assert not answer["abstained"] and "1104" in answer["answer"] and "31" not in answer["answer"]
    assert snapshot(server.index) == before


@pytest.mark.parametrize(
    ("question", "k", "shown"),
    [
        pytest.param("When\ud800?", 5, "lone surrogate", id="chat lone surrogate"),
        pytest.param(QUESTION, 2.7, "k=2.7 is not valid", id="chat k fraction"),
        pytest.param(QUESTION, 0, "k=0 is not valid", id="chat k zero"),
        pytest.param("\x1b[1mWhen did Hekla erupt?\x1b[0m", 5, "1104", id="chat escapes"),
    ],
)
def test_the_chat_handler_shows_one_line_or_the_answer(
    server: Running, question: str, k: float, shown: str
) -> None:
    before = snapshot(server.index)
    handlers = web.Handlers(server.service)
    messages, _, _, pending = handlers.answer_pending(question, None, None, k, "hybrid")
    bubble = messages[-1]["content"]
    assert shown in bubble and "\x1b" not in bubble and "[1m" not in bubble and pending == ""
    assert ("Could not answer" in bubble) == (shown != "1104")
    assert snapshot(server.index) == before


def test_a_build_outside_the_server_is_answered_from_next(
    server: Running, built: Built, embedder
) -> None:
    old = ask(server, QUESTION)
    assert old["abstained"] is False
    generation = server.service.status().generation
    note = built.corpus / "harbour.txt"
    note.write_text("Harbour\n\nThe Lisbon harbour crane lifts forty tonnes.\n", encoding="utf-8")
    try:
        build_index(None, server.index, embedder=embedder)  # what `seedqa index` does
    finally:
        note.unlink()
    answer = ask(server, "How much does the Lisbon harbour crane lift?")
    assert "forty tonnes" in answer["answer"]
    assert server.service.status().generation != generation
    assert any("changed on disk" in m for m in server.messages)


def test_a_broken_pointer_is_answered_from_the_newest_complete_generation(
    server: Running,
) -> None:
    live = (server.index / "CURRENT").read_text().strip()
    os.unlink(server.index / "CURRENT")
    answer = ask(server, QUESTION)
    assert "1104" in answer["answer"]
    status = server.service.status().to_json()
    assert status["generation"] == live and "has no CURRENT pointer" in status["warning"]
    assert any(m.startswith("warning: ") and "--repair" in m for m in server.messages)


def test_a_damaged_file_made_live_is_refused_naming_it(server: Running) -> None:
    live = server.index / (server.index / "CURRENT").read_text().strip()
    vectors = live / "vectors.faiss"
    data = bytearray(vectors.read_bytes())
    data[64:] = bytes(len(data) - 64)
    vectors.write_bytes(bytes(data))
    pointer = server.index / "CURRENT.new"
    pointer.write_text(live.name + "\n")
    os.replace(pointer, server.index / "CURRENT")  # as a build swaps it: the server notices
    with pytest.raises(ApiError) as caught:
        ask(server, QUESTION)
    assert f"{live.name}/vectors.faiss: checksum mismatch" in str(caught.value)
    assert "--repair" in str(caught.value) and "\n" not in str(caught.value)


def test_web_table_size() -> None:
    assert len(BAD_REQUESTS) + 4 + 4 >= 20
    assert json.dumps([c[0] for c in BAD_REQUESTS])
