"""The REST API of `seedqa serve`: the real server on 127.0.0.1, driven with httpx."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from api_settings import API_KEY, UPLOAD_LIMIT_MB

REPO = Path(__file__).resolve().parents[2]

SEED_FILE = REPO / "seeds" / "xiaomi-7bn-5g-ai-iot-plan.txt"
SEED_ID = "seeds/" + SEED_FILE.name
SEED_TEXT = SEED_FILE.read_text(encoding="utf-8")
ZORBLAT = (
    "# Zorblat field notes\n\n"
    "The Zorblat reactor in the northern valley produces 42 megawatts of power.\n\n"
    "Maintenance crews inspect the Zorblat reactor every spring.\n"
)
ANSWER_KEYS = {"question", "answer", "abstained", "citations", "hits", "timings_ms"}
CITATION_KEYS = {"n", "doc_id", "title", "start", "end", "page", "text", "score"}
HIT_KEYS = {"rank", "doc_id", "chunk_id", "title", "start", "end", "page", "text", "score"}
EVERY_ROUTE = [
    ("GET", "/v1/health"),
    ("POST", "/v1/ask"),
    ("POST", "/v1/search"),
    ("GET", "/v1/documents"),
    ("POST", "/v1/documents"),
    ("DELETE", "/v1/documents/" + SEED_ID),
    ("POST", "/v1/chat/completions"),
    ("GET", "/v1/models"),
    ("GET", "/v1/models/seedqa"),
    ("GET", "/v1/no-such-route"),
]


def error_message(response: httpx.Response, status: int) -> str:
    """Assert a JSON error with ``status`` and a one-line message; return the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status
    assert error["message"] and "\n" not in error["message"]
    assert "Traceback" not in response.text
    return error["message"]


def generation(api: httpx.Client) -> str:
    return api.get("/v1/health").json()["generation"]


def uploads(server) -> set[str]:
    folder = server.index_dir / "uploads"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_health_names_the_generation_counts_and_model(api, api_server):
    response = api.get("/v1/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["generation"].startswith("gen-")
    assert response.headers["x-seedqa-generation"] == health["generation"]
    assert health["documents"] >= 1 and health["chunks"] >= health["documents"]
    assert health["model"] == "all-MiniLM-L6-v2" and health["dimension"] == 384
    assert Path(health["index_dir"]) == api_server.index_dir


@pytest.mark.parametrize(("method", "path"), EVERY_ROUTE)
def test_with_a_key_set_every_v1_route_needs_it(api_server, method, path):
    url = api_server.url.rstrip("/") + path
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": API_KEY}):
        response = httpx.request(method, url, headers=headers, timeout=30)
        assert "a valid API key is required" in error_message(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


def test_docs_schema_and_chat_need_no_key_but_the_chat_has_its_login(api_server):
    for path in ("openapi.json", "docs", "docs-assets/swagger-ui-bundle.js"):
        assert httpx.get(api_server.url + path, timeout=30).status_code == 200, path
    assert httpx.get(api_server.url + "config", timeout=30).status_code == 401  # --auth


def test_without_a_key_the_api_is_open(server):
    assert httpx.get(server.url + "v1/health", timeout=30).status_code == 200
    question = {"question": "How much will Xiaomi invest in 5G, AI and IoT?"}
    response = httpx.post(server.url + "v1/ask", json=question, timeout=60)
    assert response.status_code == 200
    assert "$7.18 billion" in response.json()["answer"]


def test_ask_returns_the_cli_schema_with_exact_citations(api):
    question = "How much will Xiaomi invest in 5G, AI and IoT?"
    response = api.post("/v1/ask", json={"question": question, "k": 3, "mode": "hybrid"})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) == ANSWER_KEYS
    assert answer["question"] == question and not answer["abstained"]
    assert "$7.18 billion" in answer["answer"] and "[1]" in answer["answer"]
    assert len(answer["hits"]) <= 3 and all(set(h) == HIT_KEYS for h in answer["hits"])
    for citation in answer["citations"]:
        assert set(citation) == CITATION_KEYS
        assert f"[{citation['n']}]" in answer["answer"]
        assert citation["doc_id"] == SEED_ID
        assert SEED_TEXT[citation["start"] : citation["end"]] == citation["text"]
    assert response.headers["x-seedqa-generation"] == generation(api)


def test_ask_resolves_a_follow_up_from_the_history(api):
    first = "How much had Xiaomi committed before?"
    previous = api.post("/v1/ask", json={"question": first}).json()
    for history in (
        [{"question": first, "answer": previous["answer"]}],
        [{"role": "user", "content": first}, {"role": "assistant", "content": previous["answer"]}],
    ):
        answer = api.post("/v1/ask", json={"question": "and over what period?", "history": history})
        assert "five years" in answer.json()["answer"]
    alone = api.post("/v1/ask", json={"question": "and over what period?"}).json()
    assert alone["abstained"]


def test_ask_abstains_when_the_documents_do_not_say(api):
    answer = api.post("/v1/ask", json={"question": "What is the capital of France?"}).json()
    assert answer["abstained"] and answer["citations"] == [] and answer["hits"]


def test_search_returns_hits_in_the_cli_schema(api):
    response = api.post("/v1/search", json={"query": "overseas revenue", "k": 2, "mode": "lexical"})
    assert response.status_code == 200
    result = response.json()
    assert result["query"] == "overseas revenue" and result["mode"] == "lexical"
    assert 1 <= len(result["hits"]) <= 2
    assert "overseas revenue" in result["hits"][0]["text"]
    assert all(set(hit) == HIT_KEYS for hit in result["hits"])


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "fragment"),
    [
        ("POST", "/v1/ask", {"question": "   "}, 400, "question is empty"),
        ("POST", "/v1/ask", {"question": "Xiaomi?", "k": 0}, 400, "k=0 is not valid"),
        ("POST", "/v1/ask", {"question": "Xiaomi?", "mode": "psychic"}, 400, "mode 'psychic'"),
        ("POST", "/v1/ask", {"question": "Xiaomi?", "k": "five"}, 422, "k: "),
        ("POST", "/v1/ask", {"question": "Xiaomi?", "k": 2.5}, 400, "k=2.5 is not valid"),
        ("POST", "/v1/ask", {"question": "Xiaomi?", "k": True}, 422, "k: "),
        ("POST", "/v1/ask", {"question": "\x1b[31mWho\x1b[0m? " * 500}, 400, "2,000"),
        ("POST", "/v1/ask", {"k": 3}, 422, "question: Field required"),
        ("POST", "/v1/ask", b'{"question": ', 400, "not valid JSON"),
        ("POST", "/v1/ask", [1, 2], 422, "Input should be"),
        ("POST", "/v1/search", {"query": "x", "k": 101}, 400, "k=101 is not valid"),
        ("GET", "/v1/ask", None, 405, "method not allowed"),
        ("GET", "/v1/nowhere", None, 404, "no such route"),
        ("DELETE", "/v1/documents/uploads/nothing.txt", None, 404, "no document"),
    ],
)
def test_bad_requests_get_the_right_status_and_one_line(api, method, path, body, status, fragment):
    if isinstance(body, bytes):
        response = api.request(
            method, path, content=body, headers={"Content-Type": "application/json"}
        )
    else:
        response = api.request(method, path, json=body)
    assert fragment in error_message(response, status)


