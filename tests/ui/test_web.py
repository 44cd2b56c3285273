"""ui.web without a server: auth parsing, upload validation, rejected uploads change nothing."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from seedqa.index.errors import InvalidSetting
from seedqa.ui import web
from seedqa.ui.web import ChatService, UploadRejected, parse_auth, safe_filename, validate_upload

REPO = Path(__file__).resolve().parents[2]


def test_parse_auth():
    assert parse_auth(None) is None
    assert parse_auth("alice:s3cret") == ("alice", "s3cret")
    assert parse_auth("alice:pa:ss") == ("alice", "pa:ss")
    for bad in ("alice", "alice:", ":secret", "", " :x"):
        with pytest.raises(InvalidSetting, match="USER:PASSWORD"):
            parse_auth(bad)


def test_safe_filename_keeps_only_a_safe_base_name():
    assert safe_filename("/tmp/gradio/abc/report.PDF") == "report.pdf"
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("C:\\Users\\me\\notes.md") == "notes.md"
    assert safe_filename('<img src=x onerror="a()">.html') == "img src_x onerror_a().html"
    assert safe_filename(".hidden.txt") == "hidden.txt"
    assert safe_filename("....txt") == "document.txt"
    assert "/" not in safe_filename("a/b/../c<d>.txt")


def test_validate_upload_accepts_a_good_file(tmp_path):
    good = tmp_path / "good notes.txt"
    good.write_text("The zorblax reactor produces 42 megawatts of power.\n", encoding="utf-8")
    assert validate_upload(good) == "good notes.txt"
    assert validate_upload(good, name="../Renamed.TXT") == "Renamed.txt"


def test_validate_upload_rejects_type_size_and_unreadable_files(tmp_path, monkeypatch):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x00\x00")
    with pytest.raises(UploadRejected, match=r"tool\.exe: file type \.exe is not supported"):
        validate_upload(exe)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(UploadRejected, match="empty.txt: empty file"):
        validate_upload(empty)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")
    with pytest.raises(UploadRejected, match="broken.pdf: "):
        validate_upload(broken)
    monkeypatch.setattr(web, "MAX_UPLOAD_BYTES", 10)
    big = tmp_path / "big.txt"
    big.write_text("x" * 11, encoding="utf-8")
    with pytest.raises(UploadRejected, match=r"big\.txt is 0\.0 MB; the limit is"):
        validate_upload(big)


def test_rejected_upload_changes_nothing(tmp_path):
    index_dir = tmp_path / "index"
    index_dir.mkdir()
    good = tmp_path / "good.txt"
    good.write_text("A perfectly good document.\n", encoding="utf-8")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"PK\x03\x04")
    service = ChatService(index_dir)
    with pytest.raises(UploadRejected, match="bad.docx"):
        service.add_uploads([(good, "good.txt"), (bad, "bad.docx")])
    assert list(index_dir.iterdir()) == []  # no uploads/ folder, no index written


def test_free_target_suffixes_name_collisions(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    (tmp_path / "a-2.txt").write_text("2")
    assert web._free_target(tmp_path, "a.txt").name == "a-3.txt"
    assert web._free_target(tmp_path, "b.txt").name == "b.txt"


def test_chat_with_malformed_auth_fails_with_one_line(seed_index):
    result = subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", "chat", "--index-dir", str(seed_index)]
        + ["--port", "0", "--auth", "no-colon"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("seedqa: error: --auth must be USER:PASSWORD")
    assert "Traceback" not in result.stderr


def test_auth_turns_on_the_login(tmp_path):
    from gradio_client import Client

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = web.build_app(tmp_path)  # nothing is loaded until a question comes
    app.launch(**web.launch_options("127.0.0.1", port, parse_auth("alice:s3cret")))
    url = f"http://127.0.0.1:{port}/"
    try:
        assert httpx.get(url + "config").status_code == 401
        with pytest.raises(Exception):  # noqa: B017 - gradio_client's error type varies
            Client(url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(url, auth=("alice", "wrong"), verbose=False)
        client = Client(url, auth=("alice", "s3cret"), verbose=False)
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert list(endpoints) == ["/ask"]  # the chat's own events are private
    finally:
        app.close()
