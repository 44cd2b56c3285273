"""ui.web without a server: auth parsing and the login."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from seedqa.qa.errors import InvalidSetting
from seedqa.qa.service import SeedqaService
from seedqa.ui import web
from seedqa.ui.web import parse_auth

REPO = Path(__file__).resolve().parents[2]


def test_parse_auth():
    assert parse_auth(None) is None
    assert parse_auth("alice:s3cret") == ("alice", "s3cret")
    assert parse_auth("alice:pa:ss") == ("alice", "pa:ss")
    for bad in ("alice", "alice:", ":secret", "", " :x"):
        with pytest.raises(InvalidSetting, match="USER:PASSWORD"):
            parse_auth(bad)


def test_chat_with_malformed_auth_fails_with_one_line(server_index):
    result = subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", "chat", "--index-dir", str(server_index)]
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
    app = web.build_app(SeedqaService(tmp_path))  # nothing is loaded until a question comes
    app.launch(**web.launch_options("127.0.0.1", port, parse_auth("alice:s3cret"), 1024))
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
