"""The app runs without its optional extras: no torch ([train]), no scipy or pytrec ([eval]).

The test runs the real CLI in a fresh process whose import system refuses those
packages, as in a `make install` environment, and checks what a user sees.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Packages of the optional extras; the app must never import them to index, ask or chat.
OPTIONAL = (
    "torch",
    "sentence_transformers",
    "transformers",
    "scipy",
    "sklearn",
    "pytrec_eval",
    "matplotlib",
)
RUN_CLI = f"""
import importlib.abc, sys
class _Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {OPTIONAL!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}")
        return None
sys.meta_path.insert(0, _Refuse())
from seedqa.ui.cli import main
code = main(sys.argv[1:])
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({OPTIONAL!r}))
assert not loaded, loaded
sys.exit(code)
"""


def cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", RUN_CLI, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    index_dir = tmp_path_factory.mktemp("no-extras") / "idx"
    done = cli("index", "seeds", "--index-dir", str(index_dir), "-q")
    assert done.returncode == 0, done.stderr
    assert "chunks embedded" in done.stdout
    return index_dir


def test_index_and_ask_need_no_torch_nor_scipy(seed_index: Path) -> None:
    done = cli(
        "ask", "How much will Xiaomi invest in 5G, AI and IoT?", "--index-dir", str(seed_index)
    )
    assert done.returncode == 0, done.stderr
    assert "[1]" in done.stdout and "billion" in done.stdout
