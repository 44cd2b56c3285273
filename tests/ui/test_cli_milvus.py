"""``seedqa index --store milvus`` and reading commands on a Milvus index (real Milvus Lite)."""

from __future__ import annotations

import json
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