def test_a_huge_question_body_is_refused_before_it_is_read(api):
    response = api.post("/v1/ask", json={"question": "why " * 1_200_000})
    assert "request body is larger than 4 MB" in error_message(response, 413)


def test_documents_lists_the_seed_article(api):
    response = api.get("/v1/documents")
    assert response.status_code == 200
    documents = {d["doc_id"]: d for d in response.json()["documents"]}
    assert documents[SEED_ID]["n_chars"] == len(SEED_TEXT)
    assert documents[SEED_ID]["kind"] and documents[SEED_ID]["n_chunks"] >= 1


def test_upload_ask_delete_and_no_longer_cited(api, api_server):
    question = "How much power does the Zorblat reactor produce?"
    files = {"files": ("zorblat-notes.md", ZORBLAT.encode(), "text/markdown")}
    response = api.post("/v1/documents", files=files)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["added"] == ["uploads/zorblat-notes.md"]
    assert report["stored_files"] == ["zorblat-notes.md"]
    assert report["generation"] == generation(api)
    assert (api_server.index_dir / "uploads" / "zorblat-notes.md").read_text() == ZORBLAT
    listed = [d["doc_id"] for d in api.get("/v1/documents").json()["documents"]]
    assert "uploads/zorblat-notes.md" in listed

    answer = api.post("/v1/ask", json={"question": question}).json()
    assert "42 megawatts" in answer["answer"]
    cited = [c for c in answer["citations"] if c["doc_id"] == "uploads/zorblat-notes.md"]
    assert cited and ZORBLAT[cited[0]["start"] : cited[0]["end"]] == cited[0]["text"]

    response = api.delete("/v1/documents/uploads/zorblat-notes.md")
    assert response.status_code == 200, response.text
    assert response.json()["removed"] == ["uploads/zorblat-notes.md"]
    assert "zorblat-notes.md" not in uploads(api_server)
    listed = [d["doc_id"] for d in api.get("/v1/documents").json()["documents"]]
    assert "uploads/zorblat-notes.md" not in listed
    after = api.post("/v1/ask", json={"question": question}).json()
    assert "42 megawatts" not in after["answer"]
    assert all(c["doc_id"] != "uploads/zorblat-notes.md" for c in after["citations"])
    assert all(h["doc_id"] != "uploads/zorblat-notes.md" for h in after["hits"])


