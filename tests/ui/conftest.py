"""Fixtures for the web chat tests: a seed index and the real server, started once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from api_settings import API_KEY, UPLOAD_LIMIT_MB

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
START_TIMEOUT_S = 180


@dataclass
class Server:
    url: str
    port: int
    index_dir: Path
    process: subprocess.Popen
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env() -> dict[str, str]:
    return {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
        "SEEDQA_API_KEY": "",
    }


def start_server(
    index_dir: Path,
    log: Path,
    *extra: str,
    command_name: str = "chat",
    env_extra: dict[str, str] | None = None,
) -> Server:
    """Start `seedqa chat` (or `serve`) on ``index_dir`` as its default location.

    Waits until it answers; `chat` is told not to open a browser.
    """
    port = free_port()
    if command_name == "chat":
        extra = ("--no-browser", *extra)
    command = [sys.executable, "-m", "seedqa.ui.cli", command_name, "--port", str(port), *extra]
    env = {**server_env(), "SEEDQA_INDEX_DIR": str(index_dir), **(env_extra or {})}
    handle = log.open("wb")
    process = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT
    )
    handle.close()
    deadline = time.monotonic() + START_TIMEOUT_S
    url = f"http://127.0.0.1:{port}/"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode}):\n{log.read_text()}")
        if "open http" in log.read_text(errors="replace"):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return Server(url, port, index_dir, process, log)
            except OSError:
                pass
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"the server did not start in {START_TIMEOUT_S} s:\n{log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server we started, by its PID: terminate, then kill."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`seedqa chat` on a fresh default index directory: it indexes seeds/ first, then serves.

    Letting the server build its own first index (the documented first start)
    instead of building it here saves loading the embedding model twice.
    """
    index_dir = tmp_path_factory.mktemp("seed-index") / "index"
    log = tmp_path_factory.mktemp("server") / "server.log"
    running = start_server(index_dir, log)
    try:
        yield running
    finally:
        stop_server(running.process)


@pytest.fixture(scope="session")
def server_index(server: Server) -> Path:
    """The server's index of the seed corpus (built on its first start)."""
    return server.index_dir


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """Headless Debian Chromium driven by Selenium, with network logging on.

    One browser for the browser tests (they share its storage, as a user's
    browser would); it is closed before the API tests load the server.
    """
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("needs Debian chromium and chromium-driver (`make browser` installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        f"--user-data-dir={tempfile.mkdtemp(dir=profile, prefix='chromium-')}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()



@pytest.fixture(scope="session")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`seedqa serve` with an API key, a chat login and a 1 MB upload limit, on a fresh index.

    Like `server`, it builds its own seed index on first start.
    """
    index_dir = tmp_path_factory.mktemp("api-index") / "index"
    log = tmp_path_factory.mktemp("api-server") / "server.log"
    running = start_server(
        index_dir, log, "--max-upload-mb", str(UPLOAD_LIMIT_MB), "--auth", "alice:s3cret",
        command_name="serve", env_extra={"SEEDQA_API_KEY": API_KEY},
    )  # fmt: skip
    try:
        yield running
    finally:
        stop_server(running.process)


@pytest.fixture(scope="session")
def api(api_server: Server) -> Iterator:
    """An httpx client of `api_server` that sends the API key."""
    import httpx

    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(base_url=api_server.url.rstrip("/"), headers=headers, timeout=120) as client:
        yield client
