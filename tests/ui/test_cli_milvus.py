"""``seedqa index --store milvus`` and reading commands on a Milvus index (real Milvus Lite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seedqa.index.state import IndexState
from seedqa.ui.cli import main

DOCS = {
    "tides.txt": "Tidal power\n\nTurbines on the seabed turn with the tide twice a day.\n",
    "bread.md": "# Sourdough\n\nA starter is a culture of wild yeast and lactobacilli.\n",
}


@pytest.fixture(scope="module")
def milvus_cli_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-milvus")
    corpus = root / "docs"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index_dir = root / "index"
    code = main(["index", str(corpus), "--index-dir", str(index_dir), "--store", "milvus", "-q"])
    assert code == 0
    return index_dir


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    return err


def test_index_records_the_store_and_search_reads_it(
    milvus_cli_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = IndexState.read(milvus_cli_index).require().store
    assert (store.kind, store.uri) == ("milvus", "milvus.db")
    capsys.readouterr()
    code = main(["search", "seabed turbines", "--index-dir", str(milvus_cli_index), "--json"])
    assert code == 0
    found = json.loads(capsys.readouterr().out)
    assert found["hits"][0]["doc_id"] == "docs/tides.txt"


def test_unreachable_server_is_one_line_and_changes_nothing(
    milvus_cli_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (milvus_cli_index / "CURRENT").read_text()
    uri = "http://127.0.0.1:9"
    code = main(["index", "--index-dir", str(milvus_cli_index), "--milvus-uri", uri, "-q"])
    assert code == 2
    assert error_line(capsys).startswith(f"seedqa: error: cannot reach Milvus at {uri}")
    assert (milvus_cli_index / "CURRENT").read_text() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--milvus-uri", "somewhere"], "--milvus-uri 'somewhere' is not valid"),
        (["--store", "faiss", "--milvus-uri", "x.db"], "need --store milvus"),
    ],
)
def test_bad_store_options(
    milvus_cli_index: Path, capsys: pytest.CaptureFixture[str], options: list[str], message: str
) -> None:
    code = main(["index", "--index-dir", str(milvus_cli_index), *options, "-q"])
    assert code == 2 and message in error_line(capsys)


def test_reader_of_an_unreachable_server(
    milvus_cli_index: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEEDQA_MILVUS_URI", "http://127.0.0.1:9")
    code = main(["ask", "What turns the turbines?", "--index-dir", str(milvus_cli_index)])
    assert code == 2 and "cannot reach Milvus at http://127.0.0.1:9" in error_line(capsys)


def test_lite_file_in_a_missing_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "tides.txt").write_text(DOCS["tides.txt"], encoding="utf-8")
    uri = str(tmp_path / "missing" / "milvus.db")
    index_dir = tmp_path / "index"
    code = main(["index", str(corpus), "--index-dir", str(index_dir), "--milvus-uri", uri, "-q"])
    line = error_line(capsys)
    assert code == 2 and uri in line and "does not exist" in line
    assert not (index_dir / "CURRENT").exists()


def test_serve_with_an_unreachable_server_is_one_line(milvus_cli_index: Path) -> None:
    uri = "http://127.0.0.1:9"
    env = {**os.environ, "SEEDQA_MILVUS_URI": uri, "HF_HUB_OFFLINE": "1"}
    env["GRADIO_ANALYTICS_ENABLED"] = "False"
    command = [sys.executable, "-m", "seedqa.ui.cli", "serve", "--port", "0"]
    done = subprocess.run(
        [*command, "--index-dir", str(milvus_cli_index)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("seedqa: error:")]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert f"cannot reach Milvus at {uri}" in lines[0]
