"""`seedqa ask` and `seedqa search` end to end: real model, real index, real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_TEXT = next((ROOT / "seeds").glob("*.txt")).read_text(encoding="utf-8")


def seedqa(*args: str, default_index: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"}
    if default_index:
        env["SEEDQA_INDEX_DIR"] = str(default_index)
    return subprocess.run(
        [sys.executable, "-m", "seedqa.ui.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def test_ask_json_builds_the_default_index_and_prints_the_documented_schema(tmp_path):
    index_dir = tmp_path / "fresh"
    result = seedqa("ask", "How much will Xiaomi invest in 5G, AI and IoT?", "--json", "-k", "3",
                    default_index=index_dir)  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"question", "answer", "abstained", "citations", "hits", "timings_ms"}
    assert data["abstained"] is False and "7.18 billion" in data["answer"]
    assert len(data["hits"]) <= 3
    for citation in data["citations"]:
        assert set(citation) == {"n", "doc_id", "title", "start", "end", "page", "text", "score"}
        assert SEED_TEXT[citation["start"] : citation["end"]] == citation["text"]
        assert f"[{citation['n']}]" in data["answer"]
    for hit in data["hits"]:
        assert set(hit) == {
            "rank", "doc_id", "chunk_id", "title", "start", "end", "page", "text", "score",
        }  # fmt: skip
        assert SEED_TEXT[hit["start"] : hit["end"]] == hit["text"]
    assert (index_dir / "CURRENT").exists()

    search = seedqa("search", "overseas revenue", "--json", "--index-dir", str(index_dir),
                    "--mode", "lexical", "-k", "2")  # fmt: skip
    assert search.returncode == 0, search.stderr
    found = json.loads(search.stdout)
    assert found["mode"] == "lexical" and 1 <= len(found["hits"]) <= 2
    assert "overseas revenue" in found["hits"][0]["text"]

    text = seedqa("ask", "Who is Xiaomi's CFO?", "--index-dir", str(index_dir))
    assert text.returncode == 0, text.stderr
    assert "don't answer" in text.stdout

    shown = seedqa("ask", "How much had Xiaomi committed before?", "--index-dir", str(index_dir))
    assert "Sources:" in shown.stdout and "[1]" in shown.stdout and "1.43 billion" in shown.stdout

    model = seedqa("ask", "Who is Xiaomi's CFO?", "--json", "--answerer", "model",
                   "--index-dir", str(index_dir))  # fmt: skip
    assert model.returncode == 0, model.stderr
    chosen = json.loads(model.stdout)
    assert set(chosen) == set(data) and chosen["abstained"] is True
    assert re.match(r"The documents don't say\. The closest passage is \[\d\]", chosen["answer"])


def test_user_errors_are_one_line_without_traceback(tmp_path):
    blank = seedqa("ask", "   ", "--index-dir", str(tmp_path / "x"))
    assert blank.returncode == 2
    assert "question is empty" in blank.stderr and "Traceback" not in blank.stderr
    elsewhere = seedqa("ask", "What is 5G?", "--index-dir", str(tmp_path / "x"))
    assert elsewhere.returncode == 2 and "Traceback" not in elsewhere.stderr
    assert "no index at" in elsewhere.stderr
    assert "seedqa index PATHS --index-dir" in elsewhere.stderr
    assert not (tmp_path / "x").exists()  # the seed bootstrap is only for the default location
    bad_mode = seedqa("search", "x", "--mode", "semantic")
    assert bad_mode.returncode == 2 and "invalid choice" in bad_mode.stderr
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "CURRENT").write_text("gen-missing\n")
    broken = seedqa("search", "x", "--index-dir", str(corrupt))
    assert broken.returncode == 2 and "--rebuild" in broken.stderr
    assert "Traceback" not in broken.stderr