def test_an_upload_name_cannot_escape_the_upload_folder(api, api_server, tmp_path):
    outside = {p for p in api_server.index_dir.parent.parent.rglob("evil.txt")}
    files = {"files": ("../../evil.txt", b"The evil file says nothing of note.\n", "text/plain")}
    response = api.post("/v1/documents", files=files)
    assert response.status_code == 201, response.text
    assert response.json()["stored_files"] == ["evil.txt"]
    stored = api_server.index_dir / "uploads" / "evil.txt"
    assert stored.exists()
    new = {p for p in api_server.index_dir.parent.parent.rglob("evil.txt")} - outside
    assert new == {stored}
    assert api.delete("/v1/documents/uploads/evil.txt").status_code == 200
    assert not stored.exists()


def test_rejected_uploads_change_nothing(api, api_server):
    before = (generation(api), uploads(api_server))
    oversize = b"word " * (UPLOAD_LIMIT_MB * 1024 * 1024 // 5 + 30_000)
    cases = [
        ({"files": ("big.txt", oversize, "text/plain")}, 413, "larger than the limit of 1.0 MB"),
        ({"files": ("tool.exe", b"MZ\x00\x00", "application/octet-stream")}, 415, "tool.exe"),
        ({"files": ("empty.txt", b"", "text/plain")}, 422, "empty.txt"),
        ({"files": ("binary.txt", b"\x00\x01\x02" * 100, "text/plain")}, 422, "binary.txt"),
        ({"files": [("files", ("ok.txt", b"Fine text here.\n", "text/plain")),
                    ("files", ("bad.exe", b"MZ", "application/octet-stream"))]}, 415, "bad.exe"),
        ({}, 422, "files: Field required"),
    ]  # fmt: skip
    for files, status, fragment in cases:
        sent = files["files"] if isinstance(files.get("files"), list) else files
        response = api.post("/v1/documents", files=sent or None, data={} if sent else {"x": "1"})
        assert fragment in error_message(response, status)
    assert (generation(api), uploads(api_server)) == before


def test_a_streamed_upload_is_cut_off_at_the_limit(api, api_server):
    before = (generation(api), uploads(api_server))

    def body():
        yield b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n\r\n'
        for _ in range(UPLOAD_LIMIT_MB * 4 + 4):
            yield b"word " * 52_429  # about 256 KiB
        yield b"\r\n--b--\r\n"

    headers = {"Content-Type": "multipart/form-data; boundary=b"}
    response = api.post("/v1/documents", content=body(), headers=headers)
    assert "larger than the limit" in error_message(response, 413)
    assert (generation(api), uploads(api_server)) == before


def test_removing_the_only_document_is_refused(api):
    documents = api.get("/v1/documents").json()["documents"]
    assert [d["doc_id"] for d in documents] == [SEED_ID]
    response = api.delete("/v1/documents/" + SEED_ID)
    error_message(response, 409)  # the index would be left empty
    assert [d["doc_id"] for d in api.get("/v1/documents").json()["documents"]] == [SEED_ID]


def test_a_broken_index_on_disk_gives_503_and_answers_go_on(api, api_server):
    manifests = {p: p.read_bytes() for p in api_server.index_dir.glob("gen-*/manifest.json")}
    for manifest in manifests:  # no complete generation left to fall back on
        manifest.write_text("{ not json", encoding="utf-8")
    try:
        files = {"files": ("note.txt", b"A note about nothing in particular.\n", "text/plain")}
        response = api.post("/v1/documents", files=files)
        error_message(response, 503)
        assert response.json()["error"]["type"] == "IndexCorrupt"
    finally:
        for manifest, saved in manifests.items():
            if manifest.parent.exists():
                manifest.write_bytes(saved)
    question = "How much will Xiaomi invest in 5G, AI and IoT?"
    answer = api.post("/v1/ask", json={"question": question})
    assert answer.status_code == 200 and "$7.18 billion" in answer.json()["answer"]
    assert "note.txt" not in uploads(api_server)


def test_help_and_the_cli_commands_do_not_import_the_server_stack():
    code = (
        "import sys; from seedqa.ui import cli; "
        "cli.build_parser().parse_args(['serve']); import seedqa.qa.service; "
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'gradio', 'starlette') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_serve_on_a_busy_port_fails_with_one_line(api_server):
    result = subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", "serve", "--port", str(api_server.port),
         "--index-dir", str(api_server.index_dir)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"seedqa: error: cannot listen on 127.0.0.1:{api_server.port}"
    )
    assert "Traceback" not in result.stderr
